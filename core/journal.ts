/**
 * Journal targets (docs/server.md#journal-targets): `journal:<unit>` names the systemd journal of a
 * unit, read by running `journalctl -u <unit>` (argv, never a shell), with `-f -n 0` to follow it.
 * Its stdout, without journalctl's own `-- … --` lines (journal_markers.ts), is a source like a
 * file's content (chunks.ts contract); each stderr line becomes a notice; a follow runs journalctl
 * again after it exits.
 */
import { InputError } from "./errors.ts";
import { reason, SourceError } from "./source_error.ts";
import { delay as sleep } from "./delay.ts";
import { MarkerFilter } from "./journal_markers.ts";
import type { TimeRange } from "./time_spec.ts";
import { isJournalTarget, JOURNAL_PREFIX } from "./journal_target.ts";

export { isJournalTarget, JOURNAL_CAPABILITY, JOURNAL_PREFIX } from "./journal_target.ts";
/** Go DTail's notice prefix for a line journalctl wrote to stderr. */
export const STDERR_NOTICE = "journalctl stderr: ";
/** ReadRetryIntervalMs's default: the wait before journalctl runs again in a follow. */
export const DEFAULT_RETRY_MS = 2000;
/** Between SIGTERM and SIGKILL when a read of a journal stops. */
export const DEFAULT_KILL_AFTER_MS = 200;

/** A `journal:` target whose unit journalctl must not be given. */
export class JournalSpecError extends InputError {
  override name = "JournalSpecError";
}

/**
 * The unit of a `journal:<unit>` spec: not empty, not an option (`-…`), no whitespace or control
 * characters. Anything else is literal (`a;b` is a unit named `a;b`): it is one argv entry.
 */
export function journalUnit(spec: string): string {
  if (!isJournalTarget(spec)) throw new JournalSpecError(`${spec}: not a journal target`);
  const unit = spec.slice(JOURNAL_PREFIX.length);
  const bad = unit === ""
    ? "the unit is empty"
    : unit.startsWith("-")
    ? "the unit must not start with '-'"
    : /[\s\p{Cc}]/u.test(unit)
    ? "the unit must not contain whitespace or control characters"
    : null;
  if (bad !== null) {
    throw new JournalSpecError(`${printable(spec)}: invalid journal target: ${bad}`);
  }
  return unit;
}

/** 9999-12-31T23:59:59Z: the last second journalctl takes as `@<epoch s>`. */
const LAST_JOURNAL_SECOND = 253_402_300_799;

/**
 * journalctl's arguments for `unit`: the whole journal of it, or (follow) what comes from now. With
 * a `--since`/`--until` range, journalctl is asked for the whole seconds around it (`@<epoch s>`),
 * which its index finds without printing the rest of the journal; the line filter still cuts the
 * range exactly. A follow with a start prints from there (`-n all`), then follows.
 */
export function journalArgs(
  unit: string,
  follow: boolean,
  range: TimeRange | null = null,
): string[] {
  // journalctl refuses a time before 1970 or after 9999 (and has nothing there).
  const since = range !== null && range.since > 0
    ? ["--since", `@${Math.floor(range.since / 1000)}`]
    : [];
  if (follow) {
    return ["-u", unit, "-f", ...(since.length > 0 ? ["-n", "all", ...since] : ["-n", "0"])];
  }
  const until = range !== null && range.until < LAST_JOURNAL_SECOND * 1000
    ? ["--until", `@${Math.max(0, Math.ceil(range.until / 1000))}`]
    : [];
  return ["-u", unit, ...since, ...until];
}

/**
 * Whether this host can read journals (capability journal-v1): Linux with an executable
 * `journalctl` on PATH.
 */
export function journalAvailable(
  path = Deno.env.get("PATH") ?? "",
  os: string = Deno.build.os,
): boolean {
  if (os !== "linux") return false;
  return path.split(":").some((dir) => {
    if (dir === "") return false;
    try {
      const info = Deno.statSync(`${dir}/journalctl`);
      return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

export interface JournalOptions {
  /** Follow (`-f -n 0`, run again after journalctl exits) or read the whole journal once. */
  readonly follow: boolean;
  /** `--since`/`--until` (journalArgs): asked of journalctl, to the whole second. */
  readonly range?: TimeRange | null;
  /** Stops the read: journalctl gets SIGTERM, and SIGKILL `killAfterMs` later. */
  readonly signal: AbortSignal;
  /** A stderr line (`journalctl stderr: …`), or a follow's journalctl exited and runs again. */
  readonly onNotice: (message: string) => void;
  /** A follow's wait before journalctl runs again (ReadRetryIntervalMs). */
  readonly retryMs?: number;
  readonly killAfterMs?: number;
  /** The program run (tests: a fake); default `journalctl` from PATH. */
  readonly program?: string;
  /** Added to the environment journalctl inherits (tests: what a fake does). */
  readonly env?: Record<string, string>;
}

/** The stdout of one journalctl process, as byte chunks (each a fresh array). */
export type JournalRun = AsyncGenerator<Uint8Array>;

/**
 * How a front end opens a journal target (core/run.ts `ReadOptions.journal`): journalRuns after
 * its own checks (a dserver's permission rules), which throw before anything is spawned.
 */
export type JournalOpener = (
  spec: string,
  follow: boolean,
  range: TimeRange | null,
) => AsyncGenerator<JournalRun>;

/**
 * The runs of journalctl for `spec`: one without `follow`, which throws a SourceError once its
 * output is read when journalctl failed; with `follow`, one after another until the signal
 * aborts, `retryMs` apart. A consumer that stops early (`return()`) ends the running journalctl.
 * Nothing is spawned before the first `next()`.
 */
export async function* journalRuns(
  spec: string,
  options: JournalOptions,
): AsyncGenerator<JournalRun> {
  const unit = journalUnit(spec);
  const { signal, follow } = options;
  const retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  // A follow runs again from its end: what the first run printed since the range's start is not
  // printed twice.
  let range = options.range ?? null;
  while (!signal.aborted) {
    const proc = new JournalProcess(spec, journalArgs(unit, follow, range), options);
    if (follow) range = null;
    try {
      yield proc.stdout();
      const code = await proc.exited();
      if (signal.aborted) return;
      if (!follow) {
        if (code !== 0) throw new SourceError(`${spec}: journalctl exited with status ${code}`);
        return;
      }
      options.onNotice(
        `${spec}: journalctl exited with status ${code}, running it again in ${retryMs} ms`,
      );
    } finally {
      await proc.stop();
    }
    await sleep(retryMs, signal);
  }
}

/** One journalctl process: its stdout read by the consumer, its stderr turned into notices. */
class JournalProcess {
  readonly #child: Deno.ChildProcess;
  readonly #status: Promise<Deno.CommandStatus>;
  readonly #stderr: Promise<void>;
  readonly #options: JournalOptions;
  readonly #stopRead = new AbortController();
  #exited = false;
  #stopping: Promise<void> | null = null;

  constructor(spec: string, args: string[], options: JournalOptions) {
    this.#options = options;
    const program = options.program ?? "journalctl";
    try {
      this.#child = new Deno.Command(program, {
        args,
        ...(options.env ? { env: options.env } : {}),
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (err) {
      const why = err instanceof Deno.errors.NotFound ? "not found on PATH" : reason(err);
      throw new SourceError(`${spec}: cannot run ${program}: ${why}`);
    }
    this.#status = this.#child.status.then((status) => {
      this.#exited = true;
      return status;
    });
    this.#stderr = this.#pumpStderr();
  }

  /** The stdout chunks, until journalctl closes it or the read is stopped. */
  async *stdout(): JournalRun {
    const reader = this.#child.stdout.getReader();
    const cancel = () => reader.cancel().catch(() => {});
    this.#stopRead.signal.addEventListener("abort", cancel, { once: true });
    const onAbort = () => void this.stop();
    this.#options.signal.addEventListener("abort", onAbort, { once: true });
    if (this.#options.signal.aborted) onAbort(); // stopped before its output was asked for
    try {
      const markers = new MarkerFilter();
      for (;;) {
        const r = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (r.done) break;
        const entries = markers.push(r.value);
        if (entries.length > 0) yield entries;
      }
      const rest = markers.end();
      if (rest.length > 0) yield rest;
    } finally {
      this.#options.signal.removeEventListener("abort", onAbort);
      this.#stopRead.signal.removeEventListener("abort", cancel);
      reader.releaseLock();
    }
  }

  /** journalctl's exit status once it exited and its stderr was read. */
  async exited(): Promise<number> {
    const { code } = await this.#status;
    await this.#stderr;
    return code;
  }

  /**
   * Ends journalctl if it still runs: SIGTERM, SIGKILL `killAfterMs` later. Resolves once it is
   * gone and its pipes are closed (a child of it holding them open does not keep the read alive).
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (!this.#exited) {
      kill(this.#child, "SIGTERM");
      const killAfter = this.#options.killAfterMs ?? DEFAULT_KILL_AFTER_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const gone = await Promise.race([
        this.#status.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), killAfter))),
      ]);
      clearTimeout(timer);
      if (!gone) kill(this.#child, "SIGKILL");
      await this.#status;
    }
    // What it wrote before it ended is still read; a pipe some child of it keeps open is not.
    const grace = setTimeout(() => this.#stopRead.abort(), 100);
    await this.#stderr;
    clearTimeout(grace);
    this.#stopRead.abort();
    await this.#child.stdout.cancel().catch(() => {});
  }

  async #pumpStderr(): Promise<void> {
    const reader = this.#child.stderr.getReader();
    const cancel = () => reader.cancel().catch(() => {});
    this.#stopRead.signal.addEventListener("abort", cancel, { once: true });
    const decoder = new TextDecoder();
    let partial = "";
    const tell = (line: string) => {
      const text = line.endsWith("\r") ? line.slice(0, -1) : line;
      if (text !== "") this.#options.onNotice(STDERR_NOTICE + text);
    };
    try {
      for (;;) {
        const r = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (r.done) break;
        const lines = (partial + decoder.decode(r.value, { stream: true })).split("\n");
        partial = lines.pop()!;
        for (const line of lines) tell(line);
      }
      tell(partial + decoder.decode());
    } finally {
      this.#stopRead.signal.removeEventListener("abort", cancel);
      reader.releaseLock();
    }
  }
}

function kill(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

/** A spec in a one-line message: control characters shown escaped. */
function printable(spec: string): string {
  return /\p{Cc}/u.test(spec) ? JSON.stringify(spec) : spec;
}
