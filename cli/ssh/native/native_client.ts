/**
 * The native SSH client: one connection to a dserver without ssh2 and without any node: module
 * (docs/performance.md, "The native SSH client"). TCP from `Deno.connect` with no Nagle delay,
 * the transport of ./transport.ts, public-key authentication with the keys of ./ssh_keys.ts (or
 * dtailhealth's fixed password), the session channel of ./session_channel.ts, and
 * `keepalive@openssh.com` requests while logged in.
 *
 * It serves what a dtail run needs of a connection and nothing else: a server that does not offer
 * curve25519-sha256, chacha20-poly1305 and a host key type it can check is a `NativeUnsupported`,
 * and the caller connects with ssh2 instead (cli/ssh/dialer.ts).
 */
import { ConnectError } from "../connect_error.ts";
import type { SshLink } from "../link.ts";
import { PausableDeadline } from "../pausable_deadline.ts";
import { delay } from "../../../core/delay.ts";
import type { ServerAddress } from "../server_list.ts";
import { ServerGreeting } from "../server_greeting.ts";
import type { NativePrivateKey } from "./ssh_keys.ts";
import { CHANNEL_MSG, ChannelError, type ChannelIO, SessionChannel } from "./session_channel.ts";
import { type ByteStream, MSG, SshTransport, TransportError, transportError } from "./transport.ts";
import { WireReader, WireWriter } from "./ssh_wire.ts";
import { ephemeralKey } from "./kex.ts";

const USERAUTH_REQUEST = 50;
const USERAUTH_FAILURE = 51;
const USERAUTH_SUCCESS = 52;
const USERAUTH_BANNER = 53;

/** The server cannot be served natively: connect with ssh2 instead. */
export class NativeUnsupported extends Error {
  override name = "NativeUnsupported";
}

export interface NativeKey {
  /** The key file. */
  readonly source: string;
  readonly key: NativePrivateKey;
}

/** The host key check of cli/ssh/trust_prompt.ts's HostTrust. */
export interface NativeTrust {
  knownKeyTypes(host: string, port: number): Promise<string[]>;
  verify(host: string, port: number, keyBlob: Uint8Array, ip?: string): Promise<boolean>;
  refusal(host: string, port: number): string | undefined;
}

export interface NativeConnectOptions {
  user: string;
  keys: readonly NativeKey[];
  /** Tried after the keys (dtailhealth's fixed password). */
  password?: string;
  /** Host key signature algorithms in order of preference for these known key types. */
  hostKeyAlgorithms: (knownTypes: string[]) => readonly string[];
  trust: NativeTrust | null;
  timeoutMs: number;
  keepaliveMs: number;
  /** Unanswered keepalives in a row that end the connection. */
  keepaliveCount: number;
  signal?: AbortSignal;
  debug?: (line: string) => void;
  /** A channel through a jump host to run over instead of a new TCP connection. */
  via?: ByteStream;
}

export class NativeClient implements SshLink {
  readonly #transport: SshTransport;
  readonly #channels = new Map<number, SessionChannel>();
  #nextChannel = 0;
  #keepalivesOn = false;
  readonly #label: string;
  readonly #opts: NativeConnectOptions;
  readonly #stop = new AbortController();
  #unanswered = 0;
  #onSilent: (() => void) | null = null;
  /** Called once the connection has ended, whichever side ended it. */
  onClose: (() => void) | null = null;

  private constructor(transport: SshTransport, label: string, opts: NativeConnectOptions) {
    this.#transport = transport;
    this.#label = label;
    this.#opts = opts;
    transport.setHandler({
      packet: (p) => this.#packet(p),
      batchEnd: () => {
        for (const channel of this.#channels.values()) channel.batchEnd();
      },
      closed: () => {
        this.#stop.abort();
        for (const channel of this.#channels.values()) channel.ended();
        this.onClose?.();
      },
    });
  }

  /** Connects and logs in; a ConnectError (as cli/ssh/connect.ts's) or NativeUnsupported. */
  static async connect(address: ServerAddress, opts: NativeConnectOptions): Promise<NativeClient> {
    const label = address.label;
    const aborted = () => new ConnectError("aborted", `${label}: connection aborted`);
    if (opts.signal?.aborted) throw aborted();
    const deadline = new PausableDeadline(opts.timeoutMs);
    const greeting = new ServerGreeting();
    let conn: ByteStream | null = null;
    let transport: SshTransport | null = null;
    const stop = new AbortController();
    const stopped = new Promise<never>((_, reject) => {
      deadline.onExpire = () => {
        const other = greeting.notSsh();
        reject(
          other === null
            ? new ConnectError("timeout", `${label}: timed out after ${opts.timeoutMs} ms`)
            : new ConnectError("handshake", `${label}: not an SSH server: it sent ${other}`),
        );
      };
      opts.signal?.addEventListener("abort", () => reject(aborted()), {
        once: true,
        signal: stop.signal,
      });
    });
    stopped.catch(() => {});
    let refused = false;
    try {
      deadline.start();
      const ephemeral = ephemeralKey(); // made while the connection opens
      ephemeral.catch(() => {}); // the transport awaits it, unless connecting fails first
      const known = await opts.trust?.knownKeyTypes(address.host, address.port) ?? [];
      let ip: string | undefined;
      if (opts.via !== undefined) conn = opts.via;
      else {
        const tcp = await Promise.race([tcpConnect(address, label), stopped]);
        tcp.setNoDelay(true);
        tcp.setKeepAlive(true);
        ip = tcp.remoteAddr.hostname;
        conn = tcp;
      }
      const trust = opts.trust;
      const opening = SshTransport.open(conn, {
        hostKeyAlgorithms: opts.hostKeyAlgorithms(known),
        verifyHostKey: async (blob) => {
          if (trust === null) return true;
          deadline.pause();
          try {
            const ok = await trust.verify(address.host, address.port, blob, ip);
            refused = !ok;
            return ok;
          } catch {
            refused = true;
            return false;
          } finally {
            deadline.start();
          }
        },
        preamble: (bytes) => greeting.add(bytes),
        ephemeral,
        ...(opts.debug ? { debug: opts.debug } : {}),
      });
      opening.catch(() => {});
      transport = await Promise.race([opening, stopped]);
      await Promise.race([authenticate(transport, address, opts), stopped]);
      return new NativeClient(transport, label, opts);
    } catch (e) {
      if (transport !== null) transport.close(false);
      else {
        try {
          conn?.close();
        } catch {
          // closed already
        }
      }
      // What the server did wrong is a failure of that server: one line, never a stack.
      if (e instanceof ConnectError || e instanceof NativeUnsupported) throw e;
      const err = transportError(e);
      if (err.kind === "unsupported") throw new NativeUnsupported(`${label}: ${err.message}`);
      if (err.kind === "hostkey") {
        const why = refused
          ? opts.trust?.refusal(address.host, address.port) ?? "host key refused"
          : err.message;
        throw new ConnectError("hostkey", `${label}: ${why}`);
      }
      throw new ConnectError("handshake", `${label}: SSH handshake failed: ${err.message}`);
    } finally {
      deadline.stop();
      stop.abort();
    }
  }

  /** Called when the server stopped answering keepalives (the connection is then ended). */
  onSilent(callback: () => void): void {
    this.#onSilent = callback;
  }

  /**
   * Opens the session channel with its `shell` request (cli/ssh/connect.ts's openShell); errors
   * name the connection's own label.
   */
  async shell(_label?: string, timeoutMs = 2000, signal?: AbortSignal): Promise<ChannelIO> {
    const label = this.#label;
    const timeout = AbortSignal.timeout(timeoutMs);
    const stop = new AbortController();
    const stopped = new Promise<never>((_, reject) => {
      timeout.addEventListener(
        "abort",
        () =>
          reject(
            new ConnectError(
              "timeout",
              `${label}: the server did not open a session in ${timeoutMs} ms`,
            ),
          ),
        { once: true, signal: stop.signal },
      );
      signal?.addEventListener(
        "abort",
        () => reject(new ConnectError("aborted", `${label}: connection aborted`)),
        { once: true, signal: stop.signal },
      );
    });
    stopped.catch(() => {});
    const channel = this.#newChannel();
    try {
      await Promise.race([channel.open(), stopped]);
    } catch (e) {
      if (e instanceof ChannelError) {
        throw new ConnectError("session", `${label}: the server refused ${e.message}`);
      }
      throw e;
    } finally {
      stop.abort();
    }
    return channel.io(() => this.end());
  }

  /**
   * A `direct-tcpip` channel to `host:port` (this connection is a jump host's); rejects with the
   * ChannelError of the jump host's refusal. Closing it closes the channel only.
   */
  async forward(host: string, port: number): Promise<ChannelIO> {
    const channel = this.#newChannel();
    try {
      await channel.openDirect(host, port);
    } catch (e) {
      this.#channels.delete(channel.id);
      throw e;
    }
    return channel.io(() => {
      if (channel.finished) this.#channels.delete(channel.id);
    });
  }

  #newChannel(): SessionChannel {
    const channel = new SessionChannel((p) => this.#transport.send(p), this.#nextChannel++);
    this.#channels.set(channel.id, channel);
    if (!this.#keepalivesOn) {
      this.#keepalivesOn = true;
      void this.#keepalives();
    }
    return channel;
  }

  end(): void {
    this.#stop.abort();
    this.#transport.close();
  }

  #packet(payload: Uint8Array): void {
    const type = payload[0]!;
    try {
      if (type >= CHANNEL_MSG.OPEN_CONFIRMATION && type <= CHANNEL_MSG.FAILURE) {
        const id = new WireReader(payload, 1).u32();
        const channel = this.#channels.get(id);
        if (channel === undefined || !channel.packet(payload)) {
          throw new ChannelError(`message ${type} for an unknown channel`);
        }
        if (channel.finished) this.#channels.delete(id);
        return;
      }
      switch (type) {
        case CHANNEL_MSG.REQUEST_SUCCESS:
        case CHANNEL_MSG.REQUEST_FAILURE:
          this.#unanswered = 0;
          return;
        case CHANNEL_MSG.GLOBAL_REQUEST: {
          const r = new WireReader(payload, 1);
          r.text();
          if (r.bool()) this.#transport.send(Uint8Array.of(CHANNEL_MSG.REQUEST_FAILURE));
          return;
        }
        case CHANNEL_MSG.OPEN: {
          const r = new WireReader(payload, 1);
          r.text();
          const theirs = r.u32();
          this.#transport.send(
            new WireWriter().byte(CHANNEL_MSG.OPEN_FAILURE).u32(theirs).u32(1)
              .string("not accepted by this client").string("").bytes(),
          );
          return;
        }
        default:
          this.#transport.send(new WireWriter().byte(MSG.UNIMPLEMENTED).u32(0).bytes());
      }
    } catch (e) {
      this.#opts.debug?.(`${this.#label}: ${(e as Error).message}`);
      this.end();
    }
  }

  async #keepalives(): Promise<void> {
    const ms = this.#opts.keepaliveMs;
    if (ms <= 0) return;
    const signal = this.#stop.signal;
    while (await delay(ms, signal)) {
      if (this.#unanswered >= this.#opts.keepaliveCount) {
        this.#onSilent?.();
        this.end();
        return;
      }
      this.#unanswered++;
      this.#transport.send(
        new WireWriter().byte(CHANNEL_MSG.GLOBAL_REQUEST).string("keepalive@openssh.com")
          .bool(true).bytes(),
      );
    }
  }
}

async function authenticate(
  t: SshTransport,
  address: ServerAddress,
  opts: NativeConnectOptions,
): Promise<void> {
  t.send(new WireWriter().byte(MSG.SERVICE_REQUEST).string("ssh-userauth").bytes());
  // The first request is signed and sent without waiting for SERVICE_ACCEPT (a server reads its
  // messages in order): the signing overlaps the round trip. The acceptance is checked before the
  // first answer is read.
  const acceptance = t.receive();
  acceptance.catch(() => {});
  let accepted = false;
  const accept = async () => {
    if (accepted) return;
    accepted = true;
    const message = await acceptance;
    if (message[0] !== MSG.SERVICE_ACCEPT) {
      throw new TransportError("protocol", `expected SERVICE_ACCEPT, got message ${message[0]}`);
    }
  };
  let publickey = true;
  for (const { key, source } of opts.keys) {
    const algorithm = key.signatureAlgorithms[0]!;
    const signed = new WireWriter(0, 512)
      .string(t.sessionId).byte(USERAUTH_REQUEST).string(opts.user).string("ssh-connection")
      .string("publickey").bool(true).string(algorithm).string(key.publicBlob);
    let signature: Uint8Array;
    try {
      signature = await key.sign(signed.bytes(), algorithm);
    } catch (e) {
      // An agent that does not sign (in time): the next key, as ssh2 does.
      opts.debug?.(`${address.label}: ${source}: ${(e as Error).message}`);
      continue;
    }
    t.send(
      new WireWriter(0, 512).byte(USERAUTH_REQUEST).string(opts.user).string("ssh-connection")
        .string("publickey").bool(true).string(algorithm).string(key.publicBlob)
        .string(signature).bytes(),
    );
    await accept();
    for (;;) {
      const answer = await t.receive();
      if (answer[0] === USERAUTH_SUCCESS) return;
      if (answer[0] === USERAUTH_BANNER) continue;
      if (answer[0] !== USERAUTH_FAILURE) {
        throw new TransportError("protocol", `unexpected message ${answer[0]} in authentication`);
      }
      publickey = new WireReader(answer, 1).nameList().includes("publickey");
      break;
    }
    if (!publickey) break; // the server takes no more keys
  }
  if (opts.password !== undefined) {
    t.send(
      new WireWriter().byte(USERAUTH_REQUEST).string(opts.user).string("ssh-connection")
        .string("password").bool(false).string(opts.password).bytes(),
    );
    await accept();
    for (;;) {
      const answer = await t.receive();
      if (answer[0] === USERAUTH_SUCCESS) return;
      if (answer[0] !== USERAUTH_BANNER) break;
    }
  }
  await accept();
  authFailed(address, opts);
}

function authFailed(address: ServerAddress, opts: NativeConnectOptions): never {
  const keys = opts.keys.map((k) => k.source).join(", ") || "none";
  throw new ConnectError(
    "auth",
    `${address.label}: authentication failed for user ${opts.user} (keys offered: ${keys})`,
  );
}

async function tcpConnect(address: ServerAddress, label: string): Promise<Deno.TcpConn> {
  try {
    return await Deno.connect({ hostname: address.host, port: address.port });
  } catch (e) {
    if (e instanceof Deno.errors.ConnectionRefused) {
      throw new ConnectError("refused", `${label}: connection refused`);
    }
    const message = (e as Error).message;
    if (/lookup|resolve|name or service/i.test(message)) {
      throw new ConnectError("unreachable", `${label}: cannot resolve host name`);
    }
    throw new ConnectError("unreachable", `${label}: cannot connect: ${message}`);
  }
}
