/**
 * The dserver SSH server (§3.1, §4.1) on ssh2's Server. We own the TCP listener and hand each
 * socket to ssh2 (`injectSocket`), so that every connection gets `setNoDelay(true)` at once.
 * Sockets still in their handshake count against their own, larger bound
 * (`MaxPreAuthConnections`; when it is full the oldest handshake is dropped) and are dropped
 * when they have not authenticated within `PreAuthTimeoutMs`; only authenticated connections
 * count against `MaxConnections`, so idle sockets cannot lock real clients out. Refusals are logged at a bounded rate. What happens on a
 * connection is in ssh_connection.ts.
 *
 * ssh2's server keepalive pings (every 15 s once authenticated, global requests the peer
 * answers) stay on: they only add dead-peer detection; idle live connections are kept.
 */
import ssh2 from "ssh2";
import type { Connection } from "ssh2";
import { createServer, type Socket } from "node:net";
import type { AuthorizedKeys } from "../access/authorized_keys.ts";
import type { ServerLog } from "../process/server_log.ts";
import type { ConnectionCounts } from "../process/stats.ts";
import { serverAlgorithms } from "../../ssh/algorithms.ts";
import { handleConnection, type ShellHandler } from "./ssh_connection.ts";
import { LogLimiter } from "../process/log_limiter.ts";

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
}

export async function startSshServer(opts: SshServerOptions): Promise<SshServer> {
  const { log } = opts;
  const max = opts.maxConnections > 0 ? opts.maxConnections : 10;
  const maxPreAuth = opts.maxPreAuth ?? 20 * max;
  const limiter = new LogLimiter();
  // Keyed by socket: remote ip|port is not unique on loopback fan-out (Linux reuses a source
  // port towards different 127.x destinations).
  const peers = new Map<Socket, Peer>();
  let lifetime = 0;
  const counts = (): ConnectionCounts => {
    let preAuth = 0;
    for (const p of peers.values()) if (!p.authed) preAuth++;
    return { current: peers.size, lifetime, preAuth };
  };
  const authedCount = () => peers.size - counts().preAuth;
  const changed = () => opts.onCountsChanged?.(counts());

  /** ssh2 reports only the remote address; its connection object keeps our socket. */
  const peerOf = (conn: Connection, info: { ip: string; port: number }): Peer | undefined => {
    const socket = (conn as unknown as { _sock?: Socket })._sock;
    if (socket !== undefined) return peers.get(socket);
    let found: Peer | undefined;
    for (const p of peers.values()) {
      if (p.socket.remoteAddress === info.ip && p.socket.remotePort === info.port) found ??= p;
    }
    return found;
  };

  const ssh = new ssh2.Server({ hostKeys: [opts.hostKey], algorithms: serverAlgorithms(opts) });
  ssh.on("connection", (conn: Connection, info: { ip: string; port: number }) => {
    const peer = peerOf(conn, info);
    if (peer === undefined) { // cannot happen: every socket is registered before injection
      conn.on("error", () => {});
      conn.end();
      return;
    }
    peer.conn = conn;
    handleConnection(conn, peer.socket, {
      authorizedKeys: opts.authorizedKeys,
      onShell: opts.onShell,
      log,
      admit: () => {
        if (authedCount() < max) return true;
        const remote = `${peer.socket.remoteAddress}:${peer.socket.remotePort}`;
        limiter.log(
          "max",
          `MaxConnections (${max}) reached, refusing the login`,
          (t) => log.warn(remote, t),
        );
        return false;
      },
      onAuthenticated: () => {
        clearTimeout(peer.deadline);
        if (authedCount() >= max) {
          const remote = `${peer.socket.remoteAddress}:${peer.socket.remotePort}`;
          const text = `MaxConnections (${max}) reached, closing connection`;
          limiter.log("max", text, (t) => log.warn(remote, t));
          peer.socket.destroy();
          return;
        }
        peer.authed = true;
        changed();
      },
    });
  });

  const listener = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.on("error", (err: Error) => log.debug(remote, "socket error", err));
    if (peers.size - authedCount() >= maxPreAuth) {
      // Full of handshakes: drop the oldest one, so that idle sockets cannot lock out a client
      // that is really logging in now (like OpenSSH's MaxStartups).
      const oldest = [...peers.values()].find((p) => !p.authed);
      limiter.log(
        "preauth",
        `MaxPreAuthConnections (${maxPreAuth}) reached, dropping the oldest handshake`,
        (t) => log.warn(remote, t),
      );
      oldest?.socket.destroy();
      if (oldest !== undefined) peers.delete(oldest.socket);
    }
    const peer: Peer = { socket, authed: false };
    peers.set(socket, peer);
    lifetime++;
    peer.deadline = setTimeout(() => {
      limiter.log(
        "deadline",
        "no authentication within the handshake deadline, closing connection",
        (t) => log.warn(remote, t),
      );
      socket.destroy();
    }, opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    socket.once("close", () => {
      clearTimeout(peer.deadline);
      peers.delete(socket);
      changed();
    });
    changed();
    ssh.injectSocket(socket);
  });

  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(opts.port, opts.bindAddress, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  listener.on("error", (err: Error) => log.error("listener error", err));
  const address = listener.address();
  const port = typeof address === "object" && address !== null ? address.port : opts.port;

  return {
    port,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
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
      }),
  };
}
