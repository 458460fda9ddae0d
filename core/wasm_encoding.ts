/**
 * The WebAssembly binary encoding that the hand-assembled modules share (core/byte_search_wasm.ts,
 * ssh/chacha_poly_wasm.ts): numbers, nested code, the structured instructions and module sections
 * (https://webassembly.github.io/spec/core/binary/).
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;
export const FUNC = 0x60;
export const END = 0x0b;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** Instruction bytes, nested as written. */
export type Code = readonly (number | Code)[];
export const flat = (code: Code): number[] =>
  code.flatMap((x) => typeof x === "number" ? [x] : flat(x));

export const get = (i: number) => [0x20, ...uleb(i)]; // local.get
export const set = (i: number) => [0x21, ...uleb(i)]; // local.set
export const tee = (i: number) => [0x22, ...uleb(i)]; // local.tee
export const i32 = (n: number) => [0x41, ...sleb(n)]; // i32.const
export const br = (depth: number) => [0x0c, ...uleb(depth)];
export const brIf = (depth: number) => [0x0d, ...uleb(depth)];
export const block = (...body: Code) => [0x02, 0x40, ...flat(body), END];
export const loop = (...body: Code) => [0x03, 0x40, ...flat(body), END];
export const simd = (op: number) => [0xfd, ...uleb(op)];

const encoder = new TextEncoder();
export const name = (s: string) => {
  const b = [...encoder.encode(s)];
  return [...uleb(b.length), ...b];
};
export const vector = (items: readonly number[][]) => [...uleb(items.length), ...items.flat()];
export const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** A module's bytes as hex lines of 96 characters, for the generated `_bytes.ts` files. */
export function hexLines(bytes: Uint8Array): string[] {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return hex.match(/.{1,96}/g) ?? [];
}
