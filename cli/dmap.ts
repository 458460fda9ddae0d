/**
 * Serverless `dmap` (§1.8, §5): reads whole files (or stdin) through the same core/ stages,
 * keeps the lines of the query's table, parses them with the log format, applies where and set,
 * aggregates, and prints the table (and writes the CSV outfile). Cumulative: one final result.
 */
import type { Config } from "../core/config.ts";
import { fullHostname } from "../core/hostname.ts";
import { compileMatcher } from "../core/matcher.ts";
import type { BufferedOutput } from "../core/output.ts";
import { filterChunks } from "../core/pipeline.ts";
import type { Selection } from "../core/select.ts";
import { fileChunks, SourceError, STDIN_ID, stdinChunks } from "../core/source.ts";
import { CorruptInputError } from "../core/compression.ts";
import {
  effectiveLogFormat,
  parseQuery,
  referencedVariables,
  tableFilter,
} from "../core/mapr/query.ts";
import { createParser, knownVariables, variableWarning } from "../core/mapr/logformat.ts";
import { applySet, passesWhere } from "../core/mapr/evaluate.ts";
import { GroupSet } from "../core/mapr/aggregate.ts";
import { checkOutfileWritable, renderTable, writeOutfile } from "../core/mapr/render.ts";
import type { Query } from "../core/mapr/types.ts";
import { filesOf, type RunResult } from "./serverless.ts";

export interface DmapJob {
  readonly queryText: string;
  readonly targets: readonly string[];
  readonly color: boolean;
  readonly plain: boolean;
}

export interface DmapIO {
  readonly out: BufferedOutput;
  readonly warn: (message: string) => void;
  readonly signal: AbortSignal;
}

/** Parses and checks the query before any file is read (errors are usage errors, exit 2). */
export function planQuery(text: string, warn: (message: string) => void): Query {
  const query = parseQuery(text);
  if (query.outfile !== null) checkOutfileWritable(query.outfile.path);
  const format = effectiveLogFormat(query, "default");
  const known = knownVariables(format);
  const assigned = new Set(query.set.map((a) => a.target));
  for (const v of referencedVariables(query)) {
    if (!known.has(v) && !assigned.has(v)) warn(variableWarning(v, format));
  }
  return query;
}

export async function runDmap(job: DmapJob, config: Config, io: DmapIO): Promise<RunResult> {
  const query = planQuery(job.queryText, io.warn);
  const format = effectiveLogFormat(query, config.Server.MapreduceLogFormat);
  const parser = createParser(format, { hostname: fullHostname(), warn: io.warn });
  const filter = tableFilter(query);
  const matcher = compileMatcher(filter === "." ? "" : filter);
  const groups = new GroupSet(query);
  const result: RunResult = { ok: 0, failed: 0 };
  let malformed = 0;
  const feed = (line: string, id: string) => {
    const fields = parser.parse(line, id);
    if (fields === "skip") return;
    if (fields === "malformed") {
      malformed++;
      return;
    }
    if (!passesWhere(query.where, fields)) return;
    applySet(query.set, fields);
    groups.add(fields);
  };
  for (const target of job.targets) {
    const files = filesOf(target, config.Server.MaxGlobTargets, io.warn);
    if (files.length === 0) {
      result.failed++;
      continue;
    }
    for (const { path, id } of files) {
      const chunks = path === STDIN_ID ? stdinChunks() : fileChunks(path);
      try {
        const selections = filterChunks(chunks, {
          matcher,
          maxLineLength: config.Server.MaxLineLength,
        });
        for await (const sel of selections) {
          forEachLine(sel, (line) => feed(line, id));
          if (io.signal.aborted) break;
        }
        result.ok++;
      } catch (err) {
        if (!(err instanceof SourceError || err instanceof CorruptInputError)) throw err;
        io.warn(err.message);
        result.failed++;
      }
    }
  }
  const rows = groups.rows();
  io.out.string(renderTable(query, rows, { color: job.color }));
  if (malformed > 0) io.out.string(`${malformed} malformed line(s) skipped\n`);
  io.out.flush();
  if (query.outfile !== null) await writeOutfile(query, rows);
  return result;
}

/** Calls `fn` with every selected line as text, without its line end. */
function forEachLine(sel: Selection, fn: (line: string) => void): void {
  const { batch, regions } = sel;
  const text = batch.text;
  const aligned = batch.byteAligned;
  const dec = new TextDecoder();
  for (let i = 0; i < regions.length; i += 2) {
    const region = aligned
      ? text.slice(regions[i]!, regions[i + 1]!)
      : dec.decode(batch.bytes.subarray(regions[i]!, regions[i + 1]!));
    let start = 0;
    while (start < region.length) {
      let end = region.indexOf("\n", start);
      if (end < 0) end = region.length;
      const line = region.charCodeAt(end - 1) === 13
        ? region.slice(start, end - 1)
        : region.slice(start, end);
      fn(line);
      start = end + 1;
    }
  }
}
