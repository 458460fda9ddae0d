/**
 * Lossless follow across a dserver crash (issue 14, docs/protocol.md#resume): a raw client
 * follows with positions, the dserver is killed with SIGKILL, files change while it is down
 * (appends, a new file, rotation, truncation, deletion), the dserver is restarted on the same
 * port and the client resumes from its positions. Every line exactly once, in order per file.
 */
import assert from "node:assert/strict";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { append, numbered, ResumeClient } from "./ssh_resume_client.ts";

async function logDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-resume-" });
  await Deno.chmod(dir, 0o755);
  return dir;
}

async function writeLog(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o644);
}

interface Scenario {
  readonly name: string;
  /** The followed target, given the directory. */
  readonly target: (dir: string) => string;
  readonly plain?: boolean;
  /** Kill the dserver while the lines before are still being written and sent. */
  readonly midStream?: boolean;
  /** Written after the lines before, and shown (in part) before the dserver is killed. */
  readonly beforeKill?: { text: string; shown: (lines: string[]) => boolean };
  /** What happens while the dserver is down; returns the lines each path must show in the end. */
  readonly whileDown: (dir: string) => Promise<void>;
  /** Every line of each path, in order, once (app.log's lines before the crash are added). */
  readonly expect: (dir: string) => Record<string, string[]>;
  /** A notice the resume must give. */
  readonly notice?: RegExp;
}

const BEFORE = numbered("before", 0, 1000);
const DOWN = numbered("down", 0, 1000);
const AFTER = numbered("after", 0, 1000);
const NEW = numbered("new", 0, 100);

/** The server's MaxLineLength here: longer lines arrive in pieces. */
const MAX_LINE = 1000;
const LONG = "x".repeat(1500) + "y".repeat(1500) + "z".repeat(200);

const SCENARIOS: Scenario[] = [
  {
    name: "killed between the pieces of a line longer than MaxLineLength: no piece twice",
    target: (dir) => `${dir}/app.log`,
    // The first 1,500 bytes of the line: one piece goes out, with a position inside the line.
    beforeKill: { text: LONG.slice(0, 1500), shown: (lines) => lines.at(-1)!.startsWith("x") },
    whileDown: async (dir) => {
      await Deno.writeTextFile(`${dir}/app.log`, LONG.slice(1500) + "\n", { append: true });
      await append(`${dir}/app.log`, DOWN);
    },
    expect: (dir) => ({
      [`${dir}/app.log`]: [
        ...BEFORE,
        LONG.slice(0, 1000),
        LONG.slice(1000, 2000),
        LONG.slice(2000, 3000),
        LONG.slice(3000),
        ...DOWN,
        ...AFTER,
      ],
    }),
    notice: /Long log line, splitting into multiple lines/,
  },
  {
    name: "killed while lines stream: lines sent without their position come again, once",
    target: (dir) => `${dir}/*.log`,
    midStream: true,
    whileDown: async (dir) => await append(`${dir}/app.log`, DOWN),
    expect: (dir) => ({ [`${dir}/app.log`]: [...BEFORE, ...DOWN, ...AFTER] }),
  },
  {
    name: "appends and a new matching file while down (the issue's 3,100 lines)",
    target: (dir) => `${dir}/*.log`,
    whileDown: async (dir) => {
      await append(`${dir}/app.log`, DOWN);
      await append(`${dir}/new.log`, NEW);
    },
    expect: (dir) => ({
      [`${dir}/app.log`]: [...BEFORE, ...DOWN, ...AFTER],
      [`${dir}/new.log`]: NEW,
    }),
  },
  {
    name: "the same with --plain (raw blocks)",
    target: (dir) => `${dir}/*.log`,
    plain: true,
    whileDown: async (dir) => {
      await append(`${dir}/app.log`, DOWN);
      await append(`${dir}/new.log`, NEW);
    },
    expect: (dir) => ({
      [`${dir}/app.log`]: [...BEFORE, ...DOWN, ...AFTER],
      [`${dir}/new.log`]: NEW,
    }),
  },
  {
    name: "rotation while down: the rotated file is finished, then the new one read whole",
    target: (dir) => `${dir}/app.log`,
    whileDown: async (dir) => {
      await append(`${dir}/app.log`, DOWN.slice(0, 500));
      await Deno.rename(`${dir}/app.log`, `${dir}/app.log.1`);
      await append(`${dir}/app.log`, DOWN.slice(500));
    },
    expect: (dir) => ({ [`${dir}/app.log`]: [...BEFORE, ...DOWN, ...AFTER] }),
  },
  {
    name: "rotation while down, following a glob the rotated name does not match",
    target: (dir) => `${dir}/*.log`,
    whileDown: async (dir) => {
      await append(`${dir}/app.log`, DOWN.slice(0, 500));
      await Deno.rename(`${dir}/app.log`, `${dir}/app.log-20250101`);
      await append(`${dir}/app.log`, DOWN.slice(500));
    },
    expect: (dir) => ({ [`${dir}/app.log`]: [...BEFORE, ...DOWN, ...AFTER] }),
  },
  {
    name: "rotation while down, following a glob that matches the rotated name too",
    target: (dir) => `${dir}/app.log*`,
    whileDown: async (dir) => {
      await append(`${dir}/app.log`, DOWN.slice(0, 500));
      await Deno.rename(`${dir}/app.log`, `${dir}/app.log.1`);
      await append(`${dir}/app.log`, DOWN.slice(500));
    },
    // The rotated file resumes under its new name.
    expect: (dir) => ({
      [`${dir}/app.log`]: [...BEFORE, ...DOWN.slice(500), ...AFTER],
      [`${dir}/app.log.1`]: DOWN.slice(0, 500),
    }),
  },
  {
    name: "truncation while down: read from the start, with a notice",
    target: (dir) => `${dir}/app.log`,
    whileDown: async (dir) => {
      await Deno.truncate(`${dir}/app.log`, 0);
      await append(`${dir}/app.log`, DOWN.slice(0, 10));
    },
    expect: (dir) => ({ [`${dir}/app.log`]: [...BEFORE, ...DOWN.slice(0, 10), ...AFTER] }),
    notice: /shorter than the position .* truncated while disconnected, reading it from its start/,
  },
  {
    name: "deletion and re-creation while down: the old file is told as lost",
    target: (dir) => `${dir}/app.log`,
    whileDown: async (dir) => {
      await Deno.remove(`${dir}/app.log`);
      await append(`${dir}/app.log`, DOWN);
    },
    expect: (dir) => ({ [`${dir}/app.log`]: [...BEFORE, ...DOWN, ...AFTER] }),
    notice: /rotated or removed while disconnected|changed before the position/,
  },
];

Deno.test({
  name: "a client resumes after the dserver was killed and restarted: every line once, in order",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const root = await logDir();
    const server = await TestServer.start(client, {
      server: { Permissions: { Default: [`readfiles:^${root}/`] }, MaxLineLength: MAX_LINE },
    });
    try {
      for (const [i, s] of SCENARIOS.entries()) {
        await t.step(s.name, async () => {
          const dir = `${root}/${i}`;
          await Deno.mkdir(dir, { mode: 0o755 });
          await Deno.chmod(dir, 0o755);
          const app = `${dir}/app.log`;
          await writeLog(app, "old line, not printed\n");
          const follower = new ResumeClient(client, [s.target(dir)], { plain: s.plain ?? false });
          await follower.connect(server);
          await follower.until(
            () => follower.positions.get(s.target(dir))?.has(app) ?? false,
            "the position where app.log starts",
          );
          if (s.midStream) {
            const writing = (async () => {
              for (let i = 0; i < BEFORE.length; i += 20) {
                await append(app, BEFORE.slice(i, i + 20));
                await new Promise((r) => setTimeout(r, 2));
              }
            })();
            await follower.until(() => follower.linesOf(app).length >= 200, "some lines");
            server.signal("SIGKILL");
            await writing;
            await follower.lost();
            console.log(
              `  killed after ${follower.linesOf(app).length} confirmed lines ` +
                `(${follower.dropped} more came without their position)`,
            );
          } else {
            await append(app, BEFORE);
            await follower.until(() => follower.linesOf(app).length >= 1000, "the lines before");
            if (s.beforeKill) {
              const { text, shown } = s.beforeKill;
              await Deno.writeTextFile(app, text, { append: true });
              await follower.until(() => shown(follower.linesOf(app)), "the first piece");
            }
            server.signal("SIGKILL");
          }
          await follower.lost();
          await s.whileDown(dir);
          const restarted = Date.now();
          await server.restart();
          await follower.connect(server);
          await append(app, AFTER);
          const expected = s.expect(dir);
          await follower.until(
            () =>
              Object.entries(expected).every(([path, lines]) =>
                follower.linesOf(path).length >= lines.length
              ),
            "every line",
          );
          const elapsed = Date.now() - restarted;
          await new Promise((r) => setTimeout(r, 300)); // nothing more may come
          await follower.close();
          for (const [path, lines] of Object.entries(expected)) {
            assert.deepEqual(follower.linesOf(path), lines, path);
          }
          const total = Object.values(expected).reduce((n, l) => n + l.length, 0);
          console.log(`  ${total} lines, all delivered ${elapsed} ms after the restart began`);
          assert.ok(elapsed < 5000, `${elapsed} ms`);
          if (s.notice) assert.match(follower.notices.join("\n"), s.notice);
          else assert.deepEqual(follower.notices, []);
          assert.ok(!follower.messages.some((m) => m.includes("old line, not printed")));
        });
      }
    } finally {
      await server.stop();
    }
  },
});
