/**
 * Packs self-extracting executables: the C stub of tools/sfx/stub.c followed by a payload (the
 * files, zlib-compressed, and a manifest) and a 128-byte trailer. The stub unpacks the payload
 * once per user into a cache directory keyed by the payload's SHA-256 and execs one of its files.
 *
 * File layout: [stub][blob 0 .. blob n-1][manifest][trailer]. Blobs are zlib streams (RFC 1950,
 * deflateSync level 9), contiguous from payload offset 0 in manifest order; the manifest ends the
 * payload. Integers are little-endian.
 *
 * Trailer (128 bytes): "DTAILSFX", u32 version 1, u32 trailer size 128, u64 payload offset,
 * u64 payload length, u64 manifest offset (in the payload), u64 manifest length, u32 manifest
 * CRC-32, u32 0, 64 bytes SHA-256 of the payload in lowercase hex, u32 0, u32 CRC-32 of bytes
 * 0..123.
 *
 * Manifest: "DTSFXMF1", u32 file count, per file (u16 name length, name, u32 mode, u64 size,
 * u32 CRC-32 of the content, u64 blob offset, u64 blob length), u16 exec name length + exec name,
 * u32 argv count + (u32 length, string) each, u32 env count + (u32 length, "NAME=value") each.
 *
 * The stub documents the run-time side (cache location, checks, stamp, exec): tools/sfx/stub.c.
 *
 * CLI:
 *   deno run -A tools/sfx/pack.ts stub <out>
 *   deno run -A tools/sfx/pack.ts pack --stub S --out O --exec NAME
 *     --file NAME=PATH[:MODE] ... --arg A ... --env NAME=VALUE ...
 */
import * as zlib from "node:zlib";
import { deflateSync } from "node:zlib";
import { createHash } from "node:crypto";

export const TRAILER_SIZE = 128;
export const FORMAT_VERSION = 1;
/** Files in one payload: each code-split chunk of the bundle is one (about 70 in 2026-12). */
export const MAX_FILES = 256;
export const MAX_STRINGS = 64;
export const MAX_STRING = 4096;
const MAX_MANIFEST = 1 << 20;
const MAX_FILE_SIZE = 2 ** 32;

// Deno has node:zlib's crc32 (Node ≥ 22), its type definitions not yet.
const crc32 = (zlib as unknown as { crc32(data: Uint8Array): number }).crc32;

const STUB_SOURCE = new URL("./stub.c", import.meta.url).pathname;

export interface SfxFile {
  /** Name in the extraction directory: one or two components of [A-Za-z0-9._+-], no leading dot. */
  name: string;
  /** File to read. */
  path: string;
  /** Only the owner-execute bit counts: the file is extracted 0700 or 0600. */
  mode: number;
}

export interface SfxOptions {
  /** The stub built by buildStub. */
  stub: string;
  /** The self-extracting executable to write (replaced atomically, mode 0755). */
  out: string;
  files: SfxFile[];
  /** Name of the file to exec (one of files, with the execute bit). */
  exec: string;
  /** argv template; "{dir}" is the extraction directory; the user's arguments follow. */
  argv: string[];
  /** Extra environment, "NAME=value" with "{dir}" allowed. */
  env: string[];
}

export class SfxError extends Error {
  override name = "SfxError";
}

export interface StubOptions {
  /**
   * Link glibc statically too (static-pie, default): the stub then runs on any x86-64 Linux
   * whatever its glibc, while a dynamic stub needs the glibc it was built against or newer
   * (2.34 on Debian 12, more than Deno's own 2.27).
   */
  staticLibc?: boolean;
  /** C compiler; default: cc, then gcc. */
  cc?: string;
}

async function output(cmd: string, args: string[]): Promise<Deno.CommandOutput | null> {
  try {
    return await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

async function findCompiler(preferred?: string): Promise<string> {
  for (const cc of preferred ? [preferred] : ["cc", "gcc"]) {
    const out = await output(cc, ["--version"]);
    if (out?.success) return cc;
  }
  throw new SfxError(
    `buildStub: no C compiler (${preferred ?? "cc or gcc"}) found in PATH; install gcc`,
  );
}

/** The library's absolute path as the compiler finds it, or null. */
async function findLibrary(cc: string, file: string): Promise<string | null> {
  const out = await output(cc, [`-print-file-name=${file}`]);
  const path = out?.success ? new TextDecoder().decode(out.stdout).trim() : "";
  if (!path.startsWith("/")) return null;
  try {
    return (await Deno.stat(path)).isFile ? await Deno.realPath(path) : null;
  } catch {
    return null;
  }
}

/** Compiles tools/sfx/stub.c into outPath with zlib (and by default glibc) linked statically. */
export async function buildStub(outPath: string, options: StubOptions = {}): Promise<void> {
  const cc = await findCompiler(options.cc);
  const libz = await findLibrary(cc, "libz.a");
  if (!libz) {
    throw new SfxError(`buildStub: ${cc} finds no libz.a (install zlib1g-dev or zlib-devel)`);
  }
  const staticLibc = options.staticLibc ?? true;
  if (staticLibc && !(await findLibrary(cc, "libc.a"))) {
    throw new SfxError(
      `buildStub: ${cc} finds no libc.a for a static stub (install libc6-dev or glibc-static, ` +
        `or pass staticLibc: false)`,
    );
  }
  const tmp = `${outPath}.tmp-${Deno.pid}`;
  const args = [
    "-std=c99",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-D_FORTIFY_SOURCE=2",
    "-fstack-protector-strong",
    ...(staticLibc ? ["-static-pie"] : ["-fPIE", "-pie"]),
    "-Wl,-z,relro,-z,now",
    "-s",
    "-o",
    tmp,
    STUB_SOURCE,
    libz,
  ];
  const out = await output(cc, args);
  if (!out?.success) {
    await Deno.remove(tmp).catch(() => {});
    const err = new TextDecoder().decode(out?.stderr ?? new Uint8Array()).trim();
    throw new SfxError(`buildStub: ${cc} ${args.join(" ")} failed:\n${err}`);
  }
  await Deno.rename(tmp, outPath);
}

const NAME_COMPONENT = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkName(name: string): void {
  const parts = name.split("/");
  if (parts.length > 2 || !parts.every((p) => NAME_COMPONENT.test(p)) || name.length > 255) {
    throw new SfxError(
      `packSfx: file name ${
        JSON.stringify(name)
      } must be one or two components of [A-Za-z0-9._+-] not starting with "."`,
    );
  }
}

function checkString(kind: string, s: string): void {
  const n = new TextEncoder().encode(s).length;
  if (n === 0 || n > MAX_STRING || s.includes("\0")) {
    throw new SfxError(`packSfx: ${kind} ${JSON.stringify(s)} must be 1..${MAX_STRING} bytes`);
  }
}

function validate(o: SfxOptions): void {
  if (o.files.length === 0 || o.files.length > MAX_FILES) {
    throw new SfxError(`packSfx: between 1 and ${MAX_FILES} files, not ${o.files.length}`);
  }
  const names = new Set<string>();
  for (const f of o.files) {
    checkName(f.name);
    if (names.has(f.name)) throw new SfxError(`packSfx: file name ${f.name} given twice`);
    names.add(f.name);
  }
  for (const name of names) {
    const [dir] = name.split("/");
    if (name.includes("/") && names.has(dir!)) {
      throw new SfxError(`packSfx: ${dir} is both a file and the directory of ${name}`);
    }
  }
  const exec = o.files.find((f) => f.name === o.exec);
  if (!exec) throw new SfxError(`packSfx: exec ${o.exec} is not one of the files`);
  if (!(exec.mode & 0o100)) throw new SfxError(`packSfx: exec ${o.exec} has no execute bit`);
  if (o.argv.length === 0 || o.argv.length > MAX_STRINGS) {
    throw new SfxError(`packSfx: the argv template needs 1..${MAX_STRINGS} strings`);
  }
  if (o.env.length > MAX_STRINGS) throw new SfxError(`packSfx: at most ${MAX_STRINGS} env`);
  for (const a of o.argv) checkString("argument", a);
  for (const e of o.env) {
    checkString("env", e);
    const eq = e.indexOf("=");
    if (eq < 1 || !ENV_NAME.test(e.slice(0, eq))) {
      throw new SfxError(`packSfx: env ${JSON.stringify(e)} must be NAME=value`);
    }
  }
}

class Writer {
  parts: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }
  uint(value: number, width: 2 | 4 | 8): void {
    const b = new Uint8Array(width);
    const v = new DataView(b.buffer);
    if (width === 2) v.setUint16(0, value, true);
    else if (width === 4) v.setUint32(0, value, true);
    else v.setBigUint64(0, BigInt(value), true);
    this.bytes(b);
  }
  string(s: string, width: 2 | 4): void {
    const b = new TextEncoder().encode(s);
    this.uint(b.length, width);
    this.bytes(b);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/**
 * Writes stub + payload + trailer to options.out (mode 0755). Returns the output's size and the
 * payload's SHA-256 (the stub's cache key).
 */
export async function packSfx(options: SfxOptions): Promise<{ size: number; hash: string }> {
  validate(options);
  const stub = await Deno.readFile(options.stub);
  const hash = createHash("sha256");
  const blobs: Uint8Array[] = [];
  const manifest = new Writer();
  manifest.bytes(new TextEncoder().encode("DTSFXMF1"));
  manifest.uint(options.files.length, 4);
  let offset = 0;
  for (const f of options.files) {
    const data = await Deno.readFile(f.path);
    if (data.length > MAX_FILE_SIZE) throw new SfxError(`packSfx: ${f.path} is too large`);
    const blob: Uint8Array = deflateSync(data, { level: 9 });
    hash.update(blob);
    blobs.push(blob);
    manifest.string(f.name, 2);
    manifest.uint(f.mode & 0o7777, 4);
    manifest.uint(data.length, 8);
    manifest.uint(crc32(data) >>> 0, 4);
    manifest.uint(offset, 8);
    manifest.uint(blob.length, 8);
    offset += blob.length;
  }
  manifest.string(options.exec, 2);
  manifest.uint(options.argv.length, 4);
  for (const a of options.argv) manifest.string(a, 4);
  manifest.uint(options.env.length, 4);
  for (const e of options.env) manifest.string(e, 4);
  const manifestBytes = manifest.concat();
  if (manifestBytes.length > MAX_MANIFEST) throw new SfxError("packSfx: manifest too large");
  hash.update(manifestBytes);
  const hex = hash.digest("hex");

  const trailer = new Uint8Array(TRAILER_SIZE);
  const t = new DataView(trailer.buffer);
  trailer.set(new TextEncoder().encode("DTAILSFX"), 0);
  t.setUint32(8, FORMAT_VERSION, true);
  t.setUint32(12, TRAILER_SIZE, true);
  t.setBigUint64(16, BigInt(stub.length), true);
  t.setBigUint64(24, BigInt(offset + manifestBytes.length), true);
  t.setBigUint64(32, BigInt(offset), true);
  t.setBigUint64(40, BigInt(manifestBytes.length), true);
  t.setUint32(48, crc32(manifestBytes) >>> 0, true);
  trailer.set(new TextEncoder().encode(hex), 56);
  t.setUint32(124, crc32(trailer.subarray(0, 124)) >>> 0, true);

  const tmp = `${options.out}.tmp-${Deno.pid}`;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o700 });
  let size = 0;
  try {
    for (const part of [stub, ...blobs, manifestBytes, trailer]) {
      for (let at = 0; at < part.length;) at += await file.write(part.subarray(at));
      size += part.length;
    }
    await file.sync();
  } catch (e) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  file.close();
  await Deno.chmod(tmp, 0o755);
  await Deno.rename(tmp, options.out);
  return { size, hash: hex };
}

function parseFileArg(arg: string): SfxFile {
  const m = /^([^=]+)=(.+?)(?::([0-7]{3,4}))?$/.exec(arg);
  if (!m) throw new SfxError(`--file ${arg}: expected NAME=PATH[:MODE]`);
  return { name: m[1]!, path: m[2]!, mode: m[3] ? parseInt(m[3], 8) : 0o644 };
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  if (command === "stub" && rest.length === 1) {
    await buildStub(rest[0]!);
    return;
  }
  if (command !== "pack") {
    throw new SfxError(
      "usage: pack.ts stub OUT | pack --stub S --out O --exec NAME --file NAME=PATH[:MODE]... " +
        "--arg A... --env NAME=VALUE...",
    );
  }
  const o: SfxOptions = { stub: "", out: "", files: [], exec: "", argv: [], env: [] };
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (value === undefined) throw new SfxError(`${flag} needs a value`);
    if (flag === "--stub") o.stub = value;
    else if (flag === "--out") o.out = value;
    else if (flag === "--exec") o.exec = value;
    else if (flag === "--file") o.files.push(parseFileArg(value));
    else if (flag === "--arg") o.argv.push(value);
    else if (flag === "--env") o.env.push(value);
    else throw new SfxError(`unknown flag ${flag}`);
  }
  if (!o.stub || !o.out) throw new SfxError("--stub and --out are required");
  const { size, hash } = await packSfx(o);
  console.log(`${o.out}: ${size} bytes, payload ${hash}`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(e instanceof SfxError ? e.message : e);
    Deno.exit(1);
  }
}
