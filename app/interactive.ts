/**
 * --interactive-query (docs/usage.md#interactive-query-reload): the control terminal is opened
 * (a missing or closed one is one line and exit 2), the run is started as a Workload and
 * cli/interactive/controller.ts serves the terminal until `:quit`, its end of input, a signal, or
 * the end of the run. `:reload` lines are planned here, from the flags (app/reload.ts).
 */
import type { Config } from "../core/config.ts";
import { BufferedOutput, fileSink } from "../core/output.ts";
import { ControlTerminal } from "../cli/interactive/control_terminal.ts";
import { runInteractive, type Workload } from "../cli/interactive/controller.ts";
import { planQuery, type QueryIO } from "../cli/mapreduce.ts";
import type { RemoteConnection } from "../cli/remote.ts";
import type { RunIO } from "../cli/serverless.ts";
import { exitCodeOf } from "./exit_codes.ts";
import type { Program } from "./flag_table.ts";
import type { Flags } from "./flags.ts";
import { reloadPlanner } from "./reload.ts";
import {
  clientSettings,
  loadMatcher,
  querySettings,
  type SettingsEnv,
  targetsOf,
} from "./settings.ts";

/** What the interactive runs take from main: the output, warnings and the run's stop. */
export interface ProgramIO {
  readonly out: BufferedOutput;
  readonly warn: (message: string) => void;
  /** Signals, --timeout, --shutdownAfter. */
  readonly signal: AbortSignal;
  /** Ctrl-C / SIGTERM only (query runs). */
  readonly interrupted?: AbortSignal;
}

const EXIT_OK = 0;

/** dcat, dgrep and dtail (no query), serverless or over SSH. */
export async function interactiveClient(
  program: Program,
  flags: Flags,
  config: Config,
  env: SettingsEnv,
  controlTty: string,
  io: ProgramIO,
): Promise<number> {
  // A reload may bring a regex where the run started with a plain string (or none).
  await loadMatcher();
  const build = (f: Flags) => {
    const s = clientSettings(program, f, config, env);
    if (!s.remote) return { remote: false as const, job: s.job };
    // Go sends --timeout in every session spec (the servers use it for queries only).
    const timeout = f.parsed.values.timeout ?? 0;
    return { remote: true as const, run: { ...s.run, timeout }, connection: s.connection };
  };
  const first = build(flags);
  // Loaded before the terminal is taken: the SSH stack costs start-up time.
  const remote = first.remote ? await import("../cli/interactive/remote_workload.ts") : null;
  const { serverlessWorkload } = await import("../cli/interactive/serverless_workload.ts");
  return await withTerminal(controlTty, io, async (screen) => {
    if (first.remote) {
      const planner = reloadPlanner(flags, false, (f) => {
        const next = build(f);
        if (!next.remote) throw new Error("a reload cannot leave the servers");
        return next.run;
      });
      return await runInteractive(
        screen.terminal,
        planner,
        (stop) =>
          remote!.interactiveRemote(first.run, first.connection, config, {
            ...screen.io,
            signal: AbortSignal.any([io.signal, stop]),
          }),
      );
    }
    const planner = reloadPlanner(flags, false, (f) => {
      const next = build(f);
      if (next.remote) throw new Error("a reload cannot go to servers");
      return next.job;
    });
    return await runInteractive(screen.terminal, planner, (stop) =>
      serverlessWorkload(first.job, {
        ...screen.io,
        signal: AbortSignal.any([io.signal, stop]),
      }));
  });
}

/** dmap, and dtail with a query. */
export async function interactiveQuery(
  program: Program,
  flags: Flags,
  config: Config,
  env: SettingsEnv,
  controlTty: string,
  io: ProgramIO & { readonly interrupted: AbortSignal },
): Promise<number> {
  const build = (f: Flags) => {
    const s = querySettings(program, f, config, env, targetsOf(f));
    // A query that does not parse fails here (its warnings come when it runs).
    planQuery(s.job.queryText, () => {});
    return s;
  };
  const first = build(flags);
  const connection: RemoteConnection | null = first.connection;
  const remote = connection === null ? null : await import("../cli/interactive/remote_workload.ts");
  const { interactiveQuery: start } = await import("../cli/interactive/query_workload.ts");
  return await withTerminal(controlTty, io, async (screen) => {
    const planner = reloadPlanner(flags, true, (f) => build(f).job);
    return await runInteractive(screen.terminal, planner, (stop): Workload<typeof first.job> => {
      const queryIO: QueryIO = {
        ...screen.io,
        signal: AbortSignal.any([io.signal, stop]),
        // Leaving with :quit is like Ctrl-C: a streaming query skips its last report.
        interrupted: AbortSignal.any([io.interrupted, stop]),
      };
      return start(first.job, config, queryIO, connection, remote);
    });
  });
}

/**
 * Opens the control terminal, runs `body` with the output arranged around it, and restores the
 * terminal on every way out. `:quit` and the end of the control input exit 0.
 */
async function withTerminal(
  path: string,
  io: ProgramIO,
  body: (screen: { terminal: ControlTerminal; io: RunIO }) => Promise<
    { result: { ok: number; failed: number }; quit: boolean }
  >,
): Promise<number> {
  const terminal = ControlTerminal.open(path);
  try {
    // On the terminal the control line is drawn on, output is printed above it.
    const screen = terminal.editing && Deno.stdout.isTerminal();
    const out = screen ? new BufferedOutput(terminal.around(fileSink(Deno.stdout))) : io.out;
    const warn = !screen ? io.warn : (message: string) => {
      out.flush();
      terminal.aside(() => io.warn(message));
    };
    const outcome = await body({ terminal, io: { out, warn, signal: io.signal } });
    out.flush();
    return outcome.quit ? EXIT_OK : exitCodeOf(outcome.result);
  } finally {
    terminal.close();
  }
}
