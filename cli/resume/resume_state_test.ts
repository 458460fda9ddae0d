import assert from "node:assert/strict";
import type { FilePosition } from "../../core/protocol/resume.ts";
import { ResumeState } from "./resume_state.ts";
import { formatState, loadStateFile } from "./state_file.ts";

const p = (path: string, offset: number): FilePosition => ({ path, dev: 1, ino: 7, offset });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-resume-state-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function io(calls: string[] = []) {
  return {
    calls,
    warn: (m: string) => calls.push(`warn: ${m}`),
    flushOutput: () => calls.push("flush"),
  };
}

Deno.test("entries of servers and targets not in this run are written back as they were", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/s.json`;
    const other = new Map([["/x/*.log", [p("/x/a.log", 5)]]]);
    await Deno.writeTextFile(
      file,
      formatState(
        new Map([["other:2222", other], [
          "ours:2222",
          new Map([["/y/b.log", [p("/y/b.log", 3)]]]),
        ]]),
        new Date(),
      ),
    );
    const state = new ResumeState({ file, maxGapBytes: 1 }, io());
    const table = state.table("ours:2222");
    assert.deepEqual(table.positionsOf("/y/b.log"), [p("/y/b.log", 3)]);
    table.record("/z/*.log", p("/z/c.log", 9));
    await state.close();
    const saved = loadStateFile(file).positions;
    assert.deepEqual(saved.get("other:2222"), other);
    assert.deepEqual(
      saved.get("ours:2222"),
      new Map([["/y/b.log", [p("/y/b.log", 3)]], ["/z/*.log", [p("/z/c.log", 9)]]]),
    );
  });
});

Deno.test("a save writes out the output first, and saves nothing when that fails", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/s.json`;
    const calls: string[] = [];
    const state = new ResumeState({ file, maxGapBytes: 1 }, io(calls));
    state.table("s").record("/a.log", p("/a.log", 1));
    await state.save();
    assert.deepEqual(calls, ["flush"]);
    assert.equal(loadStateFile(file).positions.get("s")!.get("/a.log")![0]!.offset, 1);
    const failing = new ResumeState({ file, maxGapBytes: 1 }, {
      warn: () => {},
      flushOutput: () => {
        throw new Error("EPIPE");
      },
    });
    failing.table("s").record("/a.log", p("/a.log", 2));
    await failing.close();
    assert.equal(loadStateFile(file).positions.get("s")!.get("/a.log")![0]!.offset, 1);
  });
});

Deno.test("changed positions are saved periodically while the run goes on", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/s.json`;
    const state = new ResumeState({ file, maxGapBytes: 1 }, io());
    state.start(20);
    try {
      state.table("s").record("/a.log", p("/a.log", 4));
      const deadline = Date.now() + 5000;
      while (loadStateFile(file).positions.size === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(loadStateFile(file).positions.get("s")!.get("/a.log")![0]!.offset, 4);
    } finally {
      await state.close();
    }
  });
});

Deno.test("a file that is not a state file is told once and left as it is", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/app.log`;
    await Deno.writeTextFile(file, "a log line\n");
    const calls: string[] = [];
    const state = new ResumeState({ file, maxGapBytes: 1 }, io(calls));
    state.start(10);
    state.table("s").record("/a.log", p("/a.log", 4));
    await new Promise((r) => setTimeout(r, 50));
    await state.close();
    assert.equal(await Deno.readTextFile(file), "a log line\n");
    assert.equal(calls.length, 1);
    assert.match(calls[0]!, /^warn: --resume .*app.log is not a dtail resume state file/);
  });
});

Deno.test("a state file that cannot be saved is told once, and saving is tried again", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/missing/s.json`;
    const calls: string[] = [];
    const state = new ResumeState({ file, maxGapBytes: 1 }, io(calls));
    const table = state.table("s");
    table.record("/a.log", p("/a.log", 1));
    await state.save();
    table.record("/a.log", p("/a.log", 2));
    await state.save();
    const warnings = calls.filter((c) => c.startsWith("warn"));
    assert.equal(warnings.length, 1, calls.join("\n"));
    assert.match(warnings[0]!, /cannot save positions/);
    await Deno.mkdir(`${dir}/missing`);
    await state.close(); // still changed: saved now
    assert.equal(loadStateFile(file).positions.get("s")!.get("/a.log")![0]!.offset, 2);
  });
});

Deno.test("two dtails sharing a state file keep each other's positions", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/s.json`;
    const a = new ResumeState({ file, maxGapBytes: 1 }, io());
    const b = new ResumeState({ file, maxGapBytes: 1 }, io());
    a.table("serverless").record("/a/*.log", p("/a/x.log", 10));
    await a.save();
    b.table("serverless").record("/b/*.log", p("/b/y.log", 20));
    await b.save(); // b loaded the file before a's first save
    a.table("serverless").record("/a/*.log", p("/a/x.log", 11));
    await a.save();
    b.table("serverless").record("/b/*.log", p("/b/y.log", 21));
    await b.close(); // b's seed has no /a/*.log: a's latest position stays
    assert.deepEqual(
      loadStateFile(file).positions.get("serverless"),
      new Map([["/a/*.log", [p("/a/x.log", 11)]], ["/b/*.log", [p("/b/y.log", 21)]]]),
    );
  });
});

Deno.test("a state file that another program replaced during the run is told once and left as it is", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/s.json`;
    const calls: string[] = [];
    const state = new ResumeState({ file, maxGapBytes: 1 }, io(calls));
    state.table("s").record("/a.log", p("/a.log", 1));
    await state.save();
    await Deno.writeTextFile(file, "a log line, not a state\n");
    state.table("s").record("/a.log", p("/a.log", 2));
    await state.save();
    state.table("s").record("/a.log", p("/a.log", 3));
    await state.close();
    assert.equal(await Deno.readTextFile(file), "a log line, not a state\n");
    assert.equal(calls.filter((c) => c.startsWith("warn:")).length, 1, calls.join("\n"));
    assert.match(calls.find((c) => c.startsWith("warn:"))!, /is not a dtail resume state file/);
  });
});
