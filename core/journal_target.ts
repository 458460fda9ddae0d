/**
 * What names a journal target (docs/server.md#journal-targets), apart from the code that reads one
 * (core/journal.ts): a run that only tells targets apart does not load that.
 */
export const JOURNAL_PREFIX = "journal:";
export const JOURNAL_CAPABILITY = "journal-v1";

export function isJournalTarget(target: string): boolean {
  return target.startsWith(JOURNAL_PREFIX);
}
