/**
 * One SSH connection to a dserver (docs/protocol.md#transport,
 * docs/protocol.md#keepalive-and-timeouts): TCP with no Nagle delay and a 30 s keepalive,
 * chacha20-poly1305 first (the fastest cipher in Deno, see docs/performance.md#ssh-ciphers),
 * ed25519 host keys preferred unless known_hosts already has another type for the host (like
 * OpenSSH), host key check through `HostTrust`, and failures as one-line `ConnectError`s.
 *
 * `timeoutMs` bounds TCP connect + handshake + authentication, but not the time spent waiting for
 * the user at the trust prompt. After `connect` resolves, the caller owns the client and must
 * listen for its "error" and "close" events.
 */
import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { SocketStream } from "./socket_stream.ts";
import type { Duplex } from "node:stream";
import { Client as Ssh2Client, parseKey } from "./ssh2_client.ts";
import type { CipherAlgorithm, Client, ClientChannel } from "ssh2";
import type { ClientAuth } from "./auth.ts";
import { DEFAULT_CIPHERS } from "../../ssh/algorithms.ts";
import type { ServerAddress } from "./server_list.ts";
import type { HostTrust } from "./trust_prompt.ts";
import { ConnectError } from "./connect_error.ts";
import { PausableDeadline } from "./pausable_deadline.ts";
import { ssh2Agent } from "./agent_keys.ts";
import { ServerGreeting } from "./server_greeting.ts";

export { ConnectError, type ConnectFailure } from "./connect_error.ts";

export interface ConnectOptions {
  user: string;
  auth: ClientAuth;
  /**
   * Host key policy; null skips the check (health and scheduled-job clients,
   * docs/compatibility.md#known-hosts).
   */
  trust: HostTrust | null;
  /** `Common.SSHConnectTimeoutMs` (default 2000). */
  timeoutMs?: number;
  /**
   * `Client.SSHKeepaliveIntervalMs`: a keepalive request this often once logged in, and the
   * connection ends when 3 in a row go unanswered (a hung or stopped server); 0 or absent = none.
   */
  keepaliveMs?: number;
  signal?: AbortSignal;
  debug?: (line: string) => void;
  /**
   * A stream already open to the server (a jump host's `direct-tcpip` channel, cli/ssh/jump.ts):
   * the SSH handshake runs over it instead of a new TCP connection.
   */
  tunnel?: Duplex;
}

export { hostKeyAlgorithms, KEEPALIVE_COUNT } from "./host_key_algorithms.ts";
import { hostKeyAlgorithms, KEEPALIVE_COUNT } from "./host_key_algorithms.ts";

/**
 * The same preference as the server's: chacha20-poly1305 first (docs/performance.md#ssh-ciphers).
 */
export const CIPHERS: CipherAlgorithm[] = [...DEFAULT_CIPHERS];

export async function connect(address: ServerAddress, opts: ConnectOptions): Promise<Client> {
  const label = address.label;
  const budget = new PausableDeadline(opts.timeoutMs ?? 2000);
  const aborted = () => new ConnectError("aborted", `${label}: connection aborted`);
  if (opts.signal?.aborted) throw aborted();
  let fail!: (e: ConnectError) => void;
  const stopped = new Promise<never>((_, reject) => fail = reject);
  stopped.catch(() => {});
  const greeting = new ServerGreeting();
  budget.onExpire = () => {
    const other = greeting.notSsh();
    fail(
      other === null
        ? new ConnectError("timeout", `${label}: timed out after ${budget.totalMs} ms`)
        : new ConnectError("handshake", `${label}: not an SSH server: it sent ${other}`),
    );
  };
  const onAbort = () => fail(aborted());
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  let sock: Duplex | undefined;
  let client: Client | undefined;
  try {
    budget.start();
    const known = await opts.trust?.knownKeyTypes(address.host, address.port) ?? [];
    if (opts.tunnel !== undefined) sock = opts.tunnel;
    else {
      const tcp = new SocketStream(address.host, address.port);
      sock = tcp;
      await Promise.race([tcpConnected(tcp.socket, label), stopped]);
    }
    client = new Ssh2Client();
    const shaking = handshake(client, sock, known, budget, address, opts);
    greeting.watch(sock); // after ssh2's own listener: both get every byte
    return await Promise.race([shaking, stopped]);
  } catch (e) {
    client?.end();
    sock?.destroy();
    throw e;
  } finally {
    budget.stop();
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Opens the one `session` channel and starts a `shell` on it, without a pty
 * (docs/protocol.md#transport).
 */
/**
 * The session channel with its `shell` request (docs/protocol.md#transport). A server that refuses
 * either is a ConnectError (`session`) naming `label`, a failure of that server alone; one that
 * answers neither within `timeoutMs` (a dserver answers at once) a `timeout`, as a handshake that
 * stalls is. The caller ends the client when this fails.
 */
export function openShell(
  client: Client,
  label: string,
  timeoutMs = 2000,
  signal?: AbortSignal,
): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new ConnectError(
          "timeout",
          `${label}: the server did not open a session in ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const onAbort = () => {
      done();
      reject(new ConnectError("aborted", `${label}: connection aborted`));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    client.shell(false, (err, channel) => {
      done();
      if (err) {
        const refused = /^\(SSH\) Channel open failure: ?(.*)$/.exec(err.message);
        const what = refused === null
          ? "the shell request"
          : `a session channel${refused[1] ? ` (${refused[1]})` : ""}`;
        reject(new ConnectError("session", `${label}: the server refused ${what}`));
        return;
      }
      resolve(channel);
    });
  });
}

function tcpConnected(sock: Socket, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(tcpError(label, err));
    sock.once("error", onError);
    sock.once("connect", () => {
      sock.off("error", onError);
      sock.setNoDelay(true);
      sock.setKeepAlive(true, 30_000);
      resolve();
    });
  });
}

function tcpError(label: string, err: NodeJS.ErrnoException): ConnectError {
  switch (err.code) {
    case "ECONNREFUSED":
      return new ConnectError("refused", `${label}: connection refused`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new ConnectError("unreachable", `${label}: cannot resolve host name`);
    default:
      return new ConnectError("unreachable", `${label}: cannot connect: ${err.message}`);
  }
}

function handshake(
  client: Client,
  sock: Duplex,
  knownTypes: string[],
  budget: PausableDeadline,
  address: ServerAddress,
  opts: ConnectOptions,
): Promise<Client> {
  const label = address.label;
  const ip = (sock as Partial<Socket>).remoteAddress;
  return new Promise((resolve, reject) => {
    let hostKeyRefused = false;
    const done = (err?: ConnectError) => {
      client.off("ready", onReady).off("error", onError).off("close", onClose);
      if (err === undefined) resolve(client);
      else reject(err);
    };
    const onReady = () => done();
    const onError = (err: Error & { level?: string }) => {
      // An unreachable ssh-agent only skips the agent keys; ssh2 goes on with the next method.
      if (err.level === "agent") return opts.debug?.(`${label}: ssh-agent: ${err.message}`);
      if (hostKeyRefused) {
        const why = opts.trust?.refusal(address.host, address.port) ?? "host key refused";
        return done(new ConnectError("hostkey", `${label}: ${why}`));
      }
      if (err.level === "client-authentication") {
        const keys = opts.auth.keys.map((k) => k.source).join(", ") || "none";
        return done(
          new ConnectError(
            "auth",
            `${label}: authentication failed for user ${opts.user} (keys offered: ${keys})`,
          ),
        );
      }
      done(new ConnectError("handshake", `${label}: SSH handshake failed: ${err.message}`));
    };
    const onClose = () =>
      done(new ConnectError("handshake", `${label}: SSH handshake failed: connection closed`));
    client.on("ready", onReady).on("error", onError).on("close", onClose);
    const trust = opts.trust;
    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void) => {
      if (trust === null) return verify(true);
      budget.pause();
      // ssh2 1.17 stalls when an async answer arrives before it has checked the server's
      // signature (it never sends its NEWKEYS): answer no earlier than the next macrotask.
      const answer = (ok: boolean) => setTimeout(() => verify(ok), 0);
      trust.verify(address.host, address.port, new Uint8Array(key), ip).then(
        (ok) => {
          hostKeyRefused = !ok;
          budget.start();
          answer(ok);
        },
        () => {
          hostKeyRefused = true;
          answer(false);
        },
      );
    };
    client.connect({
      sock,
      username: opts.user,
      authHandler: opts.auth.authHandler(opts.user, {
        parse: (data) => parseKey(Buffer.from(data)),
        agent: ssh2Agent,
      }),
      hostVerifier,
      readyTimeout: 0, // our deadline instead: it stops while the user is being asked
      ...(opts.keepaliveMs
        ? { keepaliveInterval: opts.keepaliveMs, keepaliveCountMax: KEEPALIVE_COUNT }
        : {}),
      algorithms: { cipher: CIPHERS, serverHostKey: hostKeyAlgorithms(knownTypes) },
      ...(opts.debug ? { debug: opts.debug } : {}),
    });
  });
}
