/**
 * A channel through a jump host as the byte stream the next SSH connection runs over
 * (transport.ts's ByteStream): reads take what the channel delivered, writes go out as channel
 * data within its window, and closing closes the channel, not the jump host's connection.
 */
import type { ChannelIO } from "./session_channel.ts";
import type { ByteStream } from "./transport.ts";

export class ChannelStream implements ByteStream {
  readonly #io: ChannelIO;
  readonly #input: AsyncIterator<Uint8Array>;
  #pending: Uint8Array | null = null;
  #closed = false;

  constructor(io: ChannelIO) {
    this.#io = io;
    this.#input = io.input[Symbol.asyncIterator]();
  }

  async read(into: Uint8Array): Promise<number | null> {
    if (this.#pending === null || this.#pending.length === 0) {
      if (this.#closed) return null;
      const next = await this.#input.next();
      if (next.done) return null;
      this.#pending = next.value;
    }
    const n = Math.min(into.length, this.#pending.length);
    into.set(this.#pending.subarray(0, n));
    this.#pending = this.#pending.subarray(n);
    return n;
  }

  async write(bytes: Uint8Array): Promise<number> {
    if (this.#closed) throw new Error("the channel is closed");
    await this.#io.write(bytes.slice());
    return bytes.length;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#io.close();
  }
}
