/**
 * The live output of one query run on a terminal (docs/usage.md#live-output): its reports in
 * place (live_table.ts), dmap's progress line on stderr (progress_line.ts) with the counts behind
 * it, for a run against servers (FleetProgress, fed by cli/remote.ts) or serverless (the bytes of
 * the files read here, core/read_meter.ts). Null when neither is on: the run prints as through a
 * pipe, byte for byte.
 */
import type { BufferedOutput } from "../core/output.ts";
import { type OpenedFile, openRegular } from "../core/open_file.ts";
import { ReadMeter, sizeTarget } from "../core/read_meter.ts";
import type { Query } from "../core/mapr/types.ts";
import { type LiveRunHooks, LiveTable, terminalSize } from "./live_table.ts";
import { FleetProgress, ProgressLine, progressText } from "./progress_line.ts";

/** What is live, as app/settings.ts resolved it (each also needs its stream to be a terminal). */
export interface LiveSettings {
  /** stdout is a terminal: reports replace each other in place. */
  readonly table: boolean;
  /** stderr is a terminal (dmap): the progress line. */
  readonly progress: boolean;
}

export interface LiveQuery {
  readonly table: LiveTable;
  /** Prints a warning above the live output. */
  readonly warn: (message: string) => void;
  /** A run against servers reports here (RemoteIO.live). */
  readonly hooks: LiveRunHooks;
  /** Serverless: a file about to be read (its bytes are followed). */
  opened(opened: OpenedFile): void;
  /** Serverless: a file was read whole. */
  fileDone(): void;
  end(): void;
}

export interface LiveQueryRun {
  readonly live: LiveSettings | undefined;
  readonly verb: "cat" | "tail";
  readonly targets: readonly string[];
  /** Serverless runs: the glob bounds; null for a run against servers. */
  readonly serverless: { maxTargets: number; maxDirs: number } | null;
  /** A time range reads only part of each file: serverless, files are counted, not bytes. */
  readonly ranged: boolean;
}

const encoder = new TextEncoder();

export async function startLiveQuery(
  run: LiveQueryRun,
  query: Query,
  io: { readonly out: BufferedOutput; readonly warn: (message: string) => void },
): Promise<LiveQuery | null> {
  // A query with an outfile prints no table, only notes: they scroll.
  const inPlace = (run.live?.table ?? false) && query.outfile === null;
  const withProgress = (run.live?.progress ?? false) && run.verb === "cat";
  if (!inPlace && !withProgress) return null;
  const fleet = new FleetProgress("dmap");
  const meter = new ReadMeter();
  let filesDone = 0;
  if (withProgress && run.serverless !== null) {
    for (const target of run.targets) {
      await sizeTarget(meter, target, { glob: run.serverless, open: openRegular });
    }
  }
  const source = run.serverless === null ? () => fleet.text() : () => {
    const bytes = meter.sample();
    return progressText(
      "dmap",
      run.ranged || meter.files === 0 ? null : bytes,
      { done: run.ranged ? filesDone : meter.filesDone, all: meter.files, unit: "files" },
    );
  };
  const stderr = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  const progress = withProgress
    ? new ProgressLine({ write: stderr, columns: () => terminalSize().columns }, source)
    : null;
  const table = new LiveTable(io.out, { inPlace, progress, size: terminalSize });
  return {
    table,
    warn: (message) => table.above(() => io.warn(message)),
    hooks: {
      wantsBytes: withProgress,
      servers: (count) => fleet.servers(count),
      bytes: (server, read, total) => fleet.bytes(server, read, total),
      done: (server) => fleet.done(server),
      stderr: (text) => table.above(() => stderr(text)),
      prompting: (active) => {
        if (active) table.forget();
        progress?.pause(active);
      },
    },
    opened: (opened) => {
      if (withProgress) meter.track(opened.file, opened.size ?? opened.file.statSync().size);
    },
    fileDone: () => void filesDone++,
    end: () => table.end(),
  };
}
