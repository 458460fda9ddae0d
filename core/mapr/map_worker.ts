/// <reference lib="deno.worker" />
/**
 * Maps one byte range of a plain file on its own thread (parallel_map.ts): the same stages as
 * the main thread (read → lines → table filter → map), the groups sent back as columns.
 */
import { readFileChunks } from "../chunks.ts";
import { openPinned } from "../open_file.ts";
import { selectInto } from "../pipeline.ts";
import { mapFilter, type MapRange } from "./map_filter.ts";
import { Mapper } from "./mapper.ts";
import { parseQuery } from "./query.ts";

self.onmessage = async (e: MessageEvent<MapRange>) => {
  const job = e.data;
  try {
    const query = parseQuery(job.query);
    const mapper = new Mapper(query, {
      serverLogFormat: job.serverLogFormat,
      hostname: job.hostname,
    });
    using file = openPinned(job.pin);
    file.seekSync(job.start, Deno.SeekMode.Start);
    const chunks = readFileChunks(file, { limit: job.end - job.start });
    await selectInto(chunks, mapFilter(query, job.maxLineLength, job.regex), mapper, job.sourceId);
    const columns = mapper.takeGroups().exportColumns();
    self.postMessage({ ok: true, columns, malformed: mapper.malformed });
  } catch (err) {
    self.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  }
};
