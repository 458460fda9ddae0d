/// <reference lib="deno.worker" />
/**
 * Maps pieces of a plain file claimed from its back (parallel_map.ts, piece_claims.ts) on its own
 * thread: the same stages as the main thread (read → lines → table filter → map), the groups sent
 * back as columns. Pieces are claimed last first; a query whose results depend on the order of
 * lines (`last`, `len`) keeps each piece's groups apart and merges them in file order.
 */
import { readFileChunks } from "../chunks.ts";
import { openPinned } from "../open_file.ts";
import { selectInto } from "../pipeline.ts";
import { type GroupSet, MAX_HELD_CHARS } from "./aggregate.ts";
import { mapFilter, type MapRange } from "./map_filter.ts";
import { Mapper } from "./mapper.ts";
import { lineStartAt, PieceClaims } from "./piece_claims.ts";
import { parseQuery } from "./query.ts";

self.onmessage = async (e: MessageEvent<MapRange>) => {
  const job = e.data;
  try {
    const query = parseQuery(job.query);
    const mapper = new Mapper(query, {
      serverLogFormat: job.serverLogFormat,
      hostname: job.hostname,
    });
    const ordered = mapper.groups.slots.some((s) => s.agg === "last" || s.agg === "len");
    const claims = new PieceClaims(
      job.claims,
      Math.ceil(job.size / job.pieceBytes),
      job.pieceBytes,
    );
    const filter = await mapFilter(query, job.maxLineLength, job.regex);
    const pieces: [number, GroupSet][] = [];
    using file = openPinned(job.pin);
    let mapped = 0;
    let held = 0; // groups in `pieces`
    let heldChars = 0; // and their characters (MAX_HELD_CHARS)
    const full = () =>
      job.maxGroups !== null &&
      (held + mapper.groups.size >= job.maxGroups ||
        heldChars + mapper.groups.chars >= MAX_HELD_CHARS);
    // Checked before a piece is claimed: a claimed piece is mapped, here or nowhere.
    const next = () => full() ? -1 : claims.back();
    for (let piece = next(); piece >= 0; piece = next()) {
      const start = lineStartAt(file, piece * job.pieceBytes, job.size);
      const end = lineStartAt(file, (piece + 1) * job.pieceBytes, job.size);
      file.seekSync(start, Deno.SeekMode.Start);
      const chunks = readFileChunks(file, { limit: end - start });
      await selectInto(chunks, filter, mapper, job.sourceId);
      if (ordered) {
        const groups = mapper.takeGroups();
        held += groups.size;
        heldChars += groups.chars;
        pieces.push([piece, groups]);
      }
      mapped++;
    }
    const groups = mapper.takeGroups();
    if (ordered) {
      pieces.sort((a, b) => a[0] - b[0]);
      for (const [, set] of pieces) groups.merge(set);
    }
    const columns = groups.exportColumns();
    const skipped = mapper.groups.skipped.plain();
    self.postMessage({ ok: true, columns, malformed: mapper.malformed, skipped, pieces: mapped });
  } catch (err) {
    self.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  }
};
