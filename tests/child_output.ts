/**
 * What a test's child process (a dserver, an sshd, the Go dserver) writes to stdout and stderr,
 * collected as it comes, and waiting for a line that says it is ready.
 */

/** Collects both streams of `child` into one text; returns a reader of what came so far. */
export function collectOutput(child: Deno.ChildProcess): () => string {
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  pump(child.stdout);
  pump(child.stderr);
  return () => text;
}

/**
 * Waits until the output matches `ready` and returns the match; after `ms`, kills the child and
 * throws with what it wrote (`what` names it).
 */
export async function waitForOutput(
  child: Deno.ChildProcess,
  output: () => string,
  ready: RegExp,
  ms: number,
  what: string,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = ready.exec(output());
    if (m) return m;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${what} did not start:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
