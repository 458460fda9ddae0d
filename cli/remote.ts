/**
 * Client mode over SSH (docs/compatibility.md#ssh-clients): one connection per server, set up at
 * most `cpc × CPUs` at a time, each running a protocol session (remote_session.ts) whose lines are
 * printed as they arrive. `dtail` reconnects with jittered exponential backoff
 * (docs/compatibility.md#reconnects); dcat and dgrep never retry.
 */
import { every } from "../core/delay.ts";
import type { Config } from "../core/config.ts";
import { BlockPrinter, MessagePrinter } from "../core/message_printer.ts";
import { JsonMessagePrinter, type PayloadPrinter } from "../core/json_printer.ts";
import { ESCAPE_CAPABILITY, type PayloadRun } from "../core/protocol/messages.ts";
import { shortHostname } from "../core/hostname.ts";
import { type BufferedOutput, CoalescingFlush } from "../core/output.ts";
import { wireRegexOf } from "../core/protocol/regex_wire.ts";
import type { ReadVerb } from "../core/protocol/commands.ts";
import { Semaphore } from "../core/semaphore.ts";
import { TIME_RANGE_CAPABILITY } from "../core/protocol/query_capabilities.ts";
import type { TimeRange } from "../core/time_spec.ts";
import { activeRange } from "../core/time_range.ts";
import { type ClientAuth, loadAuth, readAuthKeyPub } from "./ssh/auth.ts";
import { ConnectError } from "./ssh/connect_error.ts";
import { KEEPALIVE_COUNT } from "./ssh/host_key_algorithms.ts";
import type { LinkIO, SshLink } from "./ssh/link.ts";
import { Dialer } from "./ssh/dialer.ts";
import { type ResolvedServer, resolveServer, type ResolveSettings } from "./ssh/host_resolve.ts";
import { loadSshConfig, NO_SSH_CONFIG } from "./ssh/ssh_config.ts";
import { defaultKnownHostsPath } from "./ssh/known_hosts_write.ts";
import { isServerRegex, serverList } from "./ssh/server_list.ts";
import { HostTrust } from "./ssh/trust_prompt.ts";
import type { RemoteJob, SessionResult, SessionResume } from "./remote_session.ts";
import { RESUME_CAPABILITY } from "../core/protocol/resume.ts";
import { HeldOutput } from "./resume/held_output.ts";
import { PositionTable } from "./resume/position_table.ts";
import type { ResumeSettings, ResumeState } from "./resume/resume_state.ts";
import { runRemoteSession } from "./remote_session.ts";
import type { RunResult } from "./serverless.ts";
import type { SessionFleet } from "./interactive/session_fleet.ts";
import type { LiveRunHooks } from "./live_table.ts";
import { causeOf, OutcomeBook, unreadableCause } from "./outcome_summary.ts";

/** From this many servers on, the client encrypts with ours (cli/ssh/dialer.ts). */
const FAN_OUT_SERVERS = 100;

export interface RemoteRun {
  readonly verb: ReadVerb;
  readonly targets: readonly string[];
  readonly pattern: string;
  readonly invert: boolean;
  readonly before: number;
  readonly after: number;
  readonly max: number;
  readonly plain: boolean;
  readonly quiet: boolean;
  readonly color: boolean;
  /** Labelled lines for a terminal: their control characters written visibly. */
  readonly visibleControls?: boolean;
  /** A MapReduce query: sent as `map:` before the reads, whose lines the servers aggregate. */
  readonly query?: string;
  /** Seconds for the `timeout` prefix of query reads; 0 = none. */
  readonly timeout?: number;
  /** dtail: `--resume FILE`, positions saved across runs (docs/usage.md#resume-across-runs). */
  readonly resume?: ResumeSettings;
  /** --json: labelled lines (never plain) printed as line objects (core/json_printer.ts). */
  readonly json?: boolean;
  /** Capabilities a server must have to be sent this run (core/protocol/query_capabilities.ts). */
  readonly needs?: readonly string[];
  /** `--since`/`--until` (epoch ms, resolved once on this client): only servers of ours get it. */
  readonly timeRange?: TimeRange | null;
}

/** Which servers, and how to log in to them (resolved from flags and dtail.json by app/). */
export interface RemoteConnection {
  /** A comma list or a file of servers, or a `/regex/` filter of the discovered ones. */
  readonly servers: string;
  /** `MODULE` or `MODULE:options`. */
  readonly discovery: string;
  /** For servers given without a port. */
  readonly defaultPort: number;
  /** The private key offered first and registered with AUTHKEY ("": see loadAuth). */
  readonly authKeyPath: string;
  /** The deprecated `--key`. */
  readonly legacyKeyPath: string;
  /** Only this ssh-agent key (-1: all). */
  readonly agentKeyIndex: number;
  /** Trust unknown host keys without asking. */
  readonly trustAllHosts: boolean;
  /** Do not register the key with AUTHKEY. */
  readonly noAuthKey: boolean;
  readonly user: string;
  /** Concurrent connection set-ups per CPU. */
  readonly connectionsPerCpu: number;
  /** `--ssh-config`/`-F`: "" reads ~/.ssh/config and /etc/ssh/ssh_config, "none" none. */
  readonly sshConfig?: string;
  /** What the ssh config may override (cli/ssh/host_resolve.ts); absent: no ssh config. */
  readonly resolve?: ResolveSettings;
  /**
   * dserver's scheduled and continuous jobs (app/jobs): log in with these keys instead of
   * loadAuth's, without a host key check (docs/server.md#scheduled-and-continuous-jobs).
   */
  readonly jobAuth?: ClientAuth;
}

export interface RemoteIO {
  readonly out: BufferedOutput;
  readonly warn: (message: string) => void;
  readonly signal: AbortSignal;
  /**
   * Query runs: receives every `AGGREGATE|…` message (as text, without newlines) and the job its
   * server ran when it sent it (interactive runs change jobs).
   */
  readonly aggregate?: (message: string, job: RemoteJob) => void;
  /** Query runs: malformed log lines a server skipped. */
  readonly malformed?: (count: number, job: RemoteJob) => void;
  /** --interactive-query: the sessions, which start with the fleet's job and take reloads. */
  readonly fleet?: SessionFleet;
  /** Live output on a terminal (cli/live_table.ts): progress, stats lines and prompts go there. */
  readonly live?: LiveRunHooks;
  /** Each server's outcome (`:show` prints the summary of the book it is given). */
  readonly outcomes?: OutcomeBook;
}

/** The job a run sends: its read filter in wire form. */
export function remoteJobOf(run: RemoteRun): RemoteJob {
  // A time range goes only to servers that announced it (a Go dserver is refused, never sent it).
  const range = activeRange(run.timeRange);
  const needs = range === null ? run.needs ?? [] : [...run.needs ?? [], TIME_RANGE_CAPABILITY];
  return {
    verb: run.verb,
    targets: run.targets,
    regex: wireRegexOf(run.pattern, run.invert),
    before: run.before,
    after: run.after,
    max: run.max,
    plain: run.plain,
    quiet: run.quiet,
    query: run.query ?? null,
    timeout: run.timeout ?? 0,
    ...(needs.length > 0 ? { needs } : {}),
    ...(range === null ? {} : { timeRange: range }),
  };
}

export async function runRemote(
  run: RemoteRun,
  connection: RemoteConnection,
  config: Config,
  io: RemoteIO,
): Promise<RunResult> {
  const listed = serverList({
    servers: connection.servers,
    discovery: connection.discovery,
    defaultPort: connection.defaultPort,
    warn: io.warn,
    // The regex engine only for a /regex/ filter: it is start-up time for every other run.
    ...(isServerRegex(connection.servers)
      ? { compileRegex: (await import("../core/matcher.ts")).compileRegex }
      : {}),
  });
  const resolveSettings = connection.resolve;
  const sshConfig = resolveSettings === undefined || connection.jobAuth ||
      connection.sshConfig === "none"
    ? NO_SSH_CONFIG
    : loadSshConfig({
      path: connection.sshConfig || null,
      home: resolveSettings.home,
      warn: io.warn,
    });
  const servers = listed.map((s) =>
    resolveServer(
      s,
      sshConfig,
      resolveSettings ?? {
        portFlag: null,
        configPort: connection.defaultPort,
        userFlag: connection.user,
        localUser: connection.user,
        home: "",
      },
    )
  );
  if (servers.length === 0) {
    io.warn("no servers to connect to");
    return { ok: 0, failed: 1 };
  }
  const auth = connection.jobAuth ?? await loadAuth({
    authKeyPath: connection.authKeyPath,
    legacyKeyPath: connection.legacyKeyPath,
    configAuthKeyPath: config.Client.AuthKeyPath,
    agentKeyIndex: connection.agentKeyIndex,
    warn: io.warn,
    identityFiles: servers.flatMap((s) => [s, ...s.jumps]).flatMap((h) => h.identityFiles),
  });
  const trusts = new Map<string, HostTrust>();
  const trustFor = (path: string | null, strict: string | null) => {
    if (connection.jobAuth) return null;
    const knownHostsPath = path ?? defaultKnownHostsPath();
    const key = `${strict} ${knownHostsPath}`;
    let trust = trusts.get(key);
    if (trust === undefined) {
      trust = new HostTrust({
        knownHostsPath,
        trustAll: connection.trustAllHosts || strict === "no" || strict === "accept-new",
        refuseUnknown: strict === "yes",
        warn: io.warn,
        ...(io.live ? { onPrompt: (active: boolean) => io.live!.prompting(active) } : {}),
      });
      trusts.set(key, trust);
    }
    return trust;
  };
  // A stdout write that fails on the flush timer (e.g. `| head` went away) ends the whole run,
  // also while every followed file is quiet; close() below then raises the error.
  const outputFailed = new AbortController();
  const printerOptions = {
    plain: run.plain,
    color: run.color,
    visibleControls: run.visibleControls ?? false,
    colors: config.Client.TermColors,
  };
  const newPrinter = run.json
    ? (out: BufferedOutput) => new JsonMessagePrinter(out)
    : (out: BufferedOutput) => new MessagePrinter(out, printerOptions);
  // Loaded only for --resume: its state file and positions are start-up time for every other run.
  const resume = run.resume !== undefined && followsResumably(run, io)
    ? new (await import("./resume/resume_state.ts")).ResumeState(run.resume, {
      warn: io.warn,
      flushOutput: () => io.out.flush(),
    })
    : null;
  const signal = AbortSignal.any([io.signal, outputFailed.signal]);
  const setupSlots = Math.max(1, connection.connectionsPerCpu) *
    (navigator.hardwareConcurrency || 1);
  const context: Context = {
    signal,
    keepaliveMs: config.Client.SSHKeepaliveIntervalMs,
    dialer: new Dialer({
      auth,
      trustFor,
      timeoutMs: config.Common.SSHConnectTimeoutMs,
      keepaliveMs: config.Client.SSHKeepaliveIntervalMs,
      signal,
      fanOut: servers.length >= FAN_OUT_SERVERS || servers.some((s) => s.jumps.length > 0),
      // docs/decisions.md, "The native SSH client": ssh2 for every connection when asked.
      native: Deno.env.get("DTAIL_SSH_CLIENT") !== "ssh2",
    }),
    run,
    job: io.fleet?.job ??
      { ...remoteJobOf(run), ...(io.live?.wantsBytes ? { progress: true } : {}) },
    io,
    authKey: connection.noAuthKey ? null : readAuthKeyPub(auth.authKeyPath),
    setup: new Semaphore(setupSlots),
    // A set-up through a jump host mostly waits for round trips through it, not for this
    // machine's CPU: four times as many run at once (docs/decisions.md, "A jump host's connection
    // is shared").
    tunneledSetup: new Semaphore(setupSlots * 4),
    flush: new CoalescingFlush(io.out, undefined, () => outputFailed.abort()),
    printer: newPrinter(io.out),
    newPrinter,
    counts: { connected: 0, total: 0 },
    malformed: { count: 0, uncounted: new Set() },
    resume,
    outcomes: io.outcomes ?? new OutcomeBook(),
    unreadable: new Map(),
  };
  if (io.fleet) io.fleet.servers = servers.map((s) => s.label);
  io.live?.servers(servers.length);
  context.outcomes.expect(servers.map((s) => s.label));
  // dserver's jobs (jobAuth) are no run of a user's to report on.
  const stopSummaries = connection.jobAuth ? () => {} : summaryOnSignal(context);
  const stats = run.quiet ? null : startStats(context, servers.length);
  resume?.start();
  try {
    const outcomes = await Promise.all(
      servers.map((server) =>
        serve(server, context).then((outcome) => {
          io.live?.done(server.label);
          return outcome;
        })
      ),
    );
    context.flush.close();
    const { malformed } = context;
    if (malformed.count > 0 && malformed.uncounted.size > 0) {
      // The note under the table counts what our dservers reported; a Go dserver only logs them.
      io.warn(
        `the ${malformed.count} malformed log line(s) skipped are those of the servers that ` +
          `count them: ${
            servers.filter((s) => malformed.uncounted.has(s.label)).map((s) => s.label).join(", ")
          } (Go DTail) do not report theirs`,
      );
    }
    if (!run.quiet) printSummary(context, "stopped before it answered");
    // A partial server (some files unreadable) counts both ways: the exit status becomes 3.
    return {
      ok: outcomes.filter((o) => o !== "failed").length,
      failed: outcomes.filter((o) => o !== "ok").length,
    };
  } finally {
    stopSummaries();
    context.flush.stop();
    stats?.();
    context.dialer.close();
    for (const trust of trusts.values()) trust.close();
    await resume?.close();
  }
}

/** SIGUSR1 prints the summary so far (also with --quiet: it was asked for). */
function summaryOnSignal(c: Context): () => void {
  const print = () => printSummary(c);
  Deno.addSignalListener("SIGUSR1", print);
  return () => Deno.removeSignalListener("SIGUSR1", print);
}

/** docs/usage.md#the-outcome-summary: on stderr, after what stdout has so far. */
function printSummary(c: Context, pending?: string): void {
  c.io.out.flush();
  for (const line of c.outcomes.summaryLines(pending)) c.io.warn(line);
}

/** dtail following (no query, not interactive): positions resume a follow after a reconnect. */
function followsResumably(run: RemoteRun, io: RemoteIO): boolean {
  return run.verb === "tail" && !run.query && !io.fleet;
}

/**
 * docs/compatibility.md#stats-lines: every 3 s, when the number of connected servers changed, one
 * stats line on stderr.
 */
function startStats(c: Context, servers: number): () => void {
  let last = 0;
  let lastTotal = 0;
  const host = shortHostname();
  const encoder = new TextEncoder();
  return every(3000, () => {
    const connected = c.counts.connected;
    if (connected === last) return;
    const percent = servers === 0 ? 100 : Math.floor((connected * 100) / servers);
    const line = `CLIENT|${host}|INFO|STATS:STATS|connected=${connected}|servers=${servers}|` +
      `connected%=${percent}|new=${c.counts.total - lastTotal}|` +
      `throttle=${c.setup.waiting + c.tunneledSetup.waiting}\n`;
    last = connected;
    lastTotal = c.counts.total;
    c.io.out.flush();
    if (c.io.live) c.io.live.stderr(line);
    else Deno.stderr.writeSync(encoder.encode(line));
  });
}

interface Context {
  /** The run's end: the caller's signal, or a failed write to stdout. */
  readonly signal: AbortSignal;
  /** `Client.SSHKeepaliveIntervalMs`. */
  readonly keepaliveMs: number;
  readonly run: RemoteRun;
  readonly job: RemoteJob;
  readonly io: RemoteIO;
  /** Connects to a server, through its jump hosts. */
  readonly dialer: Dialer;
  readonly authKey: string | null;
  /** Connection set-ups at once: `--cpc` × CPUs, and four times that through jump hosts. */
  readonly setup: Semaphore;
  readonly tunneledSetup: Semaphore;
  readonly printer: PayloadPrinter;
  /** A printer like `printer` (a session that holds its output has a printer of its own). */
  readonly newPrinter: (out: BufferedOutput) => PayloadPrinter;
  /** Writes what sessions printed in large pieces (see CoalescingFlush). */
  readonly flush: CoalescingFlush;
  /** Connections now open, and opened in total. */
  readonly counts: { connected: number; total: number };
  /**
   * Query runs: malformed log lines the servers reported, and the servers that do not report
   * them (Go dservers: they do not advertise our capabilities).
   */
  readonly malformed: { count: number; uncounted: Set<string> };
  /** `--resume FILE`: the saved positions, per server. */
  readonly resume: ResumeState | null;
  /** Each server's outcome, for the summary. */
  readonly outcomes: OutcomeBook;
  /** Per server, the cause of the first file it could not read in its session now. */
  readonly unreadable: Map<string, string>;
}

type Outcome = "ok" | "failed" | "partial";

/** One server: connect, run the session; for dtail, again after a dropped connection. */
async function serve(server: ResolvedServer, c: Context): Promise<Outcome> {
  const { signal } = c;
  let backoffMs = 2000;
  let outcome: Outcome = "failed";
  // dtail (follow, no query, not interactive): resume from the last positions after a reconnect.
  const positions = followsResumably(c.run, c.io)
    ? c.resume?.table(server.label) ?? new PositionTable()
    : null;
  const tooLarge = new Set<string>();
  if (positions !== null) {
    positions.onTooLarge = (target, files) => {
      if (tooLarge.has(target)) return;
      tooLarge.add(target);
      c.io.warn(
        `${server.label}: ${target}: too many files to resume (${files}): ` +
          "lines written while disconnected may be missing there",
      );
    };
  }
  let warnedNoResume = false;
  const cannotResume = () => {
    if (warnedNoResume) return;
    warnedNoResume = true;
    c.io.warn(
      `${server.label}: the server cannot resume a follow: ` +
        "lines written while disconnected may be missing",
    );
  };
  // Positions saved by an earlier run (--resume) cannot be used: said at once, not at the break.
  const capabilities = (capabilities: readonly string[]) => {
    // It answers (till its session's end says otherwise): what SIGUSR1 and `:show` report.
    c.outcomes.answered(server.label);
    if (positions !== null && positions.size > 0 && !capabilities.includes(RESUME_CAPABILITY)) {
      cannotResume();
    }
  };
  for (;;) {
    c.unreadable.delete(server.label);
    const result = await once(server, c, positions, capabilities);
    if (result?.refused) {
      // As the Go client: this server's run fails (exit 1), and is not tried again.
      c.outcomes.failed(server.label, `refused: ${result.refused}`);
      c.io.out.flush();
      c.io.warn(`SERVER|${server.label}|ERROR|${result.refused}`);
      return "failed";
    }
    if (c.run.query && result !== null && !result.capabilities.includes(ESCAPE_CAPABILITY)) {
      c.malformed.uncounted.add(server.label);
    }
    if (result?.error) {
      c.io.warn(`${server.label}: ${result.error}`);
      c.outcomes.failed(server.label, result.error);
      outcome = result.lines > 0 ? "partial" : "failed";
    } else if (
      result !== null && !result.completed && !signal.aborted && c.run.verb !== "tail"
    ) {
      c.io.warn(`${server.label}: the server closed the session before the run completed`);
      c.outcomes.failed(server.label, "closed the session before the run completed");
      outcome = result.lines > 0 ? "partial" : "failed";
    } else if (result !== null) {
      // A damaged compressed file fails like an unreadable one, but the whole lines before the
      // damage came: with them the run is partial (exit 3), as in serverless mode.
      const failed = result.unreadable + result.damaged + result.limited;
      const someRead = result.lines > 0 || failed < (c.io.fleet?.job ?? c.job).targets.length;
      outcome = failed === 0 ? "ok" : someRead ? "partial" : "failed";
      if (outcome === "ok") c.outcomes.answered(server.label);
      else c.outcomes.failed(server.label, c.unreadable.get(server.label) ?? "file unreadable");
    }
    if (c.run.verb !== "tail" || signal.aborted) return outcome;
    if (result !== null && c.outcomes.outcome(server.label)?.answered) {
      c.outcomes.failed(server.label, "connection ended, reconnecting");
    }
    if (
      positions !== null && result !== null && !result.capabilities.includes(RESUME_CAPABILITY)
    ) cannotResume();
    const wait = backoffMs * (0.8 + Math.random() * 0.4);
    backoffMs = Math.min(backoffMs * 2, 60_000);
    c.io.warn(`${server.label}: connection ended, reconnecting in ${(wait / 1000).toFixed(1)} s`);
    await sleep(wait, signal);
    if (signal.aborted) return outcome;
  }
}

async function once(
  server: ResolvedServer,
  c: Context,
  positions: PositionTable | null,
  onCapabilities: (capabilities: readonly string[]) => void,
): Promise<SessionResult | null> {
  let ssh: SshLink;
  let io: LinkIO;
  let silent = false;
  const setup = server.jumps.length > 0 ? c.tunneledSetup : c.setup;
  if (!(await setup.acquire(c.signal))) return null;
  try {
    ssh = await c.dialer.connect(server, c.signal);
    // Reported through the session's end; a hung server's silence is named there.
    ssh.onSilent(() => silent = true);
    io = await ssh.shell(server.label, c.dialer.timeoutMs, c.signal).catch((err) => {
      ssh.end(); // connected, but no session: nothing more to say on this connection
      throw err;
    });
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    if (err.reason !== "aborted") {
      c.io.warn(err.message);
      c.outcomes.failed(server.label, causeOf(err.message, server.label));
    }
    return null;
  } finally {
    setup.release();
  }
  c.counts.connected++;
  c.counts.total++;
  const fleet = c.io.fleet;
  const link = fleet?.link(server.label) ?? null;
  const job = fleet?.job ?? c.job;
  // The job the server's output belongs to: the one it acknowledged last.
  const jobNow = link === null ? () => job : () => link.job ?? job;
  // Following with positions: what this session printed, until a position confirms it.
  const held = positions === null ? null : new HeldOutput(c.io.out);
  try {
    const aggregate = c.io.aggregate;
    // Per session: block pieces may end mid-line, and lines of servers must not mix.
    let blocks = new BlockPrinter(c.io.out);
    let printer = c.printer;
    const resume: SessionResume | null = positions === null ? null : {
      positions,
      hold() {
        printer = c.newPrinter(held!.out);
        blocks = new BlockPrinter(held!.out);
      },
      confirmed: () => held!.release(),
      held: () => held!.pending,
    };
    const result = await runRemoteSession(io, job, {
      payload: aggregate === undefined ? (m) => printer.payload(m) : (m) => {
        const text = decoder.decode(m).replaceAll("\n", "");
        if (text.startsWith("AGGREGATE|")) aggregate(text, jobNow());
        else if (text !== "") c.printer.payload(m);
      },
      ...(aggregate === undefined
        ? {
          payloadRun: (run: PayloadRun) => printer.payloadRun(run),
          // Interactive runs keep to escaped messages: a reload may change --plain.
          ...(fleet ? {} : { block: (bytes: Uint8Array) => blocks.piece(bytes) }),
        }
        : {}),
      ...(c.io.live?.wantsBytes
        ? {
          progress: (read: number, total: number) => c.io.live!.bytes(server.label, read, total),
        }
        : {}),
      ...(c.io.malformed
        ? {
          malformed: (count: number) => {
            c.malformed.count += count;
            c.io.malformed!(count, jobNow());
          },
        }
        : {}),
      notice: (text, fileFailed) => {
        c.io.out.flush();
        c.io.warn(text.startsWith("SERVER|") ? text : `${server.label}: ${text}`);
        if (fileFailed && !c.unreadable.has(server.label)) {
          const cause = unreadableCause(text);
          c.unreadable.set(server.label, cause);
          c.outcomes.failed(server.label, cause); // a follow goes on: said at once
        }
      },
      flush: () => c.flush.poke(),
    }, {
      authKey: c.authKey,
      signal: c.signal,
      onCapabilities,
      ...(link === null ? {} : {
        session: { link, warn: (message: string) => c.io.warn(`${server.label}: ${message}`) },
      }),
      ...(resume === null ? {} : { resume }),
    });
    if (silent && !result.completed && result.error === null) {
      const seconds = (KEEPALIVE_COUNT * c.keepaliveMs) / 1000;
      result.error =
        `the server did not answer for ${seconds} s (${KEEPALIVE_COUNT} keepalives): ` +
        "connection given up";
    }
    return result;
  } finally {
    // Lines not confirmed by a position: the resume sends them again.
    held?.discard();
    if (link !== null) fleet!.drop(link);
    c.counts.connected--;
    ssh.end();
  }
}

const decoder = new TextDecoder();

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
