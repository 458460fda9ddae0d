/**
 * The dserver SSH server (docs/protocol.md#transport, docs/compatibility.md#ssh-server) on ssh2's
 * Server. We own the TCP listener and hand each socket to ssh2 (`injectSocket`), so that every
 * connection gets `setNoDelay(true)` at once. Sockets still in their handshake count against their
 * own, larger bound (`MaxPreAuthConnections`; when it is full the oldest handshake is dropped) and
 * are dropped when they have not authenticated within `PreAuthTimeoutMs`; only authenticated
 * connections count against `MaxConnections`, so idle sockets cannot lock real clients out.
 * Refusals are logged at a bounded rate. What happens on a connection is in ssh_connection.ts.
 *
 * ssh2's server keepalive pings (every 15 s once authenticated, global requests the peer
 * answers) stay on: they only add dead-peer detection; idle live connections are kept.
 */
import ssh2 from "ssh2";
import type { Connection, Server as Ssh2Server } from "ssh2";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import type { AuthorizedKeys } from "../access/authorized_keys.ts";
import type { ServerLog } from "../process/server_log.ts";
import type { ConnectionCounts } from "../process/stats.ts";
import { serverAlgorithms } from "../../ssh/algorithms.ts";
import { installChaChaPoly, recycleWrittenPackets } from "../../ssh/ssh2_chacha_poly.ts";
import { handleConnection, type ShellHandler } from "./ssh_connection.ts";
import { meterInput } from "./input_meter.ts";
import { LogLimiter } from "../process/log_limiter.ts";
import { arriving } from "../../core/turns.ts";

export type { ShellHandler, ShellSession } from "./ssh_connection.ts";

export const HANDSHAKE_TIMEOUT_MS = 5000;
/** How long close() waits for peers to go before cutting them off. */
const CLOSE_GRACE_MS = 2000;

export interface SshServerOptions {
  bindAddress: string;
  /** 0 picks a free port. */
  port: number;
  /** Private host key text (see host_key.ts). */
  hostKey: string;
  /** Authenticated connections allowed (≤ 0: 10). */
  maxConnections: number;
  /** Connections still in their handshake allowed (default: 20 × maxConnections). */
  maxPreAuth?: number;
  authorizedKeys: AuthorizedKeys;
  onShell: ShellHandler;
  log: ServerLog;
  ciphers?: readonly string[];
  keyExchanges?: readonly string[];
  macs?: readonly string[];
  handshakeTimeoutMs?: number;
  /** Called whenever a connection opens, authenticates or closes. */
  onCountsChanged?: (counts: ConnectionCounts) => void;
}

export interface SshServer {
  port: number;
  counts(): ConnectionCounts;
  /** Stops listening, ends every connection and resolves when all are gone. */
  close(): Promise<void>;
}

interface Peer {
  socket: Socket;
  conn?: Connection;
  authed: boolean;
  deadline?: ReturnType<typeof setTimeout>;
  /** Ends its arrival (core/turns.ts): at its first command, or when it closes. */
  settled?: () => void;
}

export async function startSshServer(opts: SshServerOptions): Promise<SshServer> {
  const max = opts.maxConnections > 0 ? opts.maxConnections : 10;
  installChaChaPoly();
  const server: ServerState = {
    opts,
    max,
    maxPreAuth: opts.maxPreAuth ?? 20 * max,
    limiter: new LogLimiter(),
    peers: new PeerTable(opts.onCountsChanged),
    ssh: new ssh2.Server({ hostKeys: [opts.hostKey], algorithms: serverAlgorithms(opts) }),
  };
  server.ssh.on("connection", (conn: Connection, info: { ip: string; port: number }) => {
    setUpConnection(server, conn, info);
  });
  const listener = createServer((socket: Socket) => acceptSocket(server, socket));
  const port = await listen(listener, opts);
  return {
    port,
    counts: () => server.peers.counts(),
    close: () => closeAll(listener, server.peers),
  };
}

interface ServerState {
  readonly opts: SshServerOptions;
  /** MaxConnections: authenticated connections allowed. */
  readonly max: number;
  /** MaxPreAuthConnections: connections still in their handshake allowed. */
  readonly maxPreAuth: number;
  /** Refusals an outsider can trigger are logged at a bounded rate. */
  readonly limiter: LogLimiter;
  readonly peers: PeerTable;
  readonly ssh: Ssh2Server;
}

/** Connection accounting: every socket from its accept to its close. */
class PeerTable {
  // Keyed by socket: remote ip|port is not unique on loopback fan-out (Linux reuses a source
  // port towards different 127.x destinations).
  readonly #peers = new Map<Socket, Peer>();
  #lifetime = 0;

  constructor(private readonly onCountsChanged?: (counts: ConnectionCounts) => void) {}

  counts(): ConnectionCounts {
    let preAuth = 0;
    for (const p of this.#peers.values()) if (!p.authed) preAuth++;
    return { current: this.#peers.size, lifetime: this.#lifetime, preAuth };
  }

  authedCount(): number {
    return this.#peers.size - this.counts().preAuth;
  }

  /** Tells whoever watches the counts (the stats line). */
  changed(): void {
    this.onCountsChanged?.(this.counts());
  }

  add(socket: Socket): Peer {
    const peer: Peer = { socket, authed: false };
    this.#peers.set(socket, peer);
    this.#lifetime++;
    return peer;
  }

  delete(socket: Socket): void {
    this.#peers.delete(socket);
  }

  oldestHandshake(): Peer | undefined {
    return [...this.#peers.values()].find((p) => !p.authed);
  }

  /** ssh2 reports only the remote address; its connection object keeps our socket. */
  of(conn: Connection, info: { ip: string; port: number }): Peer | undefined {
    const socket = (conn as unknown as { _sock?: Socket })._sock;
    if (socket !== undefined) return this.#peers.get(socket);
    let found: Peer | undefined;
    for (const p of this.#peers.values()) {
      if (p.socket.remoteAddress === info.ip && p.socket.remotePort === info.port) found ??= p;
    }
    return found;
  }

  values(): IterableIterator<Peer> {
    return this.#peers.values();
  }
}

/**
 * A new TCP connection: bounds the handshakes (dropping the oldest when full), gives it a
 * deadline to authenticate, and hands it to ssh2.
 */
function acceptSocket(server: ServerState, socket: Socket): void {
  const { opts: { log }, peers, limiter, maxPreAuth } = server;
  socket.setNoDelay(true);
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  socket.on("error", (err: Error) => log.debug(remote, "socket error", err));
  if (peers.counts().preAuth >= maxPreAuth) {
    // Full of handshakes: drop the oldest one, so that idle sockets cannot lock out a client
    // that is really logging in now (like OpenSSH's MaxStartups).
    const oldest = peers.oldestHandshake();
    limiter.log(
      "preauth",
      `MaxPreAuthConnections (${maxPreAuth}) reached, dropping the oldest handshake`,
      (t) => log.warn(remote, t),
    );
    oldest?.socket.destroy();
    if (oldest !== undefined) peers.delete(oldest.socket);
  }
  const peer = peers.add(socket);
  peer.settled = arriving();
  peer.deadline = setTimeout(() => {
    limiter.log(
      "deadline",
      "no authentication within the handshake deadline, closing connection",
      (t) => log.warn(remote, t),
    );
    socket.destroy();
  }, server.opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
  socket.once("close", () => {
    clearTimeout(peer.deadline);
    peer.settled?.();
    peers.delete(socket);
    peers.changed();
  });
  peers.changed();
  recycleWrittenPackets(socket);
  meterInput(socket);
  server.ssh.injectSocket(socket);
}

/** ssh2's connection object for an accepted socket: what happens on it is ssh_connection.ts. */
function setUpConnection(
  server: ServerState,
  conn: Connection,
  info: { ip: string; port: number },
): void {
  const { opts, peers, limiter, max } = server;
  const { log } = opts;
  const peer = peers.of(conn, info);
  if (peer === undefined) { // cannot happen: every socket is registered before injection
    conn.on("error", () => {});
    conn.end();
    return;
  }
  peer.conn = conn;
  const remote = () => `${peer.socket.remoteAddress}:${peer.socket.remotePort}`;
  handleConnection(conn, peer.socket, {
    authorizedKeys: opts.authorizedKeys,
    onShell: opts.onShell,
    log,
    settled: () => peer.settled?.(),
    admit: () => {
      if (peers.authedCount() < max) return true;
      limiter.log(
        "max",
        `MaxConnections (${max}) reached, refusing the login`,
        (t) => log.warn(remote(), t),
      );
      return false;
    },
    onAuthenticated: () => {
      clearTimeout(peer.deadline);
      if (peers.authedCount() >= max) {
        const text = `MaxConnections (${max}) reached, closing connection`;
        limiter.log("max", text, (t) => log.warn(remote(), t));
        peer.socket.destroy();
        return;
      }
      peer.authed = true;
      peers.changed();
    },
  });
}

/** Listens; resolves with the port (the one picked when opts.port is 0). */
async function listen(listener: NetServer, opts: SshServerOptions): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(opts.port, opts.bindAddress, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  listener.on("error", (err: Error) => opts.log.error("listener error", err));
  const address = listener.address();
  return typeof address === "object" && address !== null ? address.port : opts.port;
}

/** Stops listening and ends every connection; resolves when the listener has closed. */
function closeAll(listener: NetServer, peers: PeerTable): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      for (const p of peers.values()) p.socket.destroy();
    }, CLOSE_GRACE_MS);
    listener.close(() => {
      clearTimeout(force);
      resolve();
    });
    for (const p of peers.values()) {
      if (p.conn) p.conn.end();
      else p.socket.destroy();
    }
  });
}
