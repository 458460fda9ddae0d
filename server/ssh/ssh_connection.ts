/**
 * One authenticated-or-not SSH connection of dserver (docs/protocol.md#transport): authentication
 * (ssh_auth.ts), `session` channels only (ssh2 rejects other channel types itself, since no
 * listener for them is registered), and a single `shell` request per session. Any other channel
 * request — pty-req, env, exec, subsystem, window-change, signal or a type ssh2 does not know — is
 * answered false and the whole connection is closed. The shell's channel goes to `onShell`; a
 * handler that throws is logged and its channel closed, and the connection ends when the channel
 * closes.
 */
import type { AuthContext, Connection, ServerChannel, Session } from "ssh2";
import type { Socket } from "node:net";
import { authenticate, HEALTH_USER, type SessionAuth } from "./ssh_auth.ts";
import type { AuthorizedKeys } from "../access/authorized_keys.ts";
import type { ServerLog } from "../process/server_log.ts";

export interface ShellSession {
  user: string;
  remoteAddress: string;
  remotePort: number;
  channel: ServerChannel;
  isHealth: boolean;
  /** How the login was accepted: an AUTHKEY registers only after an authorized_keys login. */
  auth: SessionAuth;
  /** Aborted when the connection is gone (socket closed: the client died or hung up). */
  closed: AbortSignal;
  /**
   * Closes the whole SSH connection. The server also does so when the channel emits "close",
   * which ssh2 only does once the channel's input has been read to its end: a handler that
   * stops reading must call end() itself.
   */
  end(): void;
  /** The session took its first command: its connection has arrived (core/turns.ts). */
  settled?(): void;
}

export type ShellHandler = (session: ShellSession) => void | Promise<void>;

export interface ConnectionDeps {
  authorizedKeys: AuthorizedKeys;
  onShell: ShellHandler;
  log: ServerLog;
  onAuthenticated(user: string): void;
  /** Whether one more authenticated connection fits (MaxConnections); asked before accepting. */
  admit?: () => boolean;
  /** The connection's session took its first command (ShellSession.settled). */
  settled?: () => void;
}

/** Session events ssh2 emits for requests other than `shell`. */
const OTHER_REQUESTS = ["pty", "env", "exec", "subsystem", "sftp", "x11", "signal", "auth-agent"];

export function handleConnection(conn: Connection, socket: Socket, deps: ConnectionDeps): void {
  const state = new ConnectionState(conn, socket, deps.log);
  conn.on("error", (err: Error) => deps.log.debug(state.who(), "ssh error", err));
  const hangUp = () => state.gone.abort();
  socket.once("close", hangUp);
  conn.once("close", hangUp);
  interceptChannelRequests(conn, (why) => state.violation(why), () => state.closing);
  conn.on("authentication", (ctx: AuthContext) => onAuthentication(state, ctx, deps));
  conn.on("ready", () => deps.onAuthenticated(state.user));
  conn.on("session", (accept: () => Session, reject: () => void) => {
    if (state.closing) return reject();
    // A DTail client opens one session; each more would cost ~150 KB held until the connection
    // closes (2,000 on one connection took a dserver from 120 to 440 MB).
    if (++state.sessions > 1) {
      reject();
      return state.violation("second session channel on one connection");
    }
    onSession(state, accept(), deps);
  });
}

/** What the event handlers of one connection share. */
class ConnectionState {
  readonly remote: string;
  /** The user of the accepted login ("" before). */
  user = "";
  auth: SessionAuth = { source: "password", at: 0 }; // replaced by the accepted login
  /** A violation is closing the connection. */
  closing = false;
  /** Session channels the client opened. */
  sessions = 0;
  /** Aborted when the socket or the connection closes. */
  readonly gone = new AbortController();

  constructor(
    readonly conn: Connection,
    readonly socket: Socket,
    private readonly log: ServerLog,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
  }

  who(): string {
    return this.user === "" ? this.remote : `${this.user}@${this.remote}`;
  }

  /** Logs the first violation and closes the connection. */
  violation(why: string): void {
    if (this.closing) return;
    this.closing = true;
    this.log.warn(this.who(), `${why}, closing connection`);
    this.conn.end();
  }
}

function onAuthentication(state: ConnectionState, ctx: AuthContext, deps: ConnectionDeps): void {
  const { log } = deps;
  authenticate(ctx, deps.authorizedKeys, deps.admit).then((outcome) => {
    if (!outcome.ok) {
      log.info(state.remote, `login as ${ctx.username} (${ctx.method}) failed`, outcome.why);
    } else if (outcome.final) {
      state.user = ctx.username;
      state.auth = { source: outcome.source, at: Date.now() };
      log.info(state.who(), `authenticated (${outcome.how})`);
    }
  }, (err) => {
    log.error(state.remote, "authentication error", err);
    try {
      ctx.reject();
    } catch {
      // the connection is already gone
    }
  });
}

/** An accepted `session` channel: one shell request, nothing else. */
function onSession(state: ConnectionState, session: Session, deps: ConnectionDeps): void {
  for (const type of OTHER_REQUESTS) {
    session.on(type, (_accept: unknown, reject?: () => void) => {
      reject?.();
      state.violation(`channel request ${type} not allowed`);
    });
  }
  let started = false;
  session.on("shell", (acceptShell: () => ServerChannel, reject: () => void) => {
    if (state.closing) return reject();
    if (started) {
      reject();
      state.violation("second shell request on one session");
      return;
    }
    started = true;
    startShell(state, acceptShell(), deps);
  });
}

function startShell(state: ConnectionState, channel: ServerChannel, deps: ConnectionDeps): void {
  const { conn, socket, user } = state;
  channel.on("error", (err: Error) => deps.log.debug(state.who(), "channel error", err));
  channel.once("close", () => conn.end());
  deps.log.info(state.who(), "shell started");
  runShell(deps, {
    user,
    remoteAddress: socket.remoteAddress ?? "",
    remotePort: socket.remotePort ?? 0,
    channel,
    isHealth: user === HEALTH_USER,
    auth: state.auth,
    closed: AbortSignal.any([state.gone.signal, channelClosed(channel)]),
    end: () => conn.end(),
    ...(deps.settled ? { settled: deps.settled } : {}),
  });
}

function channelClosed(channel: ServerChannel): AbortSignal {
  const closed = new AbortController();
  channel.once("close", () => closed.abort());
  return closed.signal;
}

function runShell(deps: ConnectionDeps, session: ShellSession): void {
  const fail = (err: unknown) => {
    deps.log.error(
      `${session.user}@${session.remoteAddress}:${session.remotePort}`,
      "handler failed",
      err,
    );
    try {
      session.channel.close();
    } catch {
      // already closed
    }
    session.end(); // one channel per connection: the channel's close would not come unread
  };
  try {
    const done = deps.onShell(session);
    if (done instanceof Promise) done.catch(fail);
  } catch (err) {
    fail(err);
  }
}

type RequestHandler = (
  p: unknown,
  recipient: number,
  type: string,
  wantReply: boolean,
  data: unknown,
) => void;

/**
 * ssh2 answers channel requests it has no event for (unknown types, requests on a closing
 * session) by itself, without telling us. To close the connection on those too, this wraps the
 * CHANNEL_REQUEST message handler of the connection's protocol object (ssh2 1.17 internals:
 * `conn._protocol._handlers`). ssh2 answers first (false), then the connection is closed;
 * requests arriving after that are dropped.
 * Without those internals the per-event listeners above still cover every known request type.
 */
function interceptChannelRequests(
  conn: Connection,
  violation: (why: string) => void,
  closing: () => boolean,
): void {
  const handlers = (conn as unknown as { _protocol?: { _handlers?: Record<string, unknown> } })
    ._protocol?._handlers;
  const original = handlers?.CHANNEL_REQUEST;
  if (handlers === undefined || typeof original !== "function") return;
  const wrapped: RequestHandler = (p, recipient, type, wantReply, data) => {
    if (closing()) return; // dropped: the connection is going away
    (original as RequestHandler)(p, recipient, type, wantReply, data);
    if (type !== "shell") violation(`channel request ${type} not allowed`);
  };
  handlers.CHANNEL_REQUEST = wrapped;
}
