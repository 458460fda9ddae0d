/** How a program ends (docs/usage.md#exit-status); 3, a partial failure, is cli/serverless.ts's. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A run's status: 0 when every source or server answered, 1 when none did, 3 when some did. */
export function exitCodeOf(result: { readonly ok: number; readonly failed: number }): number {
  if (result.failed === 0) return EXIT_OK;
  return result.ok === 0 ? EXIT_FAILED : 3;
}
