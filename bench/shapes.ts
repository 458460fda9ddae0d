/**
 * The data shapes the throughput cases run on (issue 15: no optimisation may fit one shape only):
 * app.log (bench/generate.ts) and mixed.log (bench/generate_mixed.ts). BENCH_SHAPES=1 keeps only
 * the first, for a quicker run.
 */
import { type DataSet, LOG_BYTES, type LogSet } from "./generate.ts";
import { ensureMixedData, MIXED_LOG_BYTES } from "./generate_mixed.ts";

export interface Shape {
  /** The log's file name, which the tables show. */
  readonly name: string;
  readonly set: LogSet;
  /** Uncompressed bytes of the log. */
  readonly bytes: number;
}

/** 1 or 2 (BENCH_SHAPES, default 2). */
export function shapeCount(): number {
  const count = Number(Deno.env.get("BENCH_SHAPES") || 2);
  if (count !== 1 && count !== 2) throw new Error("BENCH_SHAPES must be 1 or 2");
  return count;
}

/** app.log from `data`, then mixed.log (generated in dir when missing) unless BENCH_SHAPES=1. */
export async function benchShapes(data: DataSet, dir: string): Promise<Shape[]> {
  const all: Shape[] = [{ name: "app.log", set: data, bytes: LOG_BYTES }];
  if (shapeCount() === 2) {
    all.push({ name: "mixed.log", set: await ensureMixedData(dir), bytes: MIXED_LOG_BYTES });
  }
  return all;
}
