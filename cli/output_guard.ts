/**
 * `dcat a.log >> a.log` would read its own output for ever (until the disk is full), as would a
 * follow of the file its output goes to; and a `dmap` whose outfile is one of its logs would
 * replace that log with a CSV. Like `cat` and `grep`, a serverless run refuses to read what it
 * writes (docs/decisions.md, "A run never reads what it writes").
 */
import { expandGlob, type GlobOptions, hasGlobMeta } from "../core/glob.ts";
import { type FileOpener, type OpenedFile } from "../core/open_file.ts";
import { SetupError } from "../core/errors.ts";
import { fstatLibc, fstatOf } from "../core/libc.ts";
import { SourceError } from "../core/source_error.ts";

/** The device and inode of a regular file. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/**
 * The regular file that file descriptor `fd` writes to, or null (a terminal, a pipe, /dev/null, a
 * closed descriptor, or no way to tell).
 */
export function regularFileOf(fd: number): FileIdentity | null {
  const c = fstatLibc();
  if (c !== null) {
    const stat = fstatOf(c, fd);
    if (stat === null || (stat.mode & S_IFMT) !== S_IFREG) return null;
    return { dev: stat.dev, ino: stat.ino };
  }
  return regularFileAt(`/proc/self/fd/${fd}`);
}

/** The regular file a path leads to now, or null. */
export function regularFileAt(path: string): FileIdentity | null {
  try {
    const info = Deno.statSync(path);
    return info.isFile && info.ino !== null ? { dev: info.dev, ino: info.ino } : null;
  } catch {
    return null;
  }
}

/** A dmap outfile that is one of the files the query reads: exit 2, nothing written. */
export class OutfileIsInputError extends SetupError {
  override name = "OutfileIsInputError";
  constructor(outfile: string, input: string) {
    super(`cannot write outfile "${outfile}": it is ${input}, a file the query reads`);
  }
}

function same(a: FileIdentity, b: FileIdentity | null): boolean {
  return b !== null && a.dev === b.dev && a.ino === b.ino;
}

/** What a run writes besides standard output. */
export interface WrittenFilesOptions {
  /** A dmap outfile. */
  readonly outfile?: string | null;
  /** A `--resume` state file. */
  readonly stateFile?: string | null;
  /** The regular file standard output writes to (default: an `fstat` of descriptor 1). */
  readonly stdout?: () => FileIdentity | null;
}

/** What a run writes besides its reads: standard output, a dmap outfile, a `--resume` state file. */
export class WrittenFiles {
  readonly outfile: string | null;
  readonly stateFile: string | null;
  readonly #lookAtStdout: () => FileIdentity | null;
  #stdout: FileIdentity | null | undefined;

  constructor(options: WrittenFilesOptions = {}) {
    this.outfile = options.outfile ?? null;
    this.stateFile = options.stateFile ?? null;
    this.#lookAtStdout = options.stdout ?? (() => regularFileOf(1));
  }

  /**
   * `open`, refusing the file standard output writes to and the state file (one source's error:
   * the run goes on with the others; a follow of a glob that matches its own state file would print
   * each save and save again) and the outfile (the run stops). Standard output is looked at on the
   * first open (a run that opens nothing makes no call); the outfile and the state file on every
   * open, as they are created and replaced while the run reads.
   */
  opener(open: FileOpener): FileOpener {
    return (path: string): OpenedFile => {
      const opened = open(path);
      if (same(opened.pin, this.#stdoutIdentity())) {
        opened.file.close();
        throw new SourceError(`${path}: input file is also the output`);
      }
      if (this.stateFile !== null && same(opened.pin, regularFileAt(this.stateFile))) {
        opened.file.close();
        throw new SourceError(`${path}: is the --resume state file of this run`);
      }
      if (this.outfile !== null && same(opened.pin, regularFileAt(this.outfile))) {
        opened.file.close();
        throw new OutfileIsInputError(this.outfile, path);
      }
      return opened;
    };
  }

  /**
   * `read` (standard input's content), refused as one source's error when standard input is the
   * file standard output writes to (`dcat - < a.log >> a.log`).
   */
  stdin(
    read: () => AsyncGenerator<Uint8Array>,
    input: () => FileIdentity | null = () => regularFileOf(0),
  ): () => AsyncGenerator<Uint8Array> {
    const output = () => this.#stdoutIdentity();
    return async function* () {
      const inFile = input();
      if (inFile !== null && same(inFile, output())) {
        throw new SourceError("stdin: input file is also the output");
      }
      yield* read();
    };
  }

  #stdoutIdentity(): FileIdentity | null {
    if (this.#stdout === undefined) this.#stdout = this.#lookAtStdout();
    return this.#stdout;
  }

  /**
   * Before any read (the first report may write the outfile before a later file is opened):
   * throws OutfileIsInputError when a file the targets name now is the outfile.
   */
  async checkTargets(targets: readonly string[], glob: GlobOptions): Promise<void> {
    if (this.outfile === null) return;
    const out = regularFileAt(this.outfile);
    if (out === null) return;
    for (const target of targets) {
      if (target === "-") continue;
      const paths = hasGlobMeta(target) ? (await expandGlob(target, glob)).paths : [target];
      for (const path of paths) {
        if (same(out, regularFileAt(path))) throw new OutfileIsInputError(this.outfile, path);
      }
    }
  }
}
