/**
 * --interactive-query (docs/usage.md#interactive-query-reload): the run goes on while the control
 * terminal takes `:reload <flags>`, `:show`, `:help` and `:quit`, with the Go client's replies.
 * What a reload means for a run (SESSION UPDATE to every server, or a new serverless run) is the
 * Workload's; which flags a reload takes and what job they make is the Planner's (the program
 * layer's flag parsing).
 */
import type { RunResult } from "../../core/run.ts";
import { BANNER, ControlInputError, HELP, parseControlLine } from "./control_command.ts";
import type { ControlTerminal } from "./control_terminal.ts";

/** What `:show` prints of a workload, as the Go client does. */
export interface WorkloadInfo {
  /** tail, cat, grep or map. */
  readonly mode: string;
  readonly files: readonly string[];
  readonly query: string;
  readonly regex: string;
  /** The options of the commands, `k=v:…` (docs/protocol.md#options). */
  readonly options: string;
  readonly timeout: number;
}

/** A job with what `:show` says of it. */
export interface Planned<J> {
  readonly job: J;
  readonly info: WorkloadInfo;
}

/** Turns `:reload` arguments into the next job; throws with the reason when they cannot be. */
export interface Planner<J> {
  /** The job running now. */
  readonly current: Planned<J>;
  plan(args: readonly string[]): Planned<J>;
  /** The planned job runs now: later reloads change it. */
  accept(planned: Planned<J>): void;
}

/** A run that can be reloaded. */
export interface Workload<J> {
  /** Applies the job, or throws with why not (the old job then still runs). */
  reload(job: J): Promise<void>;
  /** Connections that take reloads, of all (serverless: one of one). */
  capable(): { readonly capable: number; readonly total: number };
  /** The generation of the job that runs (1 at the start). */
  generation(): number;
  /** More lines for `:show` (one per server). */
  details(): string[];
  /** The run's end: by the stop signal given to it, or by itself (all servers done). */
  readonly done: Promise<RunResult>;
}

export interface InteractiveOutcome {
  readonly result: RunResult;
  /** Ended from the control terminal (`:quit`, end of input), not by a signal or by itself. */
  readonly quit: boolean;
}

/**
 * Starts the workload (`start` gets the signal that stops it) and serves the control terminal
 * until `:quit`, the end of its input, or the end of the run.
 */
export async function runInteractive<J>(
  terminal: ControlTerminal,
  planner: Planner<J>,
  start: (stop: AbortSignal) => Workload<J>,
): Promise<InteractiveOutcome> {
  const stop = new AbortController();
  const workload = start(stop.signal);
  const ended = new AbortController();
  const control = serve(terminal, planner, workload, ended.signal);
  const first = await Promise.race([
    workload.done.then(() => "done" as const, () => "done" as const),
    control,
  ]);
  if (first === "done") {
    ended.abort();
    return { result: await workload.done, quit: false };
  }
  stop.abort();
  return { result: await workload.done, quit: true };
}

/** The control loop; resolves when the user quits or input ends ("ended" when told to stop). */
async function serve<J>(
  terminal: ControlTerminal,
  planner: Planner<J>,
  workload: Workload<J>,
  ended: AbortSignal,
): Promise<"quit" | "ended"> {
  terminal.say(BANNER);
  const input = terminal.input();
  const stopped = new Promise<null>((resolve) => {
    if (ended.aborted) resolve(null);
    ended.addEventListener("abort", () => resolve(null), { once: true });
  });
  for (;;) {
    const next = await Promise.race([input.next(), stopped]);
    if (next === null) return "ended";
    if (next.done || next.value.kind === "eof") return "quit";
    if (next.value.kind === "interrupt") {
      terminal.say("quitting interactive session");
      return "quit";
    }
    const line = next.value.text.trim();
    if (line === "") continue;
    if (await handle(line, terminal, planner, workload) === "quit") return "quit";
  }
}

async function handle<J>(
  line: string,
  terminal: ControlTerminal,
  planner: Planner<J>,
  workload: Workload<J>,
): Promise<"quit" | null> {
  let planned: Planned<J>;
  try {
    const command = parseControlLine(line);
    switch (command.kind) {
      case "help":
        terminal.say(HELP);
        return null;
      case "show":
        for (const text of showLines(planner.current.info, workload)) terminal.say(text);
        return null;
      case "quit":
        terminal.say("quitting interactive session");
        return "quit";
    }
    planned = planner.plan(command.args);
  } catch (err) {
    terminal.say(`interactive query error: ${messageOf(err)}`);
    return null;
  }
  try {
    await workload.reload(planned.job);
  } catch (err) {
    terminal.say(`reload failed: ${messageOf(err)}`);
    return null;
  }
  planner.accept(planned);
  terminal.say("reload applied successfully");
  return null;
}

/** Go's `:show` line, then ours: the generation and one line per server. */
export function showLines<J>(info: WorkloadInfo, workload: Workload<J>): string[] {
  const { capable, total } = workload.capable();
  return [
    `mode=${info.mode} files=${info.files.join(",")} query=${goQuote(info.query)} ` +
    `regex=${goQuote(info.regex)} options=${goQuote(info.options)} timeout=${info.timeout} ` +
    `capable=${capable}/${total}`,
    `generation=${workload.generation()}`,
    ...workload.details(),
  ];
}

/** Go's %q for the strings :show prints (JSON's escapes differ only for rare control bytes). */
function goQuote(text: string): string {
  return JSON.stringify(text);
}

function messageOf(err: unknown): string {
  if (err instanceof ControlInputError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
