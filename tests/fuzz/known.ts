/**
 * Problems the fuzzer found in files outside its remit, reported to their owners. They are
 * printed on every run but do not fail it (and a server they kill is restarted). Remove an entry
 * once its fix is in: the fuzzer then guards against the problem coming back.
 */
const KNOWN: { readonly match: RegExp; readonly note: string }[] = [];

/** The note of the known problem `report` is about, or null. */
export function knownIssue(report: string): string | null {
  return KNOWN.find((k) => k.match.test(report))?.note ?? null;
}
