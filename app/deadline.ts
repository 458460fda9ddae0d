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

/** The longest a timer waits in one go (a signed 32-bit count of ms: Node's setTimeout fires a
 * longer one after 1 ms, with a warning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fire` after `seconds` (any length: a deadline past ~24.8 days is waited for in steps);
 * returns what cancels it.
 */
export function armDeadline(seconds: number, fire: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wait = (ms: number) => {
    timer = setTimeout(
      () => ms > MAX_TIMER_MS ? wait(ms - MAX_TIMER_MS) : fire(),
      Math.min(ms, MAX_TIMER_MS),
    );
  };
  wait(seconds * 1000);
  return () => clearTimeout(timer);
}
