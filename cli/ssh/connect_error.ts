/**
 * How a connection to a server failed, as one line naming the server (its kind is always
 * `connection`: a failure of that server alone). Its own module: the native client
 * (cli/ssh/native/) reports the same errors without loading ssh2.
 */
import { ConnectionError } from "../../core/errors.ts";

/** Why a connection failed (the error's kind is always `connection`). */
export type ConnectFailure =
  | "refused"
  | "unreachable"
  | "timeout"
  | "handshake"
  | "auth"
  | "hostkey"
  | "session"
  | "aborted";

export class ConnectError extends ConnectionError {
  override name = "ConnectError";
  constructor(readonly reason: ConnectFailure, message: string) {
    super(message);
  }
}
