import assert from "node:assert/strict";
import { defaultConfig } from "../../core/config.ts";
import { PREFIX, rehearseFollow, removeLeftovers } from "./follow_warm_up.ts";

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("the rehearsal follows and resumes its files, then leaves nothing behind", async () => {
  const parent = await Deno.makeTempDir();
  try {
    assert.deepEqual(await rehearseFollow(defaultConfig(() => undefined), 20, [parent]), {
      done: true,
    });
    assert.deepEqual(names(parent), []);
    const held = [...Deno.readDirSync("/proc/self/fd")].filter((e) => {
      try {
        return Deno.readLinkSync(`/proc/self/fd/${e.name}`).startsWith(parent);
      } catch {
        return false;
      }
    });
    assert.deepEqual(held, [], "no descriptor of its files stays open");
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("a scratch directory whose name holds regex characters is ruled literally", async () => {
  const parent = await Deno.makeTempDir({ prefix: "a(b+c.{d}-" });
  const globbed = await Deno.makeTempDir({ prefix: "a[b]-" });
  try {
    assert.deepEqual(await rehearseFollow(defaultConfig(() => undefined), 5, [parent]), {
      done: true,
    });
    // One that a glob would read as a pattern is passed over (no rehearsal, not a 10 s wait).
    const started = performance.now();
    assert.deepEqual(await rehearseFollow(defaultConfig(() => undefined), 5, [globbed]), {
      done: false,
      why: "no scratch directory",
    });
    assert.ok(performance.now() - started < 2000);
  } finally {
    await Deno.remove(parent, { recursive: true });
    await Deno.remove(globbed, { recursive: true });
  }
});

Deno.test("without a scratch directory there is no rehearsal, and no error", async () => {
  const parent = await Deno.makeTempDir();
  try {
    const missing = `${parent}/missing`;
    assert.deepEqual(await rehearseFollow(defaultConfig(() => undefined), 5, [missing]), {
      done: false,
      why: "no scratch directory",
    });
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("leftovers of a dserver that died are removed, those of a live one are kept", async () => {
  const parent = await Deno.makeTempDir();
  try {
    const dead = `${PREFIX}999999999-abc`; // above the kernel's pid_max: no such process
    const live = `${PREFIX}${Deno.pid}-def`;
    for (const name of [dead, live, "other-dir"]) {
      await Deno.mkdir(`${parent}/${name}`);
      await Deno.writeTextFile(`${parent}/${name}/0.log`, "x\n");
    }
    await Deno.writeTextFile(`${parent}/${PREFIX}1-file`, "a file, not a scratch directory");
    removeLeftovers(parent);
    assert.deepEqual(names(parent), [`${PREFIX}1-file`, live, "other-dir"].sort());
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("a rehearsal that cannot finish says where it stopped and what the server logged", async () => {
  const parent = await Deno.makeTempDir();
  try {
    const config = defaultConfig(() => undefined);
    config.Server.MaxGlobTargets = 3; // two of the five files are never followed
    const rehearsal = await rehearseFollow(config, 5, [parent], 300);
    assert.equal(rehearsal.done, false);
    assert.match(
      (rehearsal as { why: string }).why,
      /^the deadline came in the follow: 3 of 5 positions, \d+ lines; server log: .*more than 3 files/,
    );
    assert.deepEqual(names(parent), []);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});
