/**
 * Bench-like check of issue 14 (not a timed test: it prints, and fails only when lines go wrong):
 * the dserver CPU time a client costs when it resumes 1,000 followed files on one server, after a
 * SIGKILL and restart (cold) and after a plain reconnect (warm), next to a follow of the same files
 * without positions. CPU time is the dserver process's own (/proc/<pid>/schedstat), from the open
 * channel to the last missed line received.
 */
import assert from "node:assert/strict";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { ResumeClient } from "./ssh_resume_client.ts";

const FILES = 1000;

function serverPid(server: TestServer): number {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(`${server.dir}/dtail.json`) && cmdline.includes("app/main.ts")) {
        return Number(entry.name);
      }
    } catch {
      // gone
    }
  }
  throw new Error("no dserver process");
}

/** CPU time of the process (all its threads) in ms. */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/schedstat`).split(" ")[0]);
    } catch {
      // a thread that ended
    }
  }
  return ns / 1e6;
}

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
  name: "resuming 1,000 followed files: dserver CPU time",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const dir = await Deno.makeTempDir({ prefix: "dtail-resume-bench-" });
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
      let pid = serverPid(server);
      let before = 0;
      await f.connect(server, () => before = cpuMs(pid));
      await f.until(() => linesOf(f, "down") === FILES, "the lines written while down");
      const cold = cpuMs(pid) - before;

      await f.close();
      await appendToAll(dir, "away");
      pid = serverPid(server);
      await f.connect(server, () => before = cpuMs(pid));
      await f.until(() => linesOf(f, "away") === FILES, "the lines written while away");
      const warm = cpuMs(pid) - before;
      await f.close();

      // The same files followed from their end, without positions or a resume request.
      const plain = new ResumeClient(client, [target], { resumeOption: () => undefined });
      await plain.connect(server, () => before = cpuMs(pid));
      await plain.until(
        () => (plain.positions.get(target)?.size ?? 0) === FILES,
        "1,000 start positions",
      );
      const fresh = cpuMs(pid) - before;
      await plain.close();

      for (const [path, lines] of f.lines) {
        const i = Number(/f(\d+)\.log$/.exec(path)![1]);
        assert.deepEqual(lines, [`up ${i}`, `down ${i}`, `away ${i}`], path);
      }
      console.log(
        `  dserver CPU for ${FILES} files: resume after a restart ${cold.toFixed(0)} ms, ` +
          `resume on a warm server ${warm.toFixed(0)} ms, ` +
          `a new follow of the same files ${fresh.toFixed(0)} ms`,
      );
    } finally {
      await server.stop();
    }
  },
});
