/**
 * Ports on 127.0.0.1 for the servers tests and benches start whose port is given on their
 * command line (the Go dserver, an installed dserver): a free one, and waiting until it accepts.
 */

/** A port nothing listens on right now (another process may still take it before the server). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Whether a TCP connection to `port` on 127.0.0.1 is accepted now. */
export async function accepts(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Polls `port` every 20 ms until it accepts ("accepts"), `child` exits ("exited") or `timeoutMs`
 * pass ("timeout").
 */
export async function waitUntilAccepts(
  port: number,
  child: Deno.ChildProcess,
  timeoutMs: number,
): Promise<"accepts" | "exited" | "timeout"> {
  let exited = false;
  child.status.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (!exited && Date.now() < deadline) {
    if (await accepts(port)) return "accepts";
    await new Promise((r) => setTimeout(r, 20));
  }
  return exited ? "exited" : "timeout";
}
