/**
 * Issue 14 at scale, for correctness (the CPU time it costs is measured by bench/resume.ts): a
 * client that follows 1,000 files of one glob resumes all of them after a SIGKILL and restart of
 * the dserver and after a plain reconnect, and gets every line written while it was away exactly
 * once, in order, with no notice; a new follow of the same files starts at their ends.
 */
import assert from "node:assert/strict";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { ResumeClient } from "./ssh_resume_client.ts";

const FILES = 1000;

async function appendToAll(dir: string, word: string): Promise<void> {
  for (let i = 0; i < FILES; i++) {
    await Deno.writeTextFile(`${dir}/f${String(i).padStart(4, "0")}.log`, `${word} ${i}\n`, {
      append: true,
    });
  }
}

const linesOf = (f: ResumeClient, word: string) =>
  [...f.lines.values()].flat().filter((l) => l.startsWith(`${word} `)).length;

Deno.test({
  name: "1,000 followed files resume after a restart and after a reconnect, each missed line once",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const dir = await Deno.makeTempDir({ prefix: "dtail-resume-many-" });
    await Deno.chmod(dir, 0o755);
    for (let i = 0; i < FILES; i++) {
      const path = `${dir}/f${String(i).padStart(4, "0")}.log`;
      await Deno.writeTextFile(path, `old ${i}\n`);
      await Deno.chmod(path, 0o644);
    }
    const server = await TestServer.start(client, {
      server: { Permissions: { Default: [`readfiles:^${dir}/`] }, MaxConcurrentTails: 2000 },
    });
    const target = `${dir}/*.log`;
    try {
      const f = new ResumeClient(client, [target]);
      await f.connect(server);
      await f.until(() => (f.positions.get(target)?.size ?? 0) === FILES, "1,000 start positions");
      await appendToAll(dir, "up");
      await f.until(() => linesOf(f, "up") === FILES, "a line of each file");

      server.signal("SIGKILL");
      await f.lost();
      await appendToAll(dir, "down");
      await server.restart();
      await f.connect(server);
      await f.until(() => linesOf(f, "down") === FILES, "the lines written while down");

      await f.close();
      await appendToAll(dir, "away");
      await f.connect(server);
      await f.until(() => linesOf(f, "away") === FILES, "the lines written while away");
      await f.close();

      // The same files followed without positions or a resume request: from their ends.
      const plain = new ResumeClient(client, [target], { resumeOption: () => undefined });
      await plain.connect(server);
      await plain.until(
        () => (plain.positions.get(target)?.size ?? 0) === FILES,
        "1,000 start positions",
      );
      await plain.close();

      for (const [path, lines] of f.lines) {
        const i = Number(/f(\d+)\.log$/.exec(path)![1]);
        assert.deepEqual(lines, [`up ${i}`, `down ${i}`, `away ${i}`], path);
      }
      assert.equal(f.lines.size, FILES);
      assert.deepEqual(f.notices, []);
      assert.deepEqual([...plain.lines.values()].flat(), [], "a new follow starts at the ends");
      for (const position of plain.positions.get(target)!.values()) {
        assert.equal(position.offset, Deno.statSync(position.path).size, position.path);
      }
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
