/**
 * Resume requests that lie (issue 14, "Bad input"; docs/protocol.md#resume): positions naming a
 * file the user may not read, the inode of another file, an offset past the end, a symlink to a
 * secret among the rotated names, garbage, too many entries. Each gets one clear notice and the
 * followed files only; never another file's data, and the dserver keeps serving.
 */
import assert from "node:assert/strict";
import { encodeResumeRequest, type FilePosition } from "../core/protocol/resume.ts";
import { assertServerAnswers, PROBE_RULE, probeFile } from "./liveness.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { append, numbered, ResumeClient } from "./ssh_resume_client.ts";

const SECRET = /PRIVATE KEY|SECRET-SIBLING/;

function positionOf(path: string, offset = 0, claimed = path): FilePosition {
  const info = Deno.lstatSync(path);
  return { path: claimed, dev: info.dev, ino: info.ino!, offset };
}

async function follow(
  client: TestClient,
  server: TestServer,
  target: string,
  resumeOption: string,
): Promise<ResumeClient> {
  const follower = new ResumeClient(client, [target], { resumeOption: () => resumeOption });
  await follower.connect(server);
  return follower;
}

Deno.test({
  name: "a resume request that lies gets notices and the followed files only",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const dir = await Deno.makeTempDir({ prefix: "dtail-resume-bad-" });
    await Deno.chmod(dir, 0o755);
    const server = await TestServer.start(client, {
      server: { Permissions: { Default: [`readfiles:^${dir}/`, PROBE_RULE] } },
    });
    const probe = await probeFile();
    const app = `${dir}/app.log`;
    const hostKey = `${server.dir}/cache/ssh_host_key`;
    try {
      await Deno.writeTextFile(app, "line of app.log\n");
      await Deno.chmod(app, 0o644);
      // A rotated name the user may not read, and one that is a symlink to the host key.
      await Deno.writeTextFile(`${dir}/app.log.1`, "SECRET-SIBLING\n");
      await Deno.chmod(`${dir}/app.log.1`, 0o600);
      await Deno.symlink(hostKey, `${dir}/app.log.2`);
      const size = Deno.statSync(app).size;

      await t.step("positions of other files, forged inodes and offsets", async () => {
        const request = encodeResumeRequest([
          positionOf(hostKey), // outside the followed path
          positionOf(hostKey, 0, app), // the host key's inode under the followed name
          positionOf(`${dir}/app.log.1`, 0, app), // an unreadable sibling's inode
        ]);
        const f = await follow(client, server, app, request);
        await f.until(() => f.linesOf(app).length >= 1, "app.log from its start");
        await append(app, ["appended"]);
        await f.until(() => f.linesOf(app).length >= 2, "the appended line");
        await f.close();
        assert.deepEqual(f.linesOf(app), ["line of app.log", "appended"]);
        assert.ok(!f.messages.some((m) => SECRET.test(m)), f.messages.join("\n"));
        assert.match(
          f.notices.join("\n"),
          /1 position\(s\) name files outside .*app\.log: ignored/,
        );
        assert.match(f.notices.join("\n"), /the file read before was not found/);
        assert.match(server.log(), /resume: not reading .*app\.log\.1: .*permission/);
      });

      await t.step("an offset past the end reads the file from its start", async () => {
        const request = encodeResumeRequest([positionOf(app, size + 1_000_000)]);
        const f = await follow(client, server, app, request);
        await f.until(() => f.linesOf(app).length >= 2, "app.log from its start");
        await f.close();
        assert.deepEqual(f.linesOf(app), ["line of app.log", "appended"]);
        assert.match(f.notices.join("\n"), /shorter than the position/);
      });

      await t.step(
        "garbage and oversized requests are refused; the tail runs from the end",
        async () => {
          const tooMany = encodeResumeRequest(
            Array.from({ length: 10_001 }, () => ({ path: "/a", dev: 0, ino: 0, offset: 0 })),
          );
          const cases: [string, RegExp][] = [
            ["{garbage", /resume request refused \(not JSON\): following from the end/],
            ['{"v":1,"files":[{"path":"/x","dev":1,"ino":1,"offset":-5}]}', /invalid offset/],
            [tooMany, /more than 10000 files/],
          ];
          for (const [i, [request, reason]] of cases.entries()) {
            const f = await follow(client, server, app, request);
            await f.until(() => f.positions.get(app)?.has(app) ?? false, "the start position");
            const line = numbered("fresh", i, i + 1);
            await append(app, line);
            await f.until(() => f.linesOf(app).length >= 1, "the appended line");
            await f.close();
            assert.deepEqual(f.linesOf(app), line, "from the end, as without a request");
            assert.match(f.notices.join("\n"), reason);
          }
        },
      );

      await t.step("the dserver still serves others", async () => {
        await assertServerAnswers(server, client, probe);
      });
    } finally {
      await server.stop();
    }
  },
});
