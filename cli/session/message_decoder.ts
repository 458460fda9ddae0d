/**
 * Splits the server's replies into what the session acts on, for the wire chosen at the
 * handshake: messages (payload unescaped, control messages with their marker) and, on the
 * blocks wire, raw block pieces, in stream order.
 */
import { type BlockPiece, BlockStreamReader } from "../../core/protocol/blocks.ts";
import { MessageReader, type PayloadRun } from "../../core/protocol/messages.ts";
import type { Wire } from "./command_frames.ts";

export interface MessageDecoder {
  /**
   * The fast path: a chunk of nothing but payload messages, taken whole as one run (valid until
   * the next call). Null, consuming nothing, when the chunk has to be pushed instead.
   */
  payloadRun(chunk: Uint8Array): PayloadRun | null;
  /** The messages and block pieces of a chunk, in stream order. */
  push(chunk: Uint8Array): readonly (Uint8Array | BlockPiece)[];
  /** Why the stream could not be parsed; set, the session gives up. */
  readonly error: string | null;
}

const noRun = () => null;

/** `payloadRuns`: whether the session takes payload runs (only the escaped wire has them). */
export function messageDecoder(wire: Wire, payloadRuns: boolean): MessageDecoder {
  if (wire === "blocks") {
    const blocks = new BlockStreamReader();
    return {
      payloadRun: noRun,
      push: (chunk) => blocks.push(chunk),
      get error() {
        return blocks.error;
      },
    };
  }
  const messages = new MessageReader(wire === "escaped" ? () => true : undefined);
  return {
    payloadRun: wire === "escaped" && payloadRuns ? (chunk) => messages.splitPayload(chunk) : noRun,
    push: (chunk) => messages.push(chunk),
    get error() {
      return messages.error;
    },
  };
}
