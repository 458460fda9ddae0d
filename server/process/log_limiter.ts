/**
 * Rate limit for log lines an outsider can trigger at will (refused connections, handshake
 * timeouts): at most one line per kind and interval, the next one saying how many were left out.
 */
export class LogLimiter {
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly intervalMs = 10_000, private readonly now = () => Date.now()) {}

  /** Calls `write` with the text (and the count left out since) unless this kind just logged. */
  log(kind: string, text: string, write: (text: string) => void): void {
    const now = this.now();
    const last = this.#last.get(kind);
    if (last !== undefined && now - last.at < this.intervalMs) {
      last.suppressed++;
      return;
    }
    const more = last?.suppressed ? ` (${last.suppressed} more like it not logged)` : "";
    this.#last.set(kind, { at: now, suppressed: 0 });
    write(text + more);
  }
}
