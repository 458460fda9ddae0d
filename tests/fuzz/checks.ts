/**
 * What a fuzz case may do: each call returns within CALL_LIMIT_MS and throws only its own typed
 * errors; anything else is a Failure, reported as a Finding with the case's seed and input.
 */
import type { Rng } from "./mutate.ts";

export const CALL_LIMIT_MS = 200;

// deno-lint-ignore no-explicit-any
export type ErrorClass = new (...args: any[]) => Error;

/** A failed check: what was called, with which input, and what went wrong. */
export interface Finding {
  readonly seed: number;
  readonly target: string;
  readonly problem: string;
  /** The input, printable (show()). */
  readonly input: string;
}

export class Failure extends Error {}

/** Calls `fn` within the time limit; an error not in `allowed` is a Failure. Null on allowed. */
export function call<T>(what: string, allowed: ErrorClass[], fn: () => T): T | null {
  const started = performance.now();
  let result: T | null = null;
  try {
    result = fn();
  } catch (err) {
    checkError(what, allowed, err);
  }
  checkTime(what, started);
  return result;
}

export async function callAsync<T>(what: string, allowed: ErrorClass[], fn: () => Promise<T>) {
  const started = performance.now();
  let result: T | null = null;
  try {
    result = await fn();
  } catch (err) {
    checkError(what, allowed, err);
  }
  checkTime(what, started);
  return result;
}

/** `call` without the time limit, for work that may take long where it runs. */
export function untimed<T>(what: string, allowed: ErrorClass[], fn: () => T): T | null {
  try {
    return fn();
  } catch (err) {
    checkError(what, allowed, err);
    return null;
  }
}

export async function untimedAsync(what: string, allowed: ErrorClass[], fn: () => Promise<void>) {
  try {
    await fn();
  } catch (err) {
    checkError(what, allowed, err);
  }
}

function checkError(what: string, allowed: ErrorClass[], err: unknown): void {
  if (err instanceof Failure) throw err;
  if (allowed.some((E) => err instanceof E)) return;
  const e = err as Error;
  throw new Failure(`${what} threw ${e?.name}: ${e?.message}\n${e?.stack ?? ""}`);
}

function checkTime(what: string, started: number): void {
  const ms = performance.now() - started;
  if (ms > CALL_LIMIT_MS) throw new Failure(`${what} took ${ms.toFixed(0)} ms`);
}

export interface Target {
  readonly name: string;
  /** The case's input, from its random stream only. */
  input(rng: Rng): unknown;
  run(input: never, env: Env): void | Promise<void>;
}

export interface Env {
  /** A small directory tree for the glob target. */
  readonly tree: string;
}
