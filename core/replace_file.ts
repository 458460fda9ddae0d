/**
 * Where a file that is written whole (through a temporary file renamed over it) really is. A rename
 * replaces whatever has the name: a symlink would become a file of its own, and, for root, a device
 * such as /dev/null a regular file for every process of the system. So a symlink is followed to
 * the file it names, and what is not a regular file is written into, never replaced. So is a
 * process's descriptor (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`) even when a regular file is
 * behind it: the name stands for the descriptor, and what was written to it before must stay.
 */

export type ReplaceTarget =
  /** A regular file, or none yet: write a temporary file beside `path` and rename it over. */
  | { readonly kind: "replace"; readonly path: string }
  /**
   * Exists and is not a regular file (a device, a FIFO, a directory…), or is a descriptor: write
   * into it, appending (`isDirectory`: not writable at all). `descriptor`: the number when it names
   * one of this process's own, to write to that very descriptor (its offset is shared with what
   * the process writes there otherwise; a second open of a regular file behind it would write from
   * its own offset, over what is there).
   */
  | {
    readonly kind: "stream";
    readonly path: string;
    readonly isDirectory: boolean;
    readonly descriptor?: number;
  };

/** Paths of a process's descriptors: symlinks the kernel resolves to the open file itself. */
const DESCRIPTOR = /^\/(?:proc\/(self|thread-self|\d+)|dev)\/fd\/(\d+)$/;
/** Symlinks followed at most (as the kernel's ELOOP limit). */
const MAX_LINKS = 40;

export function replaceTarget(path: string): ReplaceTarget {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path); // follows symlinks
  } catch (err) {
    // Missing (or a file where a directory should be: the write then says so).
    if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory)) {
      throw err;
    }
    // A new file; where a symlink says it is, when one names it.
    return { kind: "replace", path: linkChain(path).at(-1) ?? path };
  }
  const chain = linkChain(path);
  const named = [path, ...chain].map((p) => DESCRIPTOR.exec(p)).find((m) => m !== null);
  if (named !== undefined) {
    const owner = named[1];
    const own = owner === undefined || !/^\d/.test(owner) || Number(owner) === Deno.pid;
    return {
      kind: "stream",
      path,
      isDirectory: info.isDirectory,
      ...(own ? { descriptor: Number(named[2]) } : {}),
    };
  }
  if (!info.isFile) return { kind: "stream", path, isDirectory: info.isDirectory };
  return { kind: "replace", path: chain.length > 0 ? Deno.realPathSync(path) : path };
}

/** The paths the symlinks from `path` lead to, in order (none when `path` is no symlink). */
function linkChain(path: string): string[] {
  const chain: string[] = [];
  for (let at = path; chain.length < MAX_LINKS;) {
    let target: string;
    try {
      target = Deno.readLinkSync(at);
    } catch {
      break; // missing, or not a symlink
    }
    const slash = at.lastIndexOf("/");
    at = target.startsWith("/") || slash < 0 ? target : `${at.slice(0, slash + 1)}${target}`;
    chain.push(at);
  }
  return chain;
}
