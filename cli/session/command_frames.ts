/**
 * What the client sends for a job (docs/protocol.md#commands), given what the server advertised: a
 * Go dserver gets exactly the commands a Go client sends; a server of ours is also asked for
 * escaping (`escape=ac`) and, for `--plain` output, raw blocks (`blocks=v1`). Pure: no I/O.
 */
import { buildMapCommand, buildReadCommand, type ReadVerb } from "../../core/protocol/commands.ts";
import { BLOCK_CAPABILITY, BLOCK_OPTION, BLOCK_OPTION_VALUE } from "../../core/protocol/blocks.ts";
import { encodeFrame } from "../../core/protocol/frames.ts";
import { isJournalTarget } from "../../core/journal_target.ts";
import { ESCAPE_CAPABILITY, ESCAPE_OPTION } from "../../core/protocol/messages.ts";
import { type Options, timeRangeOptions } from "../../core/protocol/options.ts";
import {
  POSITIONS_OPTION,
  POSITIONS_VERSION,
  RESUME_CAPABILITY,
  RESUME_OPTION,
} from "../../core/protocol/resume.ts";
import type { WireRegex } from "../../core/protocol/regex_wire.ts";
import {
  PROGRESS_CAPABILITY,
  PROGRESS_OPTION,
  PROGRESS_VERSION,
} from "../../core/protocol/progress.ts";
import type { TimeRange } from "../../core/time_spec.ts";
import { buildSessionCommand, type SessionSpec } from "../../core/protocol/session_spec.ts";

export interface RemoteJob {
  readonly verb: ReadVerb;
  readonly targets: readonly string[];
  readonly regex: WireRegex;
  readonly before: number;
  readonly after: number;
  readonly max: number;
  readonly plain: boolean;
  readonly quiet: boolean;
  /** A MapReduce query, sent as `map:<options> <query>` before the read commands. */
  readonly query?: string | null;
  /** Query mode: reads are sent as `timeout N <verb> …` when this is above 0. */
  readonly timeout?: number;
  /** Capabilities a server must announce to be sent this job (else it is refused, not sent). */
  readonly needs?: readonly string[];
  /**
   * `--since`/`--until`, sent as the `since`/`until` options of every command (needs
   * `time-range-v1`, which remoteJobOf puts in `needs`).
   */
  readonly timeRange?: TimeRange | null;
  /**
   * dmap showing a progress line: the `map:` command asks for progress messages
   * (`progress=v1`, docs/protocol.md#progress) of a server that advertised `progress-v1`.
   */
  readonly progress?: boolean;
}

/**
 * How the server's replies are framed: the Go wire (one message per line, nothing escaped),
 * escaped messages, or escaped messages with raw blocks of `--plain` lines.
 */
export type Wire = "go" | "escaped" | "blocks";

export interface ClientTraits {
  /** Registered with `AUTHKEY` (null or empty: none). */
  readonly authKey?: string | null;
  /** The client can print raw blocks (pieces that may end mid-line). */
  readonly acceptsBlocks?: boolean;
  /**
   * The client follows with positions (docs/protocol.md#resume): the `resume` option of a
   * target's command, undefined for none. Used only for a follow without a query, to a server of
   * ours that advertised `tail-resume-v1`.
   */
  readonly resume?: (target: string) => string | undefined;
}

/** The framing of the replies to commandFrames(job, capabilities, client). */
export function wireFor(
  job: RemoteJob,
  capabilities: readonly string[],
  acceptsBlocks: boolean,
): Wire {
  if (!capabilities.includes(ESCAPE_CAPABILITY)) return "go";
  const blocks = job.plain && !job.query && acceptsBlocks &&
    capabilities.includes(BLOCK_CAPABILITY);
  return blocks ? "blocks" : "escaped";
}

/**
 * Whether the commands of a job ask for position messages (see ClientTraits.resume). Not with a
 * journal target: a journal has no positions, and its lines would wait for one.
 */
export function followsWithPositions(
  job: RemoteJob,
  capabilities: readonly string[],
  wire: Wire,
): boolean {
  return wire !== "go" && job.verb === "tail" && !job.query &&
    capabilities.includes(RESUME_CAPABILITY) && !job.targets.some(isJournalTarget);
}

/** The frames to send, in order, for a job to a server with these capabilities. */
export function commandFrames(
  job: RemoteJob,
  capabilities: readonly string[],
  client: ClientTraits = {},
): Uint8Array[] {
  const wire = wireFor(job, capabilities, client.acceptsBlocks ?? false);
  const escape = wire !== "go";
  const frames: Uint8Array[] = [];
  const authKey = client.authKey ? encodeFrame(`AUTHKEY ${client.authKey}`) : null;
  // A Go server gets AUTHKEY first, as Go clients send it. Ours gets it after the first read
  // command, which latches escaping, so that the reply already carries the control marker.
  if (authKey && !escape) frames.push(authKey);
  const options = commandOptions(job, wire);
  if (job.query) {
    frames.push(
      encodeFrame(buildMapCommand(mapOptions(job, options, capabilities, wire), job.query)),
    );
  }
  const timeout = job.query ? job.timeout ?? 0 : 0;
  const resume = client.resume && followsWithPositions(job, capabilities, wire)
    ? client.resume
    : null;
  if (resume !== null) options[POSITIONS_OPTION] = POSITIONS_VERSION;
  for (const path of job.targets) {
    const from = resume?.(path);
    const command = buildReadCommand({
      verb: job.verb,
      options: from === undefined ? options : { ...options, [RESUME_OPTION]: from },
      path,
      regex: job.regex,
      timeout,
    });
    frames.push(encodeFrame(command));
  }
  if (authKey && escape) frames.splice(Math.min(1, frames.length), 0, authKey);
  return frames;
}

/** The options of the `map:` command: the reads' own, and the progress request where it goes. */
function mapOptions(
  job: RemoteJob,
  options: Options,
  capabilities: readonly string[],
  wire: Wire,
): Options {
  const asks = job.progress === true && wire !== "go" && capabilities.includes(PROGRESS_CAPABILITY);
  return asks ? { ...options, [PROGRESS_OPTION]: PROGRESS_VERSION } : options;
}

/** The options of a job's commands (docs/protocol.md#options) on this wire. */
export function commandOptions(job: ReadOptionsOf, wire: Wire): Options {
  const options: Options = {};
  if (job.plain) options.plain = "true";
  if (job.quiet || job.plain) options.quiet = "true";
  if (job.verb !== "cat") {
    if (job.before > 0) options.before = String(job.before);
    if (job.after > 0) options.after = String(job.after);
    if (job.max > 0) options.max = String(job.max);
  }
  if (wire !== "go") options[ESCAPE_OPTION] = "ac";
  if (wire === "blocks") options[BLOCK_OPTION] = BLOCK_OPTION_VALUE;
  return { ...options, ...timeRangeOptions(job.timeRange) };
}

/** What the options of a job are made of. */
export type ReadOptionsOf =
  & Pick<RemoteJob, "verb" | "before" | "after" | "max" | "plain" | "quiet">
  & Pick<RemoteJob, "timeRange">;

/**
 * The session spec of a job (docs/protocol.md#session), as the Go client builds it: the mode
 * (`map` for a dmap query), the files, the options of its commands on this wire, the query, the
 * pattern as written, and the timeout (sent for every mode, as Go does; only queries use it).
 */
export function sessionSpecFor(job: RemoteJob, wire: Wire): SessionSpec {
  const query = job.query ?? "";
  return {
    mode: query === "" ? job.verb : job.verb === "cat" ? "map" : "tail",
    files: job.targets,
    options: commandOptions(job, wire),
    query,
    regex: job.regex.pattern,
    invert: job.regex.flag === "invert",
    timeout: job.timeout ?? 0,
  };
}

/**
 * The frames that start a session instead of commandFrames: `SESSION START`, and AUTHKEY where
 * commandFrames puts it (first for a Go dserver, after the start for ours, which latches its
 * options from the commands the start stands for).
 */
export function sessionStartFrames(
  job: RemoteJob,
  capabilities: readonly string[],
  client: ClientTraits = {},
): { start: string; before: Uint8Array[]; after: Uint8Array[] } {
  const wire = wireFor(job, capabilities, client.acceptsBlocks ?? false);
  const authKey = client.authKey ? [encodeFrame(`AUTHKEY ${client.authKey}`)] : [];
  const start = buildSessionCommand("start", sessionSpecFor(job, wire));
  return wire === "go"
    ? { start, before: authKey, after: [] }
    : { start, before: [], after: authKey };
}
