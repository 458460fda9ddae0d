/**
 * The line-based terminal the trust prompt talks to (docs/compatibility.md#known-hosts). Tests
 * inject their own `TrustIO`.
 */

export interface TrustIO {
  /** The next input line without its line ending; null at end of input. */
  readLine(): Promise<string | null>;
  write(text: string): Promise<void>;
  close?(): void;
}

interface Reader {
  read(p: Uint8Array): Promise<number | null>;
}
interface Writer {
  write(p: Uint8Array): Promise<number>;
}

/** A `TrustIO` over a byte reader and writer. */
export function lineIO(reader: Reader, writer: Writer, close?: () => void): TrustIO {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = "";
  let ended = false;
  const io: TrustIO = {
    async readLine() {
      while (!pending.includes("\n") && !ended) {
        const buf = new Uint8Array(1024);
        const n = await reader.read(buf);
        if (n === null) ended = true;
        else pending += decoder.decode(buf.subarray(0, n), { stream: true });
      }
      if (pending === "" && ended) return null;
      const nl = pending.indexOf("\n");
      const line = nl < 0 ? pending : pending.slice(0, nl);
      pending = nl < 0 ? "" : pending.slice(nl + 1);
      return line.replace(/\r$/, "");
    },
    async write(text) {
      let data = encoder.encode(text);
      while (data.length > 0) data = data.subarray(await writer.write(data));
    },
  };
  if (close !== undefined) io.close = close;
  return io;
}

/**
 * The user's terminal: stdin when it is one (prompts go to stderr, stdout may be a pipe); else
 * `/dev/tty` (stdin is then the data or a pipe); else stdin anyway, so `echo y | dtail …` answers
 * the prompt as with the Go client. At end of input the prompt refuses the hosts.
 */
export function openTerminal(): TrustIO {
  if (!Deno.stdin.isTerminal()) {
    try {
      const tty = Deno.openSync("/dev/tty", { read: true, write: true });
      return lineIO(tty, tty, () => tty.close());
    } catch {
      // No controlling terminal (cron, CI, ssh without -t): fall back to stdin.
    }
  }
  return lineIO(Deno.stdin, Deno.stderr);
}
