/**
 * The start of a session (docs/protocol.md#messages): the first message of a current server is its
 * capability list (`.syn capabilities …`); old servers send nothing until they get commands, so the
 * client waits only a moment for it.
 */
import { delay } from "../../core/delay.ts";
import { MessageReader, parseCapabilities } from "../../core/protocol/messages.ts";

export interface Handshake {
  /** What the server advertised; empty when it advertised nothing in time. */
  readonly capabilities: string[];
  /** Messages that came after the capability list in its chunk (not unescaped: none asked yet). */
  readonly early: Uint8Array[];
  /** A message cut off at the end of that chunk, for the reply reader to go on with. */
  readonly partial: Uint8Array | null;
  /** The read still under way when the wait ran out: it brings the first reply. */
  readonly pendingRead: Promise<IteratorResult<Uint8Array>> | null;
}

const dec = new TextDecoder();

export async function awaitCapabilities(
  input: AsyncIterator<Uint8Array>,
  waitMs: number,
): Promise<Handshake> {
  const firstRead = input.next();
  const stopWaiting = new AbortController();
  const first = await Promise.race([
    firstRead,
    delay(waitMs, stopWaiting.signal).then(() => null),
  ]);
  stopWaiting.abort();
  if (first === null) return { capabilities: [], early: [], partial: null, pendingRead: firstRead };
  if (first.done) return { capabilities: [], early: [], partial: null, pendingRead: null };
  const reader = new MessageReader();
  const early = reader.push(first.value);
  const capabilities = early.length > 0 ? parseCapabilities(dec.decode(early[0])) : null;
  if (capabilities !== null) early.shift();
  return { capabilities: capabilities ?? [], early, partial: reader.rest(), pendingRead: null };
}
