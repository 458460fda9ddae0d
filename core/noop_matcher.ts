/**
 * The matcher of the patterns that match every line (docs/protocol.md#regex): a module of its
 * own, so that a run without a pattern (dcat) never loads the regex engine of core/matcher.ts
 * (docs/performance.md#start-up).
 */
import type { Matcher } from "./matcher_types.ts";

/** The client rule of docs/protocol.md#regex: "", "." and ".*" match everything. */
export function isNoopPattern(pattern: string): boolean {
  return pattern === "" || pattern === "." || pattern === ".*";
}

export class NoopMatcher implements Matcher {
  readonly kind = "noop";
  readonly engine = "none";
  constructor(readonly pattern: string) {}
  findLine(text: string, from: number): number {
    return from < text.length ? from : -1;
  }
  test(): boolean {
    return true;
  }
}
