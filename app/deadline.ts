/**
 * When a query run stops on its own, in seconds (0: never). dtail: the earliest of `--timeout`
 * and `--shutdownAfter`, on the client (the servers also get `timeout N`). dmap: `--timeout` is
 * only the servers' collection limit (docs/compatibility.md#client-flags), so a remote dmap waits
 * for their final groups instead of cutting them off; serverless, this process is the server and
 * applies it itself.
 */
export function queryDeadline(
  program: string,
  remote: boolean,
  timeout: number,
  shutdownAfter: number,
): number {
  if (program !== "dtail") return remote ? 0 : Math.max(0, timeout);
  const set = [timeout, shutdownAfter].filter((s) => s > 0);
  return set.length === 0 ? 0 : Math.min(...set);
}
