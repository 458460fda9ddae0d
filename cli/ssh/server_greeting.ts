/**
 * The first bytes a server sent, kept to tell a port that is no SSH server (a web server, a
 * database) from a slow SSH server when the handshake times out: ssh2 takes any lines before the
 * `SSH-` identification as a greeting and waits on, so the timeout was all a user learnt.
 */
import type { Duplex } from "node:stream";

/** What is kept: enough for a first line to quote. */
const KEEP_BYTES = 256;
const QUOTE_CHARS = 60;

export class ServerGreeting {
  #bytes = new Uint8Array(KEEP_BYTES);
  #length = 0;

  /** Keeps the first bytes `sock` receives (beside ssh2, which reads them too). */
  watch(sock: Duplex): void {
    const onData = (chunk: Uint8Array) => {
      this.add(chunk);
      if (this.#length === KEEP_BYTES) sock.off("data", onData);
    };
    sock.on("data", onData);
  }

  add(chunk: Uint8Array): void {
    const part = chunk.subarray(0, KEEP_BYTES - this.#length);
    this.#bytes.set(part, this.#length);
    this.#length += part.length;
  }

  /**
   * When the server sent a whole line and no line of what it sent starts an SSH identification:
   * its first line, quoted; otherwise null (nothing came, or an SSH server is slow).
   */
  notSsh(): string | null {
    const text = new TextDecoder().decode(this.#bytes.subarray(0, this.#length));
    const lines = text.split("\n");
    if (lines.length < 2 && this.#length < KEEP_BYTES) return null; // no whole line yet
    if (lines.some((line) => line.startsWith("SSH-"))) return null;
    const first = lines[0]!.replace(/\r$/, "");
    return JSON.stringify(first.length > QUOTE_CHARS ? `${first.slice(0, QUOTE_CHARS)}…` : first);
  }
}
