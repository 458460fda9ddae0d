/**
 * Follows every file matching a glob, including files that start matching later
 * (docs/compatibility.md#lossless-follow). Existing files are followed from their end; files that
 * appear later from their start. With a client's positions (docs/protocol.md#resume), existing
 * files start where the client was, or at their beginning when it did not know them.
 */
import { compressionOfName } from "./compression.ts";
import { expandGlob, globLimitNotice, type GlobOptions, hasGlobMeta, sourceIds } from "./glob.ts";
import type { FileOpener } from "./open_file.ts";
import {
  dirname,
  followFile,
  type FollowOptions,
  type IncarnationStream,
  InodeRegistry,
} from "./follow.ts";
import type { ResumePoints } from "./resume_points.ts";
import type { DirectoryWatchers } from "./waker.ts";

export interface FollowedFile {
  readonly path: string;
  readonly sourceId: string;
  /** One chunk stream per incarnation of the file (see follow.ts). */
  readonly incarnations: AsyncGenerator<IncarnationStream>;
}

export interface FollowGlobOptions {
  readonly signal: AbortSignal;
  /** Every open of every followed file goes through this (see FollowOptions.open). */
  readonly open: FileOpener;
  readonly onRefused?: (path: string, err: unknown) => void;
  /** Who the expansion is for (GlobOptions.canList) and its directory bound. */
  readonly canList?: GlobOptions["canList"];
  readonly maxDirs?: number;
  readonly watchers: DirectoryWatchers;
  readonly pollMs?: number;
  /** How often the glob is expanded again when no directory event says so. */
  readonly rescanMs?: number;
  readonly onNotice?: (message: string) => void;
  /** Limit of files per glob (Server.MaxGlobTargets). */
  readonly maxTargets?: number;
  /**
   * A client's positions (docs/protocol.md#resume): the files found at the start resume from
   * them, or start at their beginning when they have none (FollowOptions.resume).
   */
  readonly resume?: ResumePoints;
  /** Each file is opened at once and a failed first open ends its follow (FollowOptions). */
  readonly openFirst?: boolean;
  /** Where the files found at the start begin instead of their end (FollowOptions.startAt). */
  readonly startAt?: FollowOptions["startAt"];
}

/** What a compressed file is told instead of being followed: its bytes are no lines to append. */
export function compressedNotFollowed(path: string): string {
  return `${path}: compressed, not followed (dcat and dgrep read it)`;
}

/**
 * Calls `consume` once per followed file and resolves when all consumers are done (after the
 * signal aborts). A pattern without glob characters is followed even while it does not exist. A
 * match named as compressed (logrotate's `app.log.1.gz`) is not followed: `onNotice` tells it once.
 */
export async function followGlob(
  pattern: string,
  options: FollowGlobOptions,
  consume: (file: FollowedFile) => Promise<void>,
): Promise<void> {
  const { signal } = options;
  const inodes = new InodeRegistry();
  const running = new Map<string, Promise<void>>();
  // A consumer that fails must not be an unhandled rejection while the others go on (that
  // would end the process): its error is kept and thrown once all consumers are done.
  let failure: { err: unknown } | null = null;
  const optionsFor = (fromStart: boolean): FollowOptions => ({
    signal,
    open: options.open,
    ...(options.onRefused ? { onRefused: options.onRefused } : {}),
    watchers: options.watchers,
    fromStart,
    inodes,
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
    ...(options.resume ? { resume: options.resume } : {}),
    ...(options.openFirst ? { openFirst: true } : {}),
    ...(options.startAt && !fromStart ? { startAt: options.startAt } : {}),
  });
  // Shared by the followers (a glob's thousand files hold one object, not a thousand).
  const shared = { atEnd: optionsFor(false), atStart: optionsFor(true) };
  const idOf = sourceIds(pattern);
  const start = (path: string, fromStart: boolean) => {
    const followOptions = fromStart ? shared.atStart : shared.atEnd;
    running.set(
      path,
      consume({
        path,
        sourceId: idOf(path),
        incarnations: followFile(path, followOptions),
      }).catch((err) => {
        failure ??= { err };
      }),
    );
  };

  const finish = async () => {
    await Promise.all(running.values());
    if (failure !== null) throw failure.err;
  };
  if (!hasGlobMeta(pattern)) {
    options.resume?.cover([pattern]);
    start(pattern, false);
    return await finish();
  }
  const max = options.maxTargets ?? Infinity;
  let told = false;
  const compressed = new Set<string>();
  const rescan = async (fromStart: boolean) => {
    const found = await expandGlob(pattern, {
      signal,
      ...(options.canList ? { canList: options.canList } : {}),
      ...(options.maxDirs !== undefined ? { maxDirs: options.maxDirs } : {}),
    });
    if (!fromStart) options.resume?.cover(found.paths.slice(0, max));
    let over = found.limit !== null;
    for (const path of found.paths) {
      if (running.has(path) || compressed.has(path)) continue;
      if (compressionOfName(path) !== "none") {
        compressed.add(path);
        options.onNotice?.(compressedNotFollowed(path));
        continue;
      }
      if (running.size >= max) {
        over = true;
        break;
      }
      start(path, fromStart);
    }
    if (over && !told) {
      told = true;
      options.onNotice?.(globLimitNotice(pattern, found.limit === "dirs" ? "dirs" : "targets", {
        maxTargets: max,
        maxDirs: options.maxDirs,
      }));
    }
  };
  const { watchers } = options;
  await watchers.paced(() => rescan(false));
  const waker = watchers.waker(staticDir(pattern));
  try {
    while (!signal.aborted) {
      await waker.wait(options.rescanMs ?? 1000);
      if (!signal.aborted) await watchers.paced(() => rescan(true));
    }
  } finally {
    waker.close();
  }
  await finish();
}

/** The deepest directory of a glob without glob characters (watched for new files). */
function staticDir(pattern: string): string {
  let dir = dirname(pattern);
  while (hasGlobMeta(dir)) dir = dirname(dir);
  return dir;
}
