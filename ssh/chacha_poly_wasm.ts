// deno-fmt-ignore-file -- instructions are grouped by hand, a statement to a line
/**
 * The source of chacha_poly.ts's WebAssembly module, assembled with no toolchain like
 * core/byte_search_wasm.ts: ChaCha20 four blocks at a time with 128-bit SIMD, and Poly1305's
 * block loop on 64-bit integers, one block at a time and four at a time in SIMD (each lane
 * multiplies a block by its power of r: 32 × 32 → 64-bit products, the lanes summed before
 * the carries). Programs load the bytes it made, kept in
 * chacha_poly_wasm_bytes.ts (a test checks they are what this assembles). After a change here:
 *
 *     deno run ssh/chacha_poly_wasm.ts > ssh/chacha_poly_wasm_bytes.ts
 *
 * The module has its own memory (exported as `mem`); chacha_poly.ts lays it out.
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
  I64,
  loop,
  name,
  section,
  set,
  simd,
  sleb,
  tee,
  uleb,
  V128,
  vector,
} from "../core/wasm_encoding.ts";

const load32 = (offset: number) => [0x28, 0, ...uleb(offset)]; // i32.load
const store32 = (offset: number) => [0x36, 0, ...uleb(offset)]; // i32.store
const load64u32 = (offset: number) => [0x35, 0, ...uleb(offset)]; // i64.load32_u
const store64as32 = (offset: number) => [0x3e, 0, ...uleb(offset)]; // i64.store32
const GE = 0x4e, ADD = 0x6a, SUB = 0x6b, AND = 0x71, OR = 0x72, SHR_U = 0x76; // i32
const ADD64 = 0x7c, MUL64 = 0x7e, AND64 = 0x83, SHR_U64 = 0x88, EXTEND_U = 0xad;
const i64 = (n: number) => [0x42, ...sleb(n)]; // i64.const (small values only)
const vLoad = (offset: number) => [...simd(0x00), 0, ...uleb(offset)]; // v128.load
const vStore = (offset: number) => [...simd(0x0b), 0, ...uleb(offset)]; // v128.store
const shuffle = (lanes: readonly number[]) => [...simd(0x0d), ...lanes];
const vConst32 = (words: readonly number[]) =>
  [...simd(0x0c), ...words.flatMap((w) => [w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24])];
const SPLAT32 = simd(0x11); // i32x4.splat
const V_OR = simd(0x50);
const V_XOR = simd(0x51);
const SHL32 = simd(0xab); // i32x4.shl
const SHR_U32 = simd(0xad); // i32x4.shr_u
const ADD32 = simd(0xae); // i32x4.add

/** Byte lanes rotating each 32-bit lane left by 16 and by 8 (little endian). */
const ROT16 = [2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13];
const ROT8 = [3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14];
/** Interleave the low (high) two 32-bit lanes of two vectors; the low (high) 64 bits of two. */
const LO32 = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
const HI32 = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];
const LO64 = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
const HI64 = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];

interface Fn {
  readonly name: string;
  readonly params: number;
  /** Local types after the i32 parameters. */
  readonly locals: readonly number[];
  readonly body: () => Code;
}

// chacha locals: 0 state, 1 at, 2 end; x0..x15 the words of 4 blocks (one block per lane), a
// temporary, the round counter, two transpose temporaries. The input words are loaded again at
// the end rather than kept: 16 more live vectors would not fit in registers.
const X = 3, T = 19, N = 20, TA = 21, TB = 22;

function quarterRound(a: number, b: number, c: number, d: number): Code {
  const [A, B, C, D] = [X + a, X + b, X + c, X + d];
  return [
    get(A), get(B), ADD32, set(A),
    get(D), get(A), V_XOR, tee(T), get(T), shuffle(ROT16), set(D),
    get(C), get(D), ADD32, set(C),
    get(B), get(C), V_XOR, tee(T), i32(12), SHL32, get(T), i32(20), SHR_U32, V_OR, set(B),
    get(A), get(B), ADD32, set(A),
    get(D), get(A), V_XOR, tee(T), get(T), shuffle(ROT8), set(D),
    get(C), get(D), ADD32, set(C),
    get(B), get(C), V_XOR, tee(T), i32(7), SHL32, get(T), i32(25), SHR_U32, V_OR, set(B),
  ];
}

/** Words 4g..4g+3 of the 4 blocks, transposed to each block's bytes and xored into memory. */
function xorGroup(g: number): Code {
  const [a, b, c, d] = [X + 4 * g, X + 4 * g + 1, X + 4 * g + 2, X + 4 * g + 3];
  const out = (block: number, row: Code): Code => [
    get(1), get(1), vLoad(64 * block + 16 * g), row, V_XOR, vStore(64 * block + 16 * g),
  ];
  return [
    get(a), get(b), shuffle(LO32), get(c), get(d), shuffle(LO32), set(TB), set(TA),
    out(0, [get(TA), get(TB), shuffle(LO64)]),
    out(1, [get(TA), get(TB), shuffle(HI64)]),
    get(a), get(b), shuffle(HI32), get(c), get(d), shuffle(HI32), set(TB), set(TA),
    out(2, [get(TA), get(TB), shuffle(LO64)]),
    out(3, [get(TA), get(TB), shuffle(HI64)]),
  ];
}

/**
 * chacha(state, at, end): xors [at, end) with the ChaCha20 key stream of the 16-word state at
 * `state` (RFC 8439 layout, word 12 the block counter), 256 bytes (4 blocks) at a time; end - at
 * is a multiple of 256. Word 12 is left at the next unused block.
 */
const chacha: Fn = {
  name: "chacha",
  params: 3,
  locals: [...Array(17).fill(V128), I32, V128, V128],
  body: () => [
    block(loop(
      get(1), get(2), GE, brIf(1),
      Array.from({ length: 16 }, (_, i) => [
        get(0), load32(4 * i), SPLAT32,
        i === 12 ? [vConst32([0, 1, 2, 3]), ADD32] : [],
        set(X + i),
      ]),
      i32(10), set(N),
      loop(
        quarterRound(0, 4, 8, 12), quarterRound(1, 5, 9, 13),
        quarterRound(2, 6, 10, 14), quarterRound(3, 7, 11, 15),
        quarterRound(0, 5, 10, 15), quarterRound(1, 6, 11, 12),
        quarterRound(2, 7, 8, 13), quarterRound(3, 4, 9, 14),
        get(N), i32(1), SUB, tee(N), brIf(0),
      ),
      Array.from({ length: 16 }, (_, i) => [
        get(X + i), get(0), load32(4 * i), SPLAT32,
        i === 12 ? [vConst32([0, 1, 2, 3]), ADD32] : [],
        ADD32, set(X + i),
      ]),
      [0, 1, 2, 3].map(xorGroup),
      get(0), get(0), load32(48), i32(4), ADD, store32(48),
      get(1), i32(256), ADD, set(1),
      br(0),
    )),
  ],
};

// poly locals: 0 context, 1 at, 2 end, 3 high bit; h0..h4, r0..r4, s1..s4, d0..d4, carry.
const H = 4, R = 9, S = 13, D = 18, C = 23; // S + i is s_i (i = 1..4)
const MASK26 = 0x3ffffff;

/** d_k = sum of h_i * (r_{k-i}, or 5 r_{k-i+5} as s_{k-i+5} when k < i). */
function product(k: number): Code {
  const terms = [0, 1, 2, 3, 4].map((i) => {
    const j = k - i;
    return [get(H + i), j >= 0 ? get(R + j) : get(S + j + 5), MUL64];
  });
  return [terms[0]!, terms.slice(1).map((t) => [t, ADD64]), set(D + k)];
}

/**
 * The limbs h0..h4 (locals from `h`) from the five 64-bit sums d0..d4 (from `d`): carried into 26
 * bits each, the top's carry times 5 into h0 (2^130 = 5 mod p), as poly1305-donna-32; `c` a temporary.
 */
function carries(h: number, d: number, c: number): Code {
  return [
    get(d), i64(26), SHR_U64, set(c), get(d), i64(MASK26), AND64, set(h),
    [1, 2, 3, 4].map((k) => [
      get(d + k), get(c), ADD64, tee(d + k), i64(26), SHR_U64, set(c),
      get(d + k), i64(MASK26), AND64, set(h + k),
    ]),
    get(h), get(c), i64(5), MUL64, ADD64, tee(h), i64(26), SHR_U64, set(c),
    get(h), i64(MASK26), AND64, set(h),
    get(h + 1), get(c), ADD64, set(h + 1),
  ];
}

/** Adds 26 bits of the 16-byte block at `at` from byte `offset`, shifted right by `shift`. */
function addLimb(i: number, offset: number, shift: number, last: boolean): Code {
  return [
    get(H + i),
    get(1), load32(offset), i32(shift), SHR_U, last ? [get(3), OR] : [i32(MASK26), AND],
    EXTEND_U, ADD64, set(H + i),
  ];
}

/**
 * poly(context, at, end, highBit): Poly1305's block loop (26-bit limbs, as poly1305-donna-32)
 * over the 16-byte blocks of [at, end). The context holds h0..h4 (updated), r0..r4 and s1..s4
 * as 32-bit words; highBit is 1 << 24 for whole blocks and 0 for a padded last one.
 */
const poly: Fn = {
  name: "poly",
  params: 4,
  locals: Array(20).fill(I64),
  body: () => [
    [0, 1, 2, 3, 4].map((i) => [get(0), load64u32(4 * i), set(H + i)]),
    [0, 1, 2, 3, 4].map((i) => [get(0), load64u32(20 + 4 * i), set(R + i)]),
    [1, 2, 3, 4].map((i) => [get(0), load64u32(36 + 4 * i), set(S + i)]),
    block(loop(
      get(1), get(2), GE, brIf(1),
      addLimb(0, 0, 0, false), addLimb(1, 3, 2, false), addLimb(2, 6, 4, false),
      addLimb(3, 9, 6, false), addLimb(4, 12, 8, true),
      [0, 1, 2, 3, 4].map(product),
      carries(H, D, C),
      get(1), i32(16), ADD, set(1),
      br(0),
    )),
    [0, 1, 2, 3, 4].map((i) => [get(0), get(H + i), store64as32(4 * i)]),
  ],
};

const V_AND = simd(0x4e);
const EXTRACT32 = (lane: number) => [...simd(0x1b), lane]; // i32x4.extract_lane
const REPLACE32 = (lane: number) => [...simd(0x1c), lane]; // i32x4.replace_lane
const EXTRACT64 = (lane: number) => [...simd(0x1d), lane]; // i64x2.extract_lane
const ADD64X2 = simd(0xce); // i64x2.add
const MUL_LO = simd(0xde); // i64x2.extmul_low_i32x4_u
const MUL_HI = simd(0xdf); // i64x2.extmul_high_i32x4_u
const load32Zero = (offset: number) => [...simd(0x5c), 0, ...uleb(offset)]; // v128.load32_zero
const load32Lane = (offset: number, lane: number) => [...simd(0x56), 0, ...uleb(offset), lane];
const WRAP = 0xa7; // i32.wrap_i64

// poly4 locals: 0 context, 1 powers, 2 at, 3 end; h0..h4, d0..d4, carry (i64); the powers'
// vectors B0..B4 and S1..S4, the blocks' limbs A0..A4, a sum, the mask and the high bit (v128).
const P4H = 4, P4D = 9, P4C = 14, PB = 15, PS = 20, PA = 24, SUM = 29, MASKV = 30, HIGHV = 31;
const LIMBS = [[0, 0], [3, 2], [6, 4], [9, 6], [12, 8]] as const; // byte offset, shift

/** Limb i of the 4 blocks at `at`, one block per lane; h_i added to the first block's. */
function limbs4(i: number): Code {
  const [offset, shift] = LIMBS[i]!;
  const A = PA + i;
  return [
    get(2), load32Zero(offset), set(A),
    [1, 2, 3].map((lane) => [get(2), get(A), load32Lane(16 * lane + offset, lane), set(A)]),
    get(A), shift > 0 ? [i32(shift), SHR_U32] : [], i === 4 ? [get(HIGHV), V_OR] : [get(MASKV), V_AND],
    tee(A), get(A), EXTRACT32(0), get(P4H + i), WRAP, ADD, REPLACE32(0), set(A),
  ];
}

/** d_k over the four lanes: sum of A_i times B_{k-i}, or S_{k-i+5} when k < i. */
function product4(k: number): Code {
  const terms = [0, 1, 2, 3, 4].map((i) => {
    const j = k - i;
    const w = j >= 0 ? PB + j : PS + j + 4; // S_{j+5} is at PS + (j + 5) - 1
    return [get(PA + i), get(w), MUL_LO, get(PA + i), get(w), MUL_HI, ADD64X2];
  });
  return [
    terms[0]!, terms.slice(1).map((t) => [t, ADD64X2]),
    tee(SUM), EXTRACT64(0), get(SUM), EXTRACT64(1), ADD64, set(P4D + k),
  ];
}

/**
 * poly4(context, powers, at, end): the block loop of `poly` four blocks at a time, for whole
 * blocks (end - at a multiple of 64): h = (h + m0) r^4 + m1 r^3 + m2 r^2 + m3 r. `powers` holds
 * the vectors (r^4_j, r^3_j, r^2_j, r_j) for j = 0..4, then the same times 5 for j = 1..4.
 */
const poly4: Fn = {
  name: "poly4",
  params: 4,
  locals: [...Array(11).fill(I64), ...Array(17).fill(V128)],
  body: () => [
    [0, 1, 2, 3, 4].map((i) => [get(0), load64u32(4 * i), set(P4H + i)]),
    [0, 1, 2, 3, 4].map((j) => [get(1), vLoad(16 * j), set(PB + j)]),
    [1, 2, 3, 4].map((j) => [get(1), vLoad(80 + 16 * (j - 1)), set(PS + j - 1)]),
    i32(MASK26), SPLAT32, set(MASKV), i32(1 << 24), SPLAT32, set(HIGHV),
    block(loop(
      get(2), get(3), GE, brIf(1),
      [0, 1, 2, 3, 4].map(limbs4),
      [0, 1, 2, 3, 4].map(product4),
      carries(P4H, P4D, P4C),
      get(2), i32(64), ADD, set(2),
      br(0),
    )),
    [0, 1, 2, 3, 4].map((i) => [get(0), get(P4H + i), store64as32(4 * i)]),
  ],
};

const FUNCTIONS: readonly Fn[] = [chacha, poly, poly4];

function localGroups(types: readonly number[]): number[][] {
  const groups: number[][] = [];
  for (const t of types) {
    const last = groups.at(-1);
    if (last !== undefined && last[1] === t) last[0]!++;
    else groups.push([1, t]);
  }
  return groups.map(([count, t]) => [...uleb(count!), t!]);
}

/** Pages of the module's memory (64 KiB each). */
export const CHACHA_POLY_PAGES = 3;

/** The module's bytes: its own memory exported as `mem`, and the functions above. */
export function chachaPolyWasm(): Uint8Array<ArrayBuffer> {
  const types = FUNCTIONS.map((f) => [FUNC, ...uleb(f.params), ...Array(f.params).fill(I32), 0]);
  const bodies = FUNCTIONS.map((f) => {
    const code = [...vector(localGroups(f.locals)), ...flat(f.body()), END];
    return [...uleb(code.length), ...code];
  });
  const exports = [
    ...FUNCTIONS.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
    [...name("mem"), 0x02, 0],
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(3, vector(FUNCTIONS.map((_, i) => uleb(i)))),
    ...section(5, vector([[0x00, ...uleb(CHACHA_POLY_PAGES)]])),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}

/** The TypeScript file that keeps the module's bytes. */
export function chachaPolyWasmModule(): string {
  const lines = hexLines(chachaPolyWasm());
  return [
    "/** Generated from chacha_poly_wasm.ts by `deno run ssh/chacha_poly_wasm.ts`. */",
    "/** Pages of the module's memory (64 KiB each). */",
    `export const CHACHA_POLY_PAGES = ${CHACHA_POLY_PAGES};`,
    "export const CHACHA_POLY_WASM_HEX = [",
    ...lines.map((l) => `  "${l}",`),
    '].join("");',
    "",
  ].join("\n");
}

if (import.meta.main) console.log(chachaPolyWasmModule().trimEnd());
