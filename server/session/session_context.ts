/**
 * What the protocol handler of one session (handler.ts) is given: the session's channel, who is
 * connected, and the server's configuration, limits and services.
 */
import type { Config } from "../../core/config.ts";
import type { OpenedFile } from "../../core/open_file.ts";
import type { Semaphore } from "../../core/semaphore.ts";

export interface SessionIO {
  readonly input: AsyncIterable<Uint8Array>;
  /**
   * Resolves when the channel accepted the bytes (back-pressure); `taken`, where supported, once
   * the channel keeps no reference to them.
   */
  write(bytes: Uint8Array, taken?: () => void): Promise<void>;
  close(): void;
  /** Aborted when the connection is gone (the client died, the socket closed). */
  readonly closed?: AbortSignal;
  /** Called once the first commands were taken: the connection has arrived (core/turns.ts). */
  readonly settled?: () => void;
}

export interface SessionInfo {
  readonly user: string;
  /** `ip:port` of the client. */
  readonly remote: string;
  readonly health: boolean;
}

export type LogLevel = "error" | "warn" | "info" | "debug";

export interface HandlerDeps {
  readonly config: Config;
  /** Short host name for `REMOTE|host|…` and `SERVER|host|…`. */
  readonly hostname: string;
  /**
   * The one checked open (safe_open.ts): opens a file for the SSH user after the permission
   * checks, or throws with the reason. Every file a session reads is opened through it.
   */
  open(user: string, path: string): OpenedFile;
  /** May the SSH user list this directory (glob expansion)? Default: yes. */
  canList?(user: string, dir: string): boolean;
  /**
   * Throws (an InputError, for the server log) unless the SSH user's rules allow this journal
   * spec (`journal:<unit>`, docs/server.md#journal-targets). Without it, no journal is read.
   */
  checkJournal?(user: string, spec: string): void;
  log(level: LogLevel, ...fields: string[]): void;
  readonly cats: Semaphore;
  readonly tails: Semaphore;
  /** Handles `AUTHKEY <key>`; returns the reply text (`AUTHKEY OK` / `AUTHKEY ERR …`). */
  registerAuthKey(user: string, key: string): string;
  readonly closeAckTimeoutMs?: number;
  /**
   * What the server advertises and honours; default CAPABILITIES (session_output.ts). Tests
   * pass the list of a Go dserver (`query-update-v1`) to check our client against the plain Go
   * wire, or null for an old server that advertises nothing.
   */
  readonly capabilities?: readonly string[] | null;
}
