/**
 * Read progress of a dmap run over SSH (docs/protocol.md#progress): a client of ours that shows a
 * progress line asks a server that advertised `progress-v1` for it with the `progress=v1` option
 * of its `map:` command; the server then sends the hidden control message `.progress READ TOTAL`
 * (bytes of the files it reads, as stored: compressed bytes for a compressed file) at most every
 * PROGRESS_INTERVAL_MS while it reads, and once more before its close request. A Go client never
 * sends the option, so it never gets the message.
 */
export const PROGRESS_CAPABILITY = "progress-v1";
export const PROGRESS_OPTION = "progress";
export const PROGRESS_VERSION = "v1";
/** How often a server sends progress at most. */
export const PROGRESS_INTERVAL_MS = 250;

const PREFIX = ".progress ";
const MESSAGE = /^\.progress (\d{1,16}) (\d{1,16})$/;

export interface ReadBytes {
  /** Bytes of the files read so far. */
  readonly read: number;
  /** Bytes of all the files the run reads. */
  readonly total: number;
}

export function progressMessage(bytes: ReadBytes): string {
  return `${PREFIX}${Math.floor(bytes.read)} ${Math.floor(bytes.total)}`;
}

/** The bytes of a progress message; null for any other text. */
export function parseProgressMessage(text: string): ReadBytes | null {
  if (!text.startsWith(PREFIX)) return null;
  const m = MESSAGE.exec(text);
  return m === null ? null : { read: Number(m[1]), total: Number(m[2]) };
}
