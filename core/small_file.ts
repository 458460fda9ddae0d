/**
 * Reads a file of dtail's own that a user names (a config, a key, an ssh config, known_hosts, a
 * server list, a resume state): whole, but never more than a limit. A path given by mistake
 * (`/dev/zero`, a log file of gigabytes) is then one clear error, instead of a process that fills
 * its memory until the kernel kills it.
 */

/** Generous for every file read this way (a config or a key is kilobytes). */
export const SMALL_FILE_LIMIT = 16 * 1024 * 1024;

const CHUNK = 64 * 1024;

/** The file's bytes; throws an Error naming the limit when it holds more than `limit` bytes. */
export function readSmallFileSync(path: string, limit = SMALL_FILE_LIMIT): Uint8Array {
  using file = Deno.openSync(path);
  const size = file.statSync().size;
  // One byte more than the size: a file that grew (or a device, of size 0) is read on.
  let buf = new Uint8Array(Math.max(Math.min(limit, size) + 1, size === 0 ? CHUNK : 0));
  let used = 0;
  for (;;) {
    if (used === buf.length) {
      if (used > limit) throw new Error(`larger than ${describe(limit)}`);
      const grown = new Uint8Array(Math.min(limit + 1, buf.length * 2));
      grown.set(buf);
      buf = grown;
    }
    const n = file.readSync(buf.subarray(used));
    if (n === null || n === 0) break;
    used += n;
  }
  if (used > limit) throw new Error(`larger than ${describe(limit)}`);
  return buf.subarray(0, used);
}

/** `readSmallFileSync` as UTF-8 text. */
export function readSmallTextFileSync(path: string, limit = SMALL_FILE_LIMIT): string {
  return new TextDecoder().decode(readSmallFileSync(path, limit));
}

function describe(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MiB` : `${bytes} bytes`;
}
