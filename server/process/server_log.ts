/**
 * The dserver logger (docs/compatibility.md#server-log): lines `<LEVEL>|<MMDD-HHMMSS>|<field>|…`,
 * filtered by level, written to nothing, stdout, a file or both. Files are `<LogDir>/YYYYMMDD.log`
 * with daily rotation (the name switches when the local date changes) or `<LogDir>/dserver.log` for
 * any other `LogRotation`; `reopen()` (wired to SIGHUP) reopens them so external rotation works.
 */
import { reason } from "../../core/source_error.ts";
import { SetupError } from "../../core/errors.ts";
import { escapeControls } from "../../core/clip.ts";

/** Level names from the most to the least severe; "none" logs nothing. */
export const LOG_LEVELS = [
  "fatal",
  "error",
  "warn",
  "info",
  "default",
  "verbose",
  "debug",
  "devel",
  "trace",
  "all",
] as const;
export type LogLevel = typeof LOG_LEVELS[number];
export type LoggerKind = "none" | "stdout" | "file" | "fout";

export class LogSetupError extends SetupError {
  override name = "LogSetupError";
}

/** The rank of a `--logLevel` value (case-insensitive); -1 for "none". */
export function logLevelRank(name: string): number {
  const lower = name.toLowerCase();
  if (lower === "none") return -1;
  if (lower === "") return LOG_LEVELS.indexOf("default");
  const rank = LOG_LEVELS.indexOf(lower as LogLevel);
  if (rank < 0) {
    throw new LogSetupError(
      `unknown log level ${JSON.stringify(name)}, must be none or one of: ${LOG_LEVELS.join(", ")}`,
    );
  }
  return rank;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `MMDD-HHMMSS` in local time (no year, as the Go server writes it). */
export function logTimestamp(now: Date): string {
  return `${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}` +
    `${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}

/**
 * One log line without its newline. Control characters of a field are written escaped (`\n`,
 * `\x1b`): a file named `x\nINFO|…` must not forge a line of the log, which dmap reads.
 */
export function formatLogLine(level: LogLevel, fields: readonly unknown[], now: Date): string {
  const text = fields.map((f) => escapeControls(f instanceof Error ? f.message : String(f)));
  return [level.toUpperCase(), logTimestamp(now), ...text].join("|");
}

export interface ServerLogOptions {
  logger: string;
  level: string;
  logDir: string;
  rotation: string;
  now?: () => Date;
  /** Where "stdout"/"fout" lines go (default: the process's stdout). */
  stdout?: (text: string) => void;
}

const encoder = new TextEncoder();

export class ServerLog {
  readonly #kind: LoggerKind;
  readonly #maxRank: number;
  readonly #dir: string;
  readonly #daily: boolean;
  readonly #now: () => Date;
  readonly #stdout: (text: string) => void;
  #file: Deno.FsFile | null = null;
  #fileName = "";

  constructor(opts: ServerLogOptions) {
    const kind = opts.logger.toLowerCase();
    if (!["none", "stdout", "file", "fout"].includes(kind)) {
      throw new LogSetupError(`unknown logger ${JSON.stringify(opts.logger)}`);
    }
    this.#kind = kind as LoggerKind;
    this.#maxRank = logLevelRank(opts.level);
    this.#dir = expandHome(opts.logDir);
    this.#daily = opts.rotation.toLowerCase() === "daily";
    this.#now = opts.now ?? (() => new Date());
    this.#stdout = opts.stdout ?? writeStdout;
    if (this.#usesFile()) {
      try {
        Deno.mkdirSync(this.#dir, { recursive: true });
      } catch (err) {
        throw new LogSetupError(`cannot create log directory ${this.#dir}: ${reason(err)}`);
      }
    }
  }

  /** Whether a line of this level would be written. */
  enabled(level: LogLevel): boolean {
    return this.#kind !== "none" && LOG_LEVELS.indexOf(level) <= this.#maxRank;
  }

  /** Logs one line and returns it ("" when the level is filtered out, as in Go). */
  log(level: LogLevel, fields: readonly unknown[]): string {
    if (LOG_LEVELS.indexOf(level) > this.#maxRank) return "";
    const now = this.#now();
    const line = formatLogLine(level, fields, now);
    if (this.#kind === "stdout" || this.#kind === "fout") this.#stdout(line + "\n");
    if (this.#usesFile()) this.#writeFile(line + "\n", now);
    return line;
  }

  fatal = (...fields: unknown[]): string => this.log("fatal", fields);
  error = (...fields: unknown[]): string => this.log("error", fields);
  warn = (...fields: unknown[]): string => this.log("warn", fields);
  info = (...fields: unknown[]): string => this.log("info", fields);
  verbose = (...fields: unknown[]): string => this.log("verbose", fields);
  debug = (...fields: unknown[]): string => this.log("debug", fields);
  devel = (...fields: unknown[]): string => this.log("devel", fields);
  trace = (...fields: unknown[]): string => this.log("trace", fields);

  /** The file currently written to ("" before the first line or without a file logger). */
  get fileName(): string {
    return this.#fileName;
  }

  /** Closes the log file; the next line reopens it (SIGHUP). */
  reopen(): void {
    this.#file?.close();
    this.#file = null;
    this.#fileName = "";
  }

  close(): void {
    this.reopen();
  }

  #usesFile(): boolean {
    return this.#kind === "file" || this.#kind === "fout";
  }

  #writeFile(text: string, now: Date): void {
    const name = this.#daily
      ? `${this.#dir}/${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}.log`
      : `${this.#dir}/dserver.log`;
    try {
      if (this.#file === null || name !== this.#fileName) {
        this.#file?.close();
        this.#file = null;
        Deno.mkdirSync(this.#dir, { recursive: true });
        this.#file = Deno.openSync(name, { append: true, create: true, mode: 0o640 });
        this.#fileName = name;
      }
      writeAll(this.#file, encoder.encode(text));
    } catch (err) {
      // A logger must not take the server down: report on stderr and retry on the next line.
      this.#file = null;
      this.#fileName = "";
      Deno.stderr.writeSync(encoder.encode(`dserver: cannot write log ${name}: ${err}\n`));
    }
  }
}

function writeAll(file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

function writeStdout(text: string): void {
  writeAll(Deno.stdout, encoder.encode(text));
}

/** `~` and `~/…` with $HOME (as the Go server does for LogDir). */
export function expandHome(dir: string): string {
  if (dir === "~" || dir.startsWith("~/")) {
    let home: string | undefined;
    try {
      home = Deno.env.get("HOME");
    } catch {
      home = undefined;
    }
    if (home) return home + dir.slice(1);
  }
  return dir;
}
