/**
 * The fuzz target of compressed input: gzip members and zstd frames (with and without checksums,
 * skippable frames between them) of random log text, whole or damaged (cut, bytes changed, noise
 * inserted or appended), read in random chunk sizes by every decoder (core/decompress.ts: gzip;
 * zstd through libzstd, node:zlib and, for whole input, fzstd). Whole input decodes to its text
 * exactly; damage is a CorruptInputError and never an exception of another kind. (Decoders differ
 * on damaged input: what damage they notice, and what they make of a damaged frame without a
 * checksum; docs/decisions.md.)
 */
import zlib from "node:zlib";
import { concatBytes } from "../../core/bytes.ts";
import { CorruptInputError } from "../../core/compression.ts";
import { decompress, type ZstdEngine } from "../../core/decompress.ts";
import { callAsync, Failure, type Target } from "./checks.ts";
import { lineText, randomBytes, type Rng } from "./mutate.ts";

interface CompressedInput {
  readonly kind: "gzip" | "zstd";
  readonly text: string;
  readonly bytes: Uint8Array;
  readonly damaged: boolean;
  readonly chunk: number;
}

const ZSTD_ENGINES: readonly ZstdEngine[] = ["libzstd", "node", "fzstd"];
const dec = new TextDecoder();

export const compressedTarget: Target = {
  name: "compressed",
  input(rng): CompressedInput {
    const kind = rng.chance(0.5) ? "gzip" : "zstd";
    // The text as its UTF-8 bytes say it (a lone surrogate is U+FFFD there).
    const raw = new TextEncoder().encode(lineText(rng).slice(0, 30_000));
    const text = dec.decode(raw);
    const members: Uint8Array[] = [];
    let at = 0;
    for (let n = 1 + rng.int(3); n > 0; n--) {
      const end = n === 1 ? raw.length : at + rng.int(raw.length - at + 1);
      members.push(compress(rng, kind, raw.subarray(at, end)));
      if (kind === "zstd" && rng.chance(0.2)) members.push(skippableFrame(rng));
      at = end;
    }
    let bytes: Uint8Array = concatBytes(...members);
    const damaged = rng.chance(0.6);
    if (damaged) bytes = damage(rng, bytes);
    return { kind, text, bytes, damaged, chunk: 1 + rng.size(70_000) };
  },
  async run(input: CompressedInput) {
    // fzstd, the last fallback (never used where node:zlib has zstd, as in Deno 2.9), checks no
    // content checksum and allocates whatever window a frame asks for (docs/decisions.md): it is
    // held to whole input only.
    const zstd = input.damaged ? ZSTD_ENGINES.filter((e) => e !== "fzstd") : ZSTD_ENGINES;
    const engines = input.kind === "gzip" ? [undefined] : zstd;
    const results: { engine: string; text: string; error: string | null }[] = [];
    for (const engine of engines) {
      const got = await callAsync(
        `decompress ${input.kind} ${engine ?? ""}`,
        [],
        () => decodeAll(input, engine),
      );
      results.push({ engine: engine ?? "gzip", ...got! });
    }
    for (const r of results) {
      if (!input.damaged && (r.error !== null || r.text !== input.text)) {
        throw new Failure(`${r.engine}: whole input decoded wrong (error: ${r.error})`);
      }
    }
  },
};

/** The text a decoder yields, and the CorruptInputError's message if it ended with one. */
async function decodeAll(
  input: CompressedInput,
  engine: ZstdEngine | undefined,
): Promise<{ text: string; error: string | null }> {
  const { bytes, chunk } = input;
  async function* chunks() {
    // A reused buffer, as a file source gives: the decoder must not keep a chunk.
    const buffer = new Uint8Array(chunk);
    for (let at = 0; at < bytes.length; at += chunk) {
      const piece = bytes.subarray(at, at + chunk);
      buffer.set(piece);
      yield buffer.subarray(0, piece.length);
      buffer.fill(0xee);
    }
  }
  const parts: Uint8Array[] = [];
  try {
    const options = engine === undefined ? {} : { zstd: engine };
    for await (const part of decompress(input.kind, chunks(), "x", options)) {
      parts.push(part.slice());
    }
    return { text: dec.decode(concatBytes(...parts)), error: null };
  } catch (err) {
    if (!(err instanceof CorruptInputError)) throw err;
    return { text: dec.decode(concatBytes(...parts)), error: err.message };
  }
}

/** node:zlib's zstd, which Deno 2.9 has and its types do not (core/zlib_handle.ts). */
interface ZlibZstd {
  readonly constants: { readonly ZSTD_c_compressionLevel: number; ZSTD_c_checksumFlag: number };
  zstdCompressSync(data: Uint8Array, options: { params: Record<number, number> }): Uint8Array;
}

function compress(rng: Rng, kind: "gzip" | "zstd", text: Uint8Array): Uint8Array {
  if (kind === "gzip") return new Uint8Array(zlib.gzipSync(text, { level: 1 + rng.int(9) }));
  const z = zlib as unknown as ZlibZstd;
  const params = {
    [z.constants.ZSTD_c_compressionLevel]: rng.pick([1, 3, 6, 9]),
    [z.constants.ZSTD_c_checksumFlag]: rng.chance(0.5) ? 1 : 0,
  };
  return new Uint8Array(z.zstdCompressSync(text, { params }));
}

/** A zstd skippable frame: magic 0x184D2A5?, a little-endian size, that many bytes. */
function skippableFrame(rng: Rng): Uint8Array {
  const data = randomBytes(rng, rng.size(64));
  const frame = new Uint8Array(8 + data.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, 0x184d2a50 + rng.int(16), true);
  view.setUint32(4, data.length, true);
  frame.set(data, 8);
  return frame;
}

/** Cut short, a few bytes changed, noise inserted or appended. */
function damage(rng: Rng, bytes: Uint8Array): Uint8Array {
  const out = [...bytes];
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const at = rng.int(out.length + 1);
    switch (rng.int(4)) {
      case 0:
        out.length = at;
        break;
      case 1:
        if (at < out.length) out[at] = out[at]! ^ (1 << rng.int(8));
        break;
      case 2:
        out.splice(at, 0, ...randomBytes(rng, 1 + rng.size(40)));
        break;
      default:
        out.push(...randomBytes(rng, 1 + rng.size(40)));
    }
  }
  return new Uint8Array(out);
}
