import assert from "node:assert/strict";
import { UTC } from "./civil_time.ts";
import { PROBE_LIMIT, type SeekOptions, seekTimeRange } from "./time_seek.ts";
import type { TimeRange } from "./time_spec.ts";

const encoder = new TextEncoder();

/** mulberry32: the same files on every run. */
class Prng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  int(below: number): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  }
}
const T0 = Date.UTC(2026, 11, 3, 0, 0, 0);
const NOW = Date.UTC(2026, 11, 4);

interface Line {
  readonly text: string;
  /** NaN: no time. */
  readonly time: number;
}

/** The start of each line, and the whole file. */
function layOut(lines: readonly Line[]): { bytes: Uint8Array<ArrayBuffer>; starts: number[] } {
  const starts: number[] = [];
  let at = 0;
  for (const l of lines) {
    starts.push(at);
    at += encoder.encode(l.text).length + 1;
  }
  return { bytes: encoder.encode(lines.map((l) => l.text + "\n").join("")), starts };
}

/** The timed lines' times and starts, in file order. */
type Timed = (readonly [number, number])[];

function timedOf(lines: readonly Line[]): Timed {
  const { starts } = layOut(lines);
  return lines.map((l, i) => [l.time, starts[i]!] as const).filter(([t]) => t === t);
}

/**
 * The range by reading every line: what the seek must find. start: the first line timed >= since;
 * end: the first timed line after the last one timed <= until.
 */
function linear(timed: Timed, range: TimeRange, size: number): [number, number] {
  if (range.since === -Infinity && range.until === Infinity) return [0, size];
  const first = timed.find(([t]) => t >= range.since);
  const start = range.since === -Infinity ? 0 : first === undefined ? size : first[1];
  if (range.until === Infinity) return [start, size];
  let last = -1;
  timed.forEach(([t], i) => {
    if (t <= range.until) last = i;
  });
  const after = timed.slice(last + 1).find(([, at]) => at >= start);
  return [start, Math.max(start, after === undefined ? size : after[1])];
}

function iso(t: number, rest: string): string {
  return `${new Date(t).toISOString()} ${rest}`;
}

/** Lines a second or so apart, with `untimed` lines after some, times moved by up to `jitter`. */
function generate(
  n: number,
  seed: number,
  o: { untimed?: number; jitterMs?: number; longEvery?: number; longBytes?: number } = {},
): Line[] {
  const rng = new Prng(seed);
  const lines: Line[] = [];
  let t = T0;
  for (let i = 0; i < n; i++) {
    t += rng.int(2000);
    const time = t + (o.jitterMs ? rng.int(2 * o.jitterMs + 1) - o.jitterMs : 0);
    const long = o.longEvery && i % o.longEvery === 3 ? "x".repeat(o.longBytes ?? 0) : "";
    lines.push({ text: iso(time, `web01 app: line ${i} ${long}`), time });
    if (o.untimed && rng.int(o.untimed) === 0) {
      for (let k = rng.int(4); k >= 0; k--) lines.push({ text: `\tat Foo.bar${k}`, time: NaN });
    }
  }
  return lines;
}

async function withFile<R>(
  bytes: Uint8Array,
  name: string,
  fn: (path: string, file: Deno.FsFile) => R,
): Promise<R> {
  const dir = await Deno.makeTempDir({ prefix: "time_seek_test_" });
  try {
    const path = `${dir}/${name}`;
    Deno.writeFileSync(path, bytes);
    using file = Deno.openSync(path, { read: true });
    return fn(path, file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Seeks every range and compares with the linear answer. */
async function check(lines: Line[], ranges: TimeRange[], options: SeekOptions): Promise<void> {
  const { bytes } = layOut(lines);
  const timed = timedOf(lines);
  await withFile(bytes, "app.log", (path, file) => {
    for (const range of ranges) {
      const got = seekTimeRange(path, file, range, { now: NOW, zone: UTC, ...options });
      const want = linear(timed, range, bytes.length);
      assert.deepEqual([got.start, got.end], want, `${JSON.stringify(range)}`);
    }
  });
}

/** Ranges around the file's times: before, inside, at line times, after. */
function rangesOf(lines: Line[], count: number, seed: number): TimeRange[] {
  const times = lines.map((l) => l.time).filter((t) => t === t);
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const rng = new Prng(seed);
  const ranges: TimeRange[] = [
    { since: -Infinity, until: Infinity },
    { since: lo - 1e6, until: Infinity },
    { since: hi + 1e6, until: Infinity },
    { since: -Infinity, until: lo - 1e6 },
    { since: -Infinity, until: hi + 1e6 },
    { since: lo, until: hi },
    { since: hi, until: hi },
  ];
  for (let i = 0; i < count; i++) {
    const a = lo + rng.int(hi - lo);
    const b = a + rng.int((hi - lo) / 4);
    const exact = times[rng.int(times.length)]!;
    ranges.push({ since: a, until: b }, { since: exact, until: exact + rng.int(60_000) });
    ranges.push({ since: a, until: Infinity }, { since: -Infinity, until: b });
  }
  return ranges;
}

Deno.test("the seek finds what a linear scan finds in an ordered log", async () => {
  const lines = generate(20_000, 1);
  await check(lines, rangesOf(lines, 30, 2), { bufferSize: 1024, disorderMs: 0 });
  await check(lines, rangesOf(lines, 10, 3), {});
});

Deno.test("the seek steps over lines without a time", async () => {
  const lines = generate(20_000, 4, { untimed: 3 });
  lines.unshift({ text: "a header without a time", time: NaN });
  lines.push({ text: "\ttrailing untimed line", time: NaN });
  await check(lines, rangesOf(lines, 30, 5), { bufferSize: 512 });
});

Deno.test("the seek is exact when lines are out of order by less than the disorder bound", async () => {
  const lines = generate(20_000, 6, { jitterMs: 5_000, untimed: 10 });
  await check(lines, rangesOf(lines, 40, 7), { bufferSize: 1024, disorderMs: 10_000 });
});

Deno.test("the seek times a line longer than its buffer by the line's start", async () => {
  const lines = generate(2_000, 8, { longEvery: 50, longBytes: 5_000 });
  await check(lines, rangesOf(lines, 20, 9), { bufferSize: 1024 });
});

Deno.test("a run of untimed lines longer than a probe's reach still gives the linear answer", async () => {
  const lines = generate(3_000, 10);
  const blob = Array.from({ length: 2 * PROBE_LIMIT / 64 }, () => ({
    text: "z".repeat(63),
    time: NaN,
  }));
  lines.splice(1_500, 0, ...blob);
  await check(lines, rangesOf(lines, 10, 11), { bufferSize: 4096 });
});

Deno.test("an empty file, a file of one line and a file without a final newline", async () => {
  await withFile(new Uint8Array(0), "empty.log", (path, file) => {
    assert.deepEqual(seekTimeRange(path, file, { since: T0, until: T0 }), { start: 0, end: 0 });
  });
  const one = encoder.encode(iso(T0, "only"));
  await withFile(one, "one.log", (path, file) => {
    const o = { zone: UTC, bufferSize: 8 };
    assert.deepEqual(seekTimeRange(path, file, { since: T0, until: Infinity }, o), {
      start: 0,
      end: one.length,
    });
    assert.deepEqual(seekTimeRange(path, file, { since: T0 + 1, until: Infinity }, o), {
      start: one.length,
      end: one.length,
    });
    assert.deepEqual(seekTimeRange(path, file, { since: -Infinity, until: T0 - 1 }, o), {
      start: 0,
      end: 0,
    });
  });
});

Deno.test("all lines before since give an empty range at the end, all after give the start", async () => {
  const lines = generate(5_000, 12);
  const { bytes } = layOut(lines);
  await withFile(bytes, "app.log", (path, file) => {
    const o = { zone: UTC, bufferSize: 1024 };
    const after = { since: NOW + 1e9, until: Infinity };
    assert.deepEqual(seekTimeRange(path, file, after, o), {
      start: bytes.length,
      end: bytes.length,
    });
    const before = { since: T0 - 1e9, until: Infinity };
    assert.deepEqual(seekTimeRange(path, file, before, o), { start: 0, end: bytes.length });
  });
});

Deno.test("DTail's default format and syslog lines are sought by their times", async () => {
  const pad = (n: number) => String(n).padStart(2, "0");
  const lines: Line[] = [];
  for (let i = 0; i < 5_000; i++) {
    const t = T0 + i * 7_000;
    const d = new Date(t);
    const clock = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-` +
      `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
    lines.push({
      text: `INFO|${clock}|1|stats.go:56|8|13|7|0.21|1h|MAPREDUCE:STATS|a=${i}`,
      time: t,
    });
  }
  await check(lines, rangesOf(lines, 10, 13), { bufferSize: 2048 });
  const months = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  const syslog = lines.map(({ time }) => {
    const d = new Date(time);
    const clock = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const day = String(d.getUTCDate()).padStart(2, " ");
    return { text: `${months[d.getUTCMonth()]} ${day} ${clock} host sshd[1]: x`, time };
  });
  await check(syslog, rangesOf(syslog, 10, 16), { bufferSize: 2048 });
});

Deno.test("a compressed file is not entered: its range is the whole file", async () => {
  const lines = generate(100, 14);
  const { bytes } = layOut(lines);
  const gz = new Uint8Array(
    await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  const range = { since: lines[50]!.time, until: lines[60]!.time };
  for (
    const [data, name] of [[gz, "app.log.1"], [gz, "app.log.gz"], [bytes, "app.log.zst"]] as const
  ) {
    await withFile(data, name, (path, file) => {
      assert.deepEqual(seekTimeRange(path, file, range, { zone: UTC }), {
        start: 0,
        end: Infinity,
      });
    });
  }
});

Deno.test("a seek over 20 MB reads a small part of it", async () => {
  const lines = generate(200_000, 15, { longEvery: 1, longBytes: 40 });
  const { bytes } = layOut(lines);
  await withFile(bytes, "big.log", (path, file) => {
    let read = 0;
    const counting = Object.create(file, {
      readSync: {
        value: (b: Uint8Array) => {
          const n = file.readSync(b);
          read += n ?? 0;
          return n;
        },
      },
      seekSync: { value: (o: number, w: Deno.SeekMode) => file.seekSync(o, w) },
      statSync: { value: () => file.statSync() },
    }) as Deno.FsFile;
    const since = lines[150_000]!.time;
    const got = seekTimeRange(path, counting, { since, until: Infinity }, { zone: UTC });
    assert.equal(got.start, linear(timedOf(lines), { since, until: Infinity }, bytes.length)[0]);
    assert.ok(read < 3 * 1024 * 1024, `${read} bytes read`);
  });
});
