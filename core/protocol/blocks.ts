/**
 * Raw blocks: a faster payload framing for `--plain` runs between two peers of ours.
 *
 * The Go wire sends every line as its own message, ended by 0xAC, so the server must write a
 * delimiter after each line and the client must find every one of them again. When the server
 * advertises BLOCK_CAPABILITY and the client asks for it (option `blocks=v1`, only together with
 * `escape=ac` and `plain=true`), the server sends the selected lines of a batch as one message:
 *
 *     AB 04 <size: 8 lowercase hex digits> <size raw bytes> AC
 *
 * The raw bytes are whole lines, each ended by "\n", exactly as the client prints them: nothing
 * is escaped, nothing is scanned. Escaping makes `AB 04` impossible at the start of any other
 * message. Go peers never ask for blocks and never see one.
 */
import { DELIMITER, MAX_MESSAGE_BYTES, MessageReader, sizeText } from "./messages.ts";
import { ProtocolError } from "../errors.ts";

export const BLOCK_CAPABILITY = "plain-blocks-v1";
export const BLOCK_OPTION = "blocks";
export const BLOCK_OPTION_VALUE = "v1";

const ESC = 0xab;
const NL = 10;
const BLOCK_MARK = 4;
const HEADER_SIZE = 10;
const MAX_BLOCK = 0xffffffff;

/** The header of a block of `size` bytes. */
export function blockHeader(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 0 || size > MAX_BLOCK) {
    throw new RangeError(`block size ${size} out of range`);
  }
  const header = new Uint8Array(HEADER_SIZE);
  header[0] = ESC;
  header[1] = BLOCK_MARK;
  const hex = size.toString(16).padStart(8, "0");
  for (let i = 0; i < 8; i++) header[2 + i] = hex.charCodeAt(i);
  return header;
}

/** Part of a block's content, in stream order; a block may arrive in several pieces. */
export class BlockPiece {
  constructor(readonly bytes: Uint8Array) {}
}

export class BlockFormatError extends ProtocolError {
  override name = "BlockFormatError";
}

/**
 * Splits an escaped stream that may hold blocks into messages (unescaped, as MessageReader gives
 * them) and block pieces (views of the pushed chunk, never copied), in stream order.
 */
export class BlockStreamReader {
  readonly #messages = new MessageReader(() => true);
  /** Content bytes of the current block still to come. */
  #left = 0;
  /** The 0xAC after a block's content is due. */
  #closing = false;
  /** A message other than a block is under way (its start went to #messages). */
  #inMessage = false;
  /** The start of a message that may be a block header, while fewer than 10 bytes arrived. */
  #header: number[] = [];

  /** Why the stream could not be parsed; from then on `push` returns nothing. */
  error: string | null = null;

  /** The items of a chunk; up to a format error, which is kept in `error`. */
  push(bytes: Uint8Array): (Uint8Array | BlockPiece)[] {
    const out: (Uint8Array | BlockPiece)[] = [];
    if (this.error !== null) return out;
    try {
      this.#read(bytes, out);
    } catch (err) {
      if (!(err instanceof BlockFormatError)) throw err;
      this.error = err.message;
    }
    return out;
  }

  #read(bytes: Uint8Array, out: (Uint8Array | BlockPiece)[]): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.#left > 0) {
        const take = Math.min(this.#left, bytes.length - i);
        out.push(new BlockPiece(bytes.subarray(i, i + take)));
        this.#left -= take;
        i += take;
        this.#closing = this.#left === 0;
        // Its lines are whole: a client that waits for a line's end never waits past a block.
        if (this.#closing && bytes[i - 1] !== NL) {
          throw new BlockFormatError("block does not end with a line's end");
        }
        continue;
      }
      if (this.#closing) {
        if (bytes[i] !== DELIMITER) throw new BlockFormatError("block not followed by 0xAC");
        this.#closing = false;
        i++;
        continue;
      }
      if (!this.#inMessage && (this.#header.length > 0 || bytes[i] === ESC)) {
        i = this.#readHeader(bytes, i, out);
        continue;
      }
      const d = bytes.indexOf(DELIMITER, i);
      const end = d < 0 ? bytes.length : d + 1;
      out.push(...this.#messages.push(bytes.subarray(i, end)));
      if (this.#messages.error !== null) throw new BlockFormatError(this.#messages.error);
      this.#inMessage = this.#messages.inMessage;
      i = end;
    }
  }

  /** True when the stream stopped inside a block or a message. */
  get truncated(): boolean {
    return this.#left > 0 || this.#closing || this.#header.length > 0 ||
      this.#messages.inMessage;
  }

  /** What is left at the end of the stream (a last message without a delimiter). */
  rest(): Uint8Array | null {
    return this.#messages.rest();
  }

  /** Gathers a possible header; returns where reading goes on. */
  #readHeader(bytes: Uint8Array, i: number, out: (Uint8Array | BlockPiece)[]): number {
    const h = this.#header;
    while (h.length < HEADER_SIZE && i < bytes.length) {
      h.push(bytes[i++]!);
      if (h.length === 2 && h[1] !== BLOCK_MARK) {
        // An ordinary message (a control message): hand over what was gathered.
        this.#header = [];
        out.push(...this.#messages.push(new Uint8Array(h)));
        this.#inMessage = this.#messages.inMessage;
        return i;
      }
    }
    if (h.length < HEADER_SIZE) return i;
    const hex = String.fromCharCode(...h.slice(2));
    if (!/^[0-9a-f]{8}$/.test(hex)) {
      throw new BlockFormatError(`bad block size ${JSON.stringify(hex)}`);
    }
    this.#header = [];
    this.#left = Number.parseInt(hex, 16);
    if (this.#left > MAX_MESSAGE_BYTES) {
      throw new BlockFormatError(
        `a block of ${this.#left} bytes, more than ${sizeText(MAX_MESSAGE_BYTES)}`,
      );
    }
    this.#closing = this.#left === 0;
    return i;
  }
}
