import assert from "node:assert/strict";
import { openRegular } from "./open_file.ts";
import { ReadMeter, sizeTarget } from "./read_meter.ts";

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-meter-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

Deno.test("a target's files are sized up front, globs expanded, missing files left out", async () => {
  const dir = await dirWith({ "a.log": "x".repeat(100), "b.log": "y".repeat(50), "c.txt": "zz" });
  const meter = new ReadMeter();
  const options = { glob: {}, open: openRegular };
  await sizeTarget(meter, `${dir}/*.log`, options);
  await sizeTarget(meter, `${dir}/missing.log`, options);
  await sizeTarget(meter, "-", options);
  assert.equal(meter.files, 2);
  assert.deepEqual(meter.sample(), { read: 0, total: 150 });
});

Deno.test("the bytes read are the offsets of the open files, a closed one counts whole", async () => {
  const dir = await dirWith({ "a.log": "x".repeat(100), "b.log": "y".repeat(50) });
  const meter = new ReadMeter();
  await sizeTarget(meter, `${dir}/*.log`, { glob: {}, open: openRegular });
  const a = openRegular(`${dir}/a.log`);
  meter.track(a.file, 100);
  a.file.readSync(new Uint8Array(30));
  assert.deepEqual(meter.sample(), { read: 30, total: 150 });
  a.file.seekSync(10, Deno.SeekMode.Start); // a parallel map going back: progress does not
  assert.deepEqual(meter.sample(), { read: 30, total: 150 });
  a.file.close();
  const b = openRegular(`${dir}/b.log`);
  meter.track(b.file, 50);
  b.file.readSync(new Uint8Array(20));
  assert.deepEqual(meter.sample(), { read: 120, total: 150 });
  assert.equal(meter.filesDone, 1);
  b.file.close();
  assert.deepEqual(meter.sample(), { read: 150, total: 150 });
  assert.equal(meter.filesDone, 2);
});

Deno.test("a file that grew since it was sized never shows more read than the total", async () => {
  const dir = await dirWith({ "a.log": "x".repeat(10) });
  const meter = new ReadMeter();
  await sizeTarget(meter, `${dir}/a.log`, { glob: {}, open: openRegular });
  const a = openRegular(`${dir}/a.log`);
  meter.track(a.file, 40); // sized again when opened, after it grew
  a.file.seekSync(40, Deno.SeekMode.Start);
  const { read, total } = meter.sample();
  assert.ok(read <= total, `${read} > ${total}`);
  a.file.close();
});
