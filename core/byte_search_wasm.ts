// deno-fmt-ignore-file -- instructions are grouped by hand, a statement to a line
/**
 * The source of byte_search.ts's WebAssembly module: each function's body is a list of
 * instructions that `byteSearchWasm` assembles into a module of ~1 KB, with no toolchain. The
 * loops read 16 bytes at a time with 128-bit SIMD (`v128`), which V8 compiles to SSE/AVX.
 * Assembling takes ~10 ms of cold JavaScript, so programs load the bytes it made, kept in
 * byte_search_wasm_bytes.ts (a test checks they are what this assembles). After a change here:
 *
 *     deno run core/byte_search_wasm.ts > core/byte_search_wasm_bytes.ts
 *
 * Addresses are byte offsets into the memory the instance imports as `env.mem`; every function
 * reads only within the ranges it is given. Comparisons are signed: memory stays below 2 GiB.
 */

import {
  block,
  br,
  brIf,
  type Code,
  END,
  flat,
  FUNC,
  get,
  hexLines,
  I32,
  i32,
  loop,
  name,
  section,
  set,
  simd,
  tee,
  uleb,
  V128,
  vector,
} from "./wasm_encoding.ts";

// Instructions (https://webassembly.github.io/spec/core/binary/instructions.html).
const call = (f: Fn) => [0x10, ...uleb(FUNCTIONS.indexOf(f))];
const ifThen = (...body: Code) => [0x04, 0x40, ...flat(body), END];
const ifElse = (then: Code, otherwise: Code) =>
  [0x04, 0x40, ...flat(then), 0x05, ...flat(otherwise), END];
const load8 = [0x2d, 0, 0]; // i32.load8_u
const store = (offset: number) => [0x36, 2, ...uleb(offset)]; // i32.store
const RETURN = 0x0f;
const EQZ = 0x45, EQ = 0x46, NE = 0x47, LT = 0x48, GT = 0x4a, LE = 0x4c, GE = 0x4e; // i32, signed
const LT_U = 0x49;
const CLZ = 0x67, CTZ = 0x68, POPCNT = 0x69, ADD = 0x6a, SUB = 0x6b, MUL = 0x6c, AND = 0x71;
const OR = 0x72, SHL = 0x74;
const V_LOAD = [0xfd, 0, 0, 0]; // v128.load align=1 offset=0
const V_LOAD16 = [0xfd, 0, 0, 16]; // v128.load align=1 offset=16
const SPLAT8 = simd(0x0f); // i8x16.splat
const EQ8 = simd(0x23); // i8x16.eq
const V_AND = simd(0x4e); // v128.and
const V_OR = simd(0x50); // v128.or
const ANY_TRUE = simd(0x53); // v128.any_true
const BITMASK8 = simd(0x64); // i8x16.bitmask: bit i set when lane i is all ones
const MEMORY_COPY = [0xfc, ...uleb(10), 0, 0]; // memory.copy, memory 0 to memory 0
const NL = 10;

/** A function of the module: i32 parameters, one i32 result, its other locals. */
interface Fn {
  readonly name: string;
  readonly params: number;
  readonly locals: readonly number[];
  readonly body: () => Code;
}

/**
 * memeq(a, b, n): 1 when the n bytes at a and at b are equal. memeqCaseless: the same with the
 * bytes at a read with A–Z as a–z (those at b, a caseless needle's, are lower case already).
 * Locals: 3 the byte at a.
 */
function memeqFn(name: string, caseless: boolean): Fn {
  return {
    name,
    params: 3,
    locals: [I32],
    body: () => [
      block(loop(
        get(2), EQZ, brIf(1), // while n != 0
        get(0), load8,
        caseless ? [tee(3), get(3), ...isUpper, i32(5), SHL, OR] : [], // x | (x is A–Z) << 5
        get(1), load8, NE, ifThen(i32(0), RETURN),
        get(0), i32(1), ADD, set(0),
        get(1), i32(1), ADD, set(1),
        get(2), i32(1), SUB, set(2),
        br(0),
      )),
      i32(1),
    ],
  };
}

/** On a byte x on the stack: 1 when x is A–Z, else 0. */
const isUpper = [i32(0x41), SUB, i32(26), LT_U];
/** On a byte x on the stack: 1 when x is a–z, else 0. */
const isLower = [i32(0x61), SUB, i32(26), LT_U];

const memeq = memeqFn("memeq", false);
const memeqCaseless = memeqFn("memeqCaseless", true);

/**
 * find(at, end, needle, k, p1, p2): the address of the first occurrence of the k needle bytes in
 * [at, end), or -1. SIMD filter (W. Muła's "generic SIMD" substring search): a start s is a
 * candidate when s+p1 holds needle[p1] and s+p2 holds needle[p2] (p1, p2 < k: its rarest bytes,
 * chosen by the caller), 32 starts at a time; candidates are compared in full. findCaseless: the
 * same for a needle in lower case, with A–Z in [at, end) read as a–z (a lane's byte is or'ed
 * with 0x20 where the needle's byte is a letter: only 'E' and 'e' then give 'e').
 * Locals: 6 limit, 7 mask, 8 candidate, 9 needle[p1], 10 needle[p2], 11 first 16, 12 next 16,
 * 13 and 14 (caseless) the or-masks of p1 and p2.
 */
function findFn(name: string, caseless: boolean): Fn {
  const equals = caseless ? memeqCaseless : memeq;
  /** The 16 lanes at the address on the stack compared with probe 1 or 2. */
  const probe = (which: 1 | 2, offset: typeof V_LOAD) => [
    offset,
    caseless ? [get(which === 1 ? 13 : 14), V_OR] : [],
    get(which === 1 ? 9 : 10),
    EQ8,
  ];
  return {
    name,
    params: 6,
    locals: [I32, I32, I32, V128, V128, V128, V128, ...(caseless ? [V128, V128] : [])],
    body: () => [
      get(2), get(4), ADD, load8, SPLAT8, set(9),
      get(2), get(5), ADD, load8, SPLAT8, set(10),
      caseless
        ? [
          get(2), get(4), ADD, load8, ...isLower, i32(5), SHL, SPLAT8, set(13),
          get(2), get(5), ADD, load8, ...isLower, i32(5), SHL, SPLAT8, set(14),
        ]
        : [],
      // The last start whose loads stay below end: at + k - 1 + 32 <= end.
      get(1), get(3), SUB, i32(31), SUB, set(6),
      block( // $done
        block( // $tail
          loop( // 32 starts at a time
            get(0), get(6), GT, brIf(1),
            get(0), get(4), ADD, probe(1, V_LOAD),
            get(0), get(5), ADD, probe(2, V_LOAD), V_AND, set(11),
            get(0), get(4), ADD, probe(1, V_LOAD16),
            get(0), get(5), ADD, probe(2, V_LOAD16), V_AND, set(12),
            get(11), get(12), V_OR, ANY_TRUE,
            ifThen(
              get(11), BITMASK8, get(12), BITMASK8, i32(16), SHL, OR, set(7),
              block(loop( // each candidate, lowest first
                get(7), EQZ, brIf(1),
                get(0), get(7), CTZ, ADD, tee(8), get(2), get(3), call(equals),
                ifThen(get(8), RETURN),
                get(7), get(7), i32(1), SUB, AND, set(7), // clears the lowest bit
                br(0),
              )),
            ),
            get(0), i32(32), ADD, set(0),
            br(0),
          ),
        ),
        loop( // the last starts, one at a time
          get(0), get(3), ADD, get(1), GT, brIf(1),
          get(0), get(2), get(3), call(equals), ifThen(get(0), RETURN),
          get(0), i32(1), ADD, set(0),
          br(0),
        ),
      ),
      i32(-1),
    ],
  };
}

const find = findFn("find", false);
const findCaseless = findFn("findCaseless", true);

/** lineEnd(at, end): the address of the first "\n" in [at, end), or end. Locals: 2 mask, 3 "\n". */
const lineEnd: Fn = {
  name: "lineEnd",
  params: 2,
  locals: [I32, V128],
  body: () => [
    i32(NL), SPLAT8, set(3),
    block(loop(
      get(0), i32(16), ADD, get(1), GT, brIf(1),
      get(0), V_LOAD, get(3), EQ8, BITMASK8, tee(2),
      ifThen(get(0), get(2), CTZ, ADD, RETURN),
      get(0), i32(16), ADD, set(0),
      br(0),
    )),
    block(loop(
      get(0), get(1), GE, brIf(1),
      get(0), load8, i32(NL), EQ, ifThen(get(0), RETURN),
      get(0), i32(1), ADD, set(0),
      br(0),
    )),
    get(1),
  ],
};

/**
 * lineStart(low, at): the address after the last "\n" in [low, at), or low (scanning backwards).
 * Locals: 2 mask, 3 "\n" ×16.
 */
const lineStart: Fn = {
  name: "lineStart",
  params: 2,
  locals: [I32, V128],
  body: () => [
    i32(NL), SPLAT8, set(3),
    block(loop(
      get(1), i32(16), SUB, get(0), LT, brIf(1),
      get(1), i32(16), SUB, V_LOAD, get(3), EQ8, BITMASK8, tee(2),
      // The highest set bit h is the last "\n": at - 16 + h + 1 = at + 16 - clz(mask).
      ifThen(get(1), i32(16), ADD, get(2), CLZ, SUB, RETURN),
      get(1), i32(16), SUB, set(1),
      br(0),
    )),
    block(loop(
      get(1), get(0), LE, brIf(1),
      get(1), i32(1), SUB, load8, i32(NL), EQ, ifThen(get(1), RETURN),
      get(1), i32(1), SUB, set(1),
      br(0),
    )),
    get(0),
  ],
};

/**
 * lines(base, at, end, needle, k, p1, p2, out, cap, maxLines, merge): the lines of [at, end) (at
 * a line start) that hold the needle, as [start, end) pairs relative to base at out + 8 (a line's
 * end is after its "\n"), with a line that starts where the pair before ends merged into it when
 * merge is 1. Stops after cap pairs or maxLines lines; returns where to go on from (end when
 * done), and stores the number of pairs at out and of lines at out + 4.
 * linesCaseless: the same with findCaseless (a needle in lower case, A–Z read as a–z).
 * Locals: 11 pairs, 12 lines, 13 hit, 14 start, 15 line end, 16 previous end, 17 pair address.
 */
function linesFn(name: string, search: Fn): Fn {
  return {
    name,
    params: 11,
    locals: [I32, I32, I32, I32, I32, I32, I32],
    body: () => [
      i32(-1), set(16),
      block(loop(
        get(11), get(8), GE, brIf(1),
        get(12), get(9), GE, brIf(1),
        get(1), get(2), get(3), get(4), get(5), get(6), call(search), tee(13),
        i32(0), LT, ifThen(get(2), set(1), br(2)),
        get(1), get(13), call(lineStart), get(0), SUB, set(14),
        // The needle holds no "\n" but maybe as its last byte: its line ends there or after.
        get(13), get(4), ADD, i32(1), SUB, get(2), call(lineEnd), tee(15),
        get(2), LT, ifThen(get(15), i32(1), ADD, set(15)),
        get(15), get(0), SUB, set(15),
        get(7), get(11), i32(8), MUL, ADD, set(17),
        get(10), get(14), get(16), EQ, AND,
        ifElse(
          [get(17), get(15), store(4)], // the end of the pair before: out + 8 + 8 * (pairs - 1) + 4
          [
            get(17), get(14), store(8),
            get(17), get(15), store(12),
            get(11), i32(1), ADD, set(11),
          ],
        ),
        get(15), set(16),
        get(12), i32(1), ADD, set(12),
        get(15), get(0), ADD, set(1),
        br(0),
      )),
      get(7), get(11), store(0),
      get(7), get(12), store(4),
      get(1),
    ],
  };
}

const lines = linesFn("lines", find);
const linesCaseless = linesFn("linesCaseless", findCaseless);

/** countLines(at, end): the number of "\n" in [at, end). Locals: 2 count, 3 "\n" ×16. */
const countLines: Fn = {
  name: "countLines",
  params: 2,
  locals: [I32, V128],
  body: () => [
    i32(NL), SPLAT8, set(3),
    block(loop(
      get(0), i32(16), ADD, get(1), GT, brIf(1),
      get(2), get(0), V_LOAD, get(3), EQ8, BITMASK8, POPCNT, ADD, set(2),
      get(0), i32(16), ADD, set(0),
      br(0),
    )),
    block(loop(
      get(0), get(1), GE, brIf(1),
      get(2), get(0), load8, i32(NL), EQ, ADD, set(2),
      get(0), i32(1), ADD, set(0),
      br(0),
    )),
    get(2),
  ],
};

/** copy(dst, src, n): copies the n bytes at src to dst (memory.copy); returns dst + n. */
const copy: Fn = {
  name: "copy",
  params: 3,
  locals: [],
  body: () => [
    get(0), get(1), get(2), MEMORY_COPY,
    get(0), get(2), ADD,
  ],
};

/**
 * nonAscii(at, end): the address of the first byte of [at, end) above 0x7f, or end. 32 bytes at
 * a time: such a byte is a lane with its sign bit set, which i8x16.bitmask collects.
 * Locals: 2 mask.
 */
const nonAscii: Fn = {
  name: "nonAscii",
  params: 2,
  locals: [I32],
  body: () => [
    block(loop(
      get(0), i32(32), ADD, get(1), GT, brIf(1),
      get(0), V_LOAD, get(0), V_LOAD16, V_OR, BITMASK8,
      ifThen(
        get(0), V_LOAD, BITMASK8, get(0), V_LOAD16, BITMASK8, i32(16), SHL, OR, set(2),
        get(0), get(2), CTZ, ADD, RETURN,
      ),
      get(0), i32(32), ADD, set(0),
      br(0),
    )),
    block(loop(
      get(0), get(1), GE, brIf(1),
      get(0), load8, i32(0x7f), GT, ifThen(get(0), RETURN),
      get(0), i32(1), ADD, set(0),
      br(0),
    )),
    get(1),
  ],
};

/**
 * separators(base, at, end, out, cap, b1, b2): the addresses of the bytes b1, b2 and "\n" in
 * [at, end) (at a line start), relative to base, as i32 at out + 8, in order, at most cap. When
 * they do not all fit, only those of whole lines are kept: the count at out is then the entries
 * up to the last "\n" that fit, and the result the address after it (at when not one line fits);
 * otherwise every entry is kept and the result is end. While 16 more entries fit, a block's
 * entries are written without a check each, and its "\n" found from a mask of their own (the
 * first four are written whatever the block holds: past the count, but within cap).
 * Locals: 7 mask, 8 count, 9 count up to the last "\n", 10 after it, 11 address, 12 b1 ×16,
 * 13 b2 ×16, 14 "\n" ×16, 15 16 bytes, 16 "\n" mask, 17 where the next entry goes.
 */
const separators: Fn = {
  name: "separators",
  params: 7,
  locals: [I32, I32, I32, I32, I32, V128, V128, V128, V128, I32, I32, V128],
  body: () => {
    const record = [ // the entry at local 11, its count checked
      get(3), get(8), i32(4), MUL, ADD, get(11), get(0), SUB, store(8),
      get(8), i32(1), ADD, set(8),
      get(11), load8, i32(NL), EQ, ifThen(get(8), set(9), get(11), i32(1), ADD, set(10)),
    ];
    const wanted = (v: number) => [get(v), get(12), EQ8, get(v), get(13), EQ8, V_OR, BITMASK8];
    return [
      get(5), SPLAT8, set(12), get(6), SPLAT8, set(13), i32(NL), SPLAT8, set(14),
      get(1), set(10),
      block( // $full
        block( // $tail
          loop( // 32 bytes at a time
            get(1), i32(32), ADD, get(2), GT, brIf(1),
            get(1), V_LOAD, tee(15), get(14), EQ8, BITMASK8,
            get(1), V_LOAD16, tee(18), get(14), EQ8, BITMASK8, i32(16), SHL, OR, tee(16),
            ...wanted(15), OR, ...wanted(18), i32(16), SHL, OR, tee(7),
            ifThen(
              get(8), i32(32), ADD, get(4), LE,
              ifElse(
                [ // room for the block: the first entries written whatever the mask holds (a
                  // branch each mispredicts too often), the rest in a loop
                  get(16), ifThen( // its last "\n" is bit 31 - clz: the entries up to it count
                    get(8), get(7), i32(2), i32(31), get(16), CLZ, SUB, SHL, i32(1), SUB, AND,
                    POPCNT, ADD, set(9),
                    get(1), i32(32), ADD, get(16), CLZ, SUB, set(10),
                  ),
                  get(3), get(8), i32(4), MUL, ADD, set(17),
                  get(8), get(7), POPCNT, ADD, set(8),
                  get(1), get(0), SUB, set(11),
                  ...Array.from({ length: UNROLL }, (_, i) => [
                    get(17), get(11), get(7), CTZ, ADD, store(8 + 4 * i),
                    get(7), get(7), i32(1), SUB, AND, set(7),
                  ]),
                  block(loop(
                    get(7), EQZ, brIf(1),
                    get(17), get(11), get(7), CTZ, ADD, store(8 + 4 * UNROLL),
                    get(17), i32(4), ADD, set(17),
                    get(7), get(7), i32(1), SUB, AND, set(7),
                    br(0),
                  )),
                ],
                [
                  block(loop( // near the room's end: each entry checked
                    get(7), EQZ, brIf(1),
                    get(8), get(4), GE, brIf(6),
                    get(1), get(7), CTZ, ADD, set(11),
                    ...record,
                    get(7), get(7), i32(1), SUB, AND, set(7),
                    br(0),
                  )),
                ],
              ),
            ),
            get(1), i32(32), ADD, set(1),
            br(0),
          ),
        ),
        block(loop( // the last bytes, one at a time
          get(1), get(2), GE, brIf(1),
          get(1), load8, tee(7), get(5), EQ, get(7), get(6), EQ, OR, get(7), i32(NL), EQ, OR,
          ifThen(
            get(8), get(4), GE, brIf(3),
            get(1), set(11),
            ...record,
          ),
          get(1), i32(1), ADD, set(1),
          br(0),
        )),
        get(3), get(8), store(0),
        get(2), RETURN,
      ),
      get(3), get(9), store(0),
      get(10),
    ];
  },
};
/** Entries `separators` writes for a block before it looks whether the block has more. */
const UNROLL = 6;

const FUNCTIONS: readonly Fn[] = [
  memeq,
  find,
  lineEnd,
  lineStart,
  lines,
  countLines,
  separators,
  nonAscii,
  memeqCaseless,
  findCaseless,
  linesCaseless,
  copy,
];

/** The exports of an instance (every function takes and returns i32). */
export interface ByteSearchExports {
  find(at: number, end: number, needle: number, k: number, p1: number, p2: number): number;
  findCaseless(at: number, end: number, needle: number, k: number, p1: number, p2: number): number;
  lineEnd(at: number, end: number): number;
  lineStart(low: number, at: number): number;
  lines(
    base: number, at: number, end: number, needle: number, k: number, p1: number, p2: number,
    out: number, cap: number, maxLines: number, merge: number,
  ): number;
  linesCaseless(
    base: number, at: number, end: number, needle: number, k: number, p1: number, p2: number,
    out: number, cap: number, maxLines: number, merge: number,
  ): number;
  countLines(at: number, end: number): number;
  separators(
    base: number, at: number, end: number, out: number, cap: number, b1: number, b2: number,
  ): number;
  nonAscii(at: number, end: number): number;
  copy(dst: number, src: number, n: number): number;
}

/** The module's bytes: imports its memory as `env.mem`, exports the functions above. */
export function byteSearchWasm(): Uint8Array<ArrayBuffer> {
  const types = FUNCTIONS.map((f) => [FUNC, ...uleb(f.params), ...Array(f.params).fill(I32)]);
  for (const type of types) type.push(1, I32); // one i32 result
  const memoryImport = [...name("env"), ...name("mem"), 0x02, 0x00, 0x01]; // memory, min 1 page
  const exports = FUNCTIONS.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const bodies = FUNCTIONS.map((f) => {
    const body = [...vector(f.locals.map((t) => [1, t])), ...flat(f.body()), END];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(FUNCTIONS.map((_, i) => uleb(i)))),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}

/** byte_search_wasm_bytes.ts for the module assembled here (hex: atob is slow on first use). */
export function byteSearchWasmModule(): string {
  const lines = hexLines(byteSearchWasm()).map((line) => `  "${line}",`).join("\n");
  return `/** Generated from byte_search_wasm.ts by \`deno run core/byte_search_wasm.ts\`. */
export const BYTE_SEARCH_WASM_HEX = [
${lines}
].join("");
`;
}

if (import.meta.main) console.log(byteSearchWasmModule().trimEnd());
