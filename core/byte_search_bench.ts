/**
 * The candidates for finding the lines that hold a literal, side by side (docs/performance.md#byte-search):
 *
 *     deno bench --allow-ffi core/byte_search_bench.ts
 *
 * Each finds the matching lines of 64 MiB of log lines in 1 MiB batches, as the pipeline sees
 * them: V8 (decode, then String#indexOf), libc's memmem over FFI (glibc's, ~110 ns a call), and
 * the WebAssembly SIMD module (copy in, one call a batch). Without --allow-ffi, memmem is left out.
 */
import { byteNeedle, byteSearch } from "./byte_search.ts";

const BATCH = 1 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** 64 MiB of lines like bench/generate.ts's: ERROR in a fifth of them, RARETOKEN in 1 of 10,000. */
function logBatches(): Uint8Array[] {
  const levels = ["INFO ", "DEBUG", "WARN ", "ERROR", "INFO "];
  const batches: Uint8Array[] = [];
  let seed = 7;
  const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0);
  for (let total = 0; total < 64 << 20;) {
    let text = "";
    while (text.length < BATCH - 200) {
      const n = next();
      const level = levels[n % levels.length]!;
      const token = n % 10_000 === 7 ? ` RARETOKEN-x${n}` : "";
      text += `2026-11-24T08:00:00.${n % 1000}Z web${n % 50} api[${n % 30000}]: ${level} ` +
        `[req=${n.toString(36)}] cache lookup key=user:${n % 99999} took ${n % 3000}ms${token}\n`;
    }
    const bytes = encoder.encode(text);
    batches.push(bytes);
    total += bytes.length;
  }
  return batches;
}

const batches = logBatches();

function v8Lines(literal: string): number {
  let lines = 0;
  for (const bytes of batches) {
    const text = decoder.decode(bytes);
    for (let i = text.indexOf(literal); i >= 0; i = text.indexOf(literal, i)) {
      lines++;
      const nl = text.indexOf("\n", i);
      if (nl < 0) break;
      i = nl + 1;
    }
  }
  return lines;
}

function wasmLines(literal: string): number {
  const search = byteSearch()!;
  const needle = byteNeedle(literal)!;
  let lines = 0;
  for (const bytes of batches) lines += search.linesWith(bytes, needle, []);
  return lines;
}

const SYMBOLS = {
  memmem: { parameters: ["buffer", "usize", "buffer", "usize"], result: "usize" },
  memchr: { parameters: ["buffer", "i32", "usize"], result: "usize" },
} as const;

function libc() {
  try {
    return Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch {
    return null; // no --allow-ffi, or no glibc
  }
}

const ffi = libc();

function memmemLines(literal: string): number {
  const c = ffi!;
  const needle = encoder.encode(literal);
  let lines = 0;
  for (const bytes of batches) {
    const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
    for (let from = 0; from < bytes.length;) {
      const hit = c.memmem(
        bytes.subarray(from),
        BigInt(bytes.length - from),
        needle,
        BigInt(needle.length),
      );
      if (hit === 0n) break;
      lines++;
      const at = Number(BigInt(hit) - base);
      const nl = c.memchr(bytes.subarray(at), 10, BigInt(bytes.length - at));
      from = nl === 0n ? bytes.length : Number(BigInt(nl) - base) + 1;
    }
  }
  return lines;
}

for (const literal of ["RARETOKEN-x", "ERROR"]) {
  const want = v8Lines(literal);
  Deno.bench(`V8 decode + indexOf: ${literal}`, { group: literal, baseline: true }, () => {
    if (v8Lines(literal) !== want) throw new Error("lines differ");
  });
  Deno.bench(`WebAssembly SIMD: ${literal}`, { group: literal }, () => {
    if (wasmLines(literal) !== want) throw new Error("lines differ");
  });
  if (ffi !== null) {
    Deno.bench(`FFI memmem + memchr: ${literal}`, { group: literal }, () => {
      if (memmemLines(literal) !== want) throw new Error("lines differ");
    });
  }
}
