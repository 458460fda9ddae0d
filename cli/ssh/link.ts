/**
 * One logged-in connection to a server, whichever SSH client made it: the native one
 * (cli/ssh/native/) or ssh2's (cli/ssh/ssh2_link.ts). A run opens the one session channel of
 * each connection through it and ends it when the session is over.
 */

/** A session channel as the remote session reads and writes it (cli/remote_session.ts). */
export interface LinkIO {
  readonly input: AsyncIterable<Uint8Array>;
  write(bytes: Uint8Array): Promise<void>;
  close(): void;
  /** The reader is done with a chunk of `input` (the native client reuses its memory). */
  recycle?(chunk: Uint8Array): void;
}

export interface SshLink {
  /**
   * The session channel with its `shell` request (docs/protocol.md#transport); a ConnectError
   * (`session`, `timeout`, `aborted`) when it cannot be had. The caller ends the link then.
   */
  shell(label: string, timeoutMs: number, signal?: AbortSignal): Promise<LinkIO>;
  /** Called when the server stopped answering keepalives. */
  onSilent(callback: () => void): void;
  end(): void;
}
