/** How a program ends (docs/usage.md#exit-status); 3, a partial failure, is cli/serverless.ts's. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
