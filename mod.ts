/**
 * DTail for Deno: the public library API. The `core/` stages know nothing of SSH; `cli/` and
 * `server/` plug them into stdout or SSH channels.
 *
 * @module
 */
export * from "./core/chunks.ts";
export * from "./core/color.ts";
export * from "./core/compression.ts";
export * from "./core/config.ts";
export * from "./core/decompress.ts";
export * from "./core/follow.ts";
export * from "./core/follow_glob.ts";
export * from "./core/glob.ts";
export * from "./core/hostname.ts";
export * from "./core/line_batch.ts";
export * from "./core/lines.ts";
export * from "./core/matcher.ts";
export * from "./core/output.ts";
export * from "./core/pipeline.ts";
export * from "./core/remote_paints.ts";
export * from "./core/run.ts";
export * from "./core/select.ts";
export * from "./core/sink.ts";
export * from "./core/source.ts";
export * from "./core/terminal_printer.ts";
export * from "./core/waker.ts";
export * from "./core/zstd_frames.ts";
export * from "./core/protocol/wire_printer.ts";
