/**
 * Follows every file matching a glob, including files that start matching later (Fix 1).
 * Existing files are followed from their end; files that appear later from their start.
 */
import { expandGlob, hasGlobMeta, sourceId } from "./glob.ts";
import { dirname, followFile, type FollowOptions, InodeRegistry } from "./follow.ts";
import type { DirectoryWatchers } from "./waker.ts";

export interface FollowedFile {
  readonly path: string;
  readonly sourceId: string;
  /** One chunk stream per incarnation of the file (see follow.ts). */
  readonly incarnations: AsyncGenerator<AsyncGenerator<Uint8Array>>;
}

export interface FollowGlobOptions {
  readonly signal: AbortSignal;
  readonly watchers: DirectoryWatchers;
  readonly pollMs?: number;
  /** How often the glob is expanded again when no directory event says so. */
  readonly rescanMs?: number;
  readonly onNotice?: (message: string) => void;
  /** Limit of files per glob (Server.MaxGlobTargets). */
  readonly maxTargets?: number;
}

/**
 * Calls `consume` once per followed file and resolves when all consumers are done (after the
 * signal aborts). A pattern without glob characters is followed even while it does not exist.
 */
export async function followGlob(
  pattern: string,
  options: FollowGlobOptions,
  consume: (file: FollowedFile) => Promise<void>,
): Promise<void> {
  const { signal } = options;
  const inodes = new InodeRegistry();
  const running = new Map<string, Promise<void>>();
  const start = (path: string, fromStart: boolean) => {
    const followOptions: FollowOptions = {
      signal,
      watchers: options.watchers,
      fromStart,
      inodes,
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      ...(options.onNotice ? { onNotice: options.onNotice } : {}),
    };
    running.set(
      path,
      consume({
        path,
        sourceId: sourceId(pattern, path),
        incarnations: followFile(path, followOptions),
      }),
    );
  };

  if (!hasGlobMeta(pattern)) {
    start(pattern, false);
    await Promise.all(running.values());
    return;
  }
  const max = options.maxTargets ?? Infinity;
  const rescan = (fromStart: boolean) => {
    for (const path of expandGlob(pattern)) {
      if (running.has(path)) continue;
      if (running.size >= max) {
        options.onNotice?.(`${pattern}: more than ${max} files match, following the first ${max}`);
        break;
      }
      start(path, fromStart);
    }
  };
  rescan(false);
  const waker = options.watchers.waker(staticDir(pattern));
  try {
    while (!signal.aborted) {
      await waker.wait(options.rescanMs ?? 1000);
      if (!signal.aborted) rescan(true);
    }
  } finally {
    waker.close();
  }
  await Promise.all(running.values());
}

/** The deepest directory of a glob without glob characters (watched for new files). */
function staticDir(pattern: string): string {
  let dir = dirname(pattern);
  while (hasGlobMeta(dir)) dir = dirname(dir);
  return dir;
}
