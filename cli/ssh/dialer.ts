/**
 * Connections of one run to its servers (docs/usage.md#jump-hosts-proxyjump): straight over TCP, or through
 * jump hosts, each jump host logged in to once per run and shared by every server behind it (one
 * `direct-tcpip` channel per server on the one jump connection). A jump connection that drops is
 * opened again by the next server that needs it. The native client (cli/ssh/native/) serves every
 * hop whose keys it reads; ssh2, loaded only then, the others.
 */
import type { Client, ClientChannel } from "ssh2";
import type { ClientAuth } from "./auth.ts";
import { ConnectError, type ConnectFailure } from "./connect_error.ts";
import type { Hop, ResolvedServer, StrictHostKeys } from "./host_resolve.ts";
import { hostKeyAlgorithms, KEEPALIVE_COUNT } from "./host_key_algorithms.ts";
import type { SshLink } from "./link.ts";
import { NativeClient, type NativeKey, NativeUnsupported } from "./native/native_client.ts";
import { ChannelStream } from "./native/channel_stream.ts";
import { ChannelError } from "./native/session_channel.ts";
import type { ByteStream } from "./native/transport.ts";
import { delay } from "../../core/delay.ts";
import type { HostTrust } from "./trust_prompt.ts";

export interface DialerOptions {
  readonly auth: ClientAuth;
  /** The host key policy of a hop; null skips the check (scheduled jobs). */
  readonly trustFor: (knownHostsPath: string | null, strict: StrictHostKeys | null) =>
    | HostTrust
    | null;
  readonly timeoutMs: number;
  /** `Client.SSHKeepaliveIntervalMs` (cli/ssh/connect.ts); 0 or absent = none. */
  readonly keepaliveMs?: number;
  /** The run's end: jump connections are closed then. */
  readonly signal: AbortSignal;
  /** Many servers, or servers behind jump hosts: encrypt with ours (ssh/ssh2_chacha_poly.ts). */
  readonly fanOut?: boolean;
  /**
   * Direct connections with key files the native client reads go through it (cli/ssh/native/);
   * false: always ssh2 (`DTAIL_SSH_CLIENT=ssh2`).
   */
  readonly native?: boolean;
  readonly debug?: (line: string) => void;
}

export class Dialer {
  #opts: DialerOptions;
  /** Jump connections by the chain of hops leading to them. */
  #jumps = new Map<string, Promise<Client>>();
  #open = new Set<Client>();
  /** Native jump connections, as `#jumps` (every hop's keys read natively). */
  #nativeJumps = new Map<string, Promise<NativeClient>>();
  #nativeOpen = new Set<NativeClient>();

  #ssh2: Promise<typeof import("./ssh2_dial.ts")> | null = null;

  constructor(opts: DialerOptions) {
    this.#opts = opts;
  }

  /** ssh2 and what goes with it, loaded by the first connection that needs it. */
  #loadSsh2(): Promise<typeof import("./ssh2_dial.ts")> {
    return this.#ssh2 ??= import("./ssh2_dial.ts").then((m) => {
      // Ours writes each packet once (ssh2's own writes three pieces): a jump connection carries
      // every packet of the servers behind it, and a fan-out's handshakes add up. Not for a few
      // direct servers: nothing to gain there (docs/decisions.md, "SSH encryption of what we
      // send").
      if (this.#opts.fanOut) m.installChaChaPoly();
      return m;
    });
  }

  /** `Common.SSHConnectTimeoutMs`: what each step of a connection may take. */
  get timeoutMs(): number {
    return this.#opts.timeoutMs;
  }

  /** Connects to `server`, through its jump hosts if it has any. */
  async connect(server: ResolvedServer, signal: AbortSignal): Promise<SshLink> {
    const ssh2 = async (client: Promise<Client>) => (await this.#loadSsh2()).ssh2Link(await client);
    const native = this.#nativeKeys(server);
    if (native !== null && server.jumps.every((hop) => this.#nativeKeys(hop) !== null)) {
      try {
        return await this.#native(server, native, signal);
      } catch (e) {
        if (!(e instanceof NativeUnsupported)) throw e;
        this.#opts.debug?.(`${e.message}: connecting with ssh2`);
      }
    }
    if (server.jumps.length > 0) return await ssh2(this.#viaJumps(server, signal));
    return await ssh2(this.#login(server, server.label, signal));
  }

  /** The keys of a hop when the native client can offer every one of them. */
  #nativeKeys(hop: Hop): NativeKey[] | null {
    if (this.#opts.native === false) return null;
    const auth = this.#opts.auth.forHost?.(hop.identityFiles, hop.identitiesOnly) ??
      this.#opts.auth;
    const keys: NativeKey[] = [];
    for (const k of auth.keys) {
      if (k.native === null) return null;
      keys.push({ source: k.source, key: k.native });
    }
    return keys.length > 0 ? keys : null;
  }

  async #native(server: ResolvedServer, keys: NativeKey[], signal: AbortSignal): Promise<SshLink> {
    let stream: ByteStream | undefined;
    if (server.jumps.length > 0) {
      let jump: NativeClient;
      try {
        jump = await this.#nativeJump(server.jumps, server.jumps.length);
      } catch (e) {
        throw e instanceof ConnectError ? via(server.label, e) : e;
      }
      const last = server.jumps[server.jumps.length - 1]!;
      stream = await this.#nativeTunnel(jump, server, last.label);
    }
    return await this.#nativeLogin(server, server.label, keys, signal, stream);
  }

  #nativeLogin(
    hop: Hop,
    label: string,
    keys: NativeKey[],
    signal: AbortSignal,
    stream?: ByteStream,
  ): Promise<NativeClient> {
    return NativeClient.connect({ host: hop.host, port: hop.port, portGiven: true, label }, {
      user: hop.user,
      keys,
      hostKeyAlgorithms,
      trust: this.#opts.trustFor(hop.knownHostsPath, hop.strictHostKeys),
      timeoutMs: this.#opts.timeoutMs,
      keepaliveMs: this.#opts.keepaliveMs ?? 0,
      keepaliveCount: KEEPALIVE_COUNT,
      signal,
      ...(this.#opts.debug ? { debug: this.#opts.debug } : {}),
      ...(stream === undefined ? {} : { via: stream }),
    });
  }

  /** The native connection to `chain[n - 1]`, reached through `chain[0 .. n - 2]`. */
  #nativeJump(chain: readonly Hop[], n: number): Promise<NativeClient> {
    const hop = chain[n - 1]!;
    // A jump host the native client cannot serve stays so: the next servers go to ssh2 at once.
    const unsupported = (e: unknown) => e instanceof NativeUnsupported;
    return shared(this.#nativeJumps, chain, n, async (forget) => {
      const stream = n === 1
        ? undefined
        : await this.#nativeTunnel(await this.#nativeJump(chain, n - 1), hop, chain[n - 2]!.label);
      const keys = this.#nativeKeys(hop)!;
      const client = await this.#nativeLogin(hop, hop.label, keys, this.#opts.signal, stream);
      this.#nativeOpen.add(client);
      client.onClose = () => {
        this.#nativeOpen.delete(client);
        forget();
      };
      return client;
    }, unsupported);
  }

  /** A `direct-tcpip` channel from the native jump connection `jumpLabel` to `to`. */
  async #nativeTunnel(jump: NativeClient, to: Hop, jumpLabel: string): Promise<ByteStream> {
    const ms = this.#opts.timeoutMs;
    const stop = new AbortController();
    const timedOut = delay(ms, stop.signal).then((fired) => {
      if (fired) throw tunnelError(to, jumpLabel, "timeout", `timed out after ${ms} ms`);
      return null;
    });
    timedOut.catch(() => {});
    try {
      const io = await Promise.race([jump.forward(to.host, to.port), timedOut]);
      return new ChannelStream(io!);
    } catch (e) {
      if (e instanceof ChannelError) {
        const [reason, why] = channelRefusal(e);
        throw tunnelError(to, jumpLabel, reason, why);
      }
      throw e;
    } finally {
      stop.abort();
    }
  }

  async #viaJumps(server: ResolvedServer, signal: AbortSignal): Promise<Client> {
    let jump: Client;
    try {
      jump = await this.#jump(server.jumps, server.jumps.length);
    } catch (e) {
      throw e instanceof ConnectError ? via(server.label, e) : e;
    }
    const last = server.jumps[server.jumps.length - 1]!;
    const tunnel = await this.#tunnel(jump, server, last.label);
    return await this.#login(server, server.label, signal, tunnel);
  }

  /** Ends every jump connection. */
  close(): void {
    for (const client of this.#open) client.end();
    this.#open.clear();
    this.#jumps.clear();
    for (const client of this.#nativeOpen) client.end();
    this.#nativeOpen.clear();
    this.#nativeJumps.clear();
  }

  async #login(
    hop: Hop,
    label: string,
    signal: AbortSignal,
    tunnel?: ClientChannel,
  ): Promise<Client> {
    const { connect, tunnelStream } = await this.#loadSsh2();
    return await connect({ host: hop.host, port: hop.port, portGiven: true, label }, {
      user: hop.user,
      auth: this.#opts.auth.forHost?.(hop.identityFiles, hop.identitiesOnly) ?? this.#opts.auth,
      trust: this.#opts.trustFor(hop.knownHostsPath, hop.strictHostKeys),
      timeoutMs: this.#opts.timeoutMs,
      keepaliveMs: this.#opts.keepaliveMs ?? 0,
      signal,
      ...(tunnel === undefined ? {} : { tunnel: tunnelStream(tunnel) }),
    });
  }

  /** The connection to `chain[n - 1]`, reached through `chain[0 .. n - 2]`. */
  #jump(chain: readonly Hop[], n: number): Promise<Client> {
    const hop = chain[n - 1]!;
    return shared(this.#jumps, chain, n, async (forget) => {
      const tunnel = n === 1
        ? undefined
        : await this.#tunnel(await this.#jump(chain, n - 1), hop, chain[n - 2]!.label);
      const client = await this.#login(hop, hop.label, this.#opts.signal, tunnel);
      this.#open.add(client);
      const gone = () => {
        this.#open.delete(client);
        forget();
      };
      client.on("close", gone).on("error", gone);
      return client;
    });
  }

  /** A `direct-tcpip` channel from the jump host `jumpLabel` to `to`. */
  #tunnel(jump: Client, to: Hop, jumpLabel: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            tunnelError(to, jumpLabel, "timeout", `timed out after ${this.#opts.timeoutMs} ms`),
          ),
        this.#opts.timeoutMs,
      );
      try {
        jump.forwardOut("127.0.0.1", 0, to.host, to.port, (err, channel) => {
          clearTimeout(timer);
          if (err) reject(tunnelError(to, jumpLabel, ...openFailure(err)));
          else resolve(channel);
        });
      } catch (e) {
        // ssh2 throws when the jump connection is no longer writable.
        clearTimeout(timer);
        reject(tunnelError(to, jumpLabel, "handshake", (e as Error).message));
      }
    });
  }
}

/**
 * The connection to `chain[n - 1]` in `cache`: opened once for every server behind it, forgotten
 * when it ends (`open` gets what forgets it) or fails (unless `keepFailure` says the failure
 * stands for the next servers too).
 */
function shared<T>(
  cache: Map<string, Promise<T>>,
  chain: readonly Hop[],
  n: number,
  open: (forget: () => void) => Promise<T>,
  keepFailure: (e: unknown) => boolean = () => false,
): Promise<T> {
  const key = chain.slice(0, n).map((h) => `${h.user}@${h.host}:${h.port}`).join(" ");
  const have = cache.get(key);
  if (have !== undefined) return have;
  const forget = () => {
    if (cache.get(key) === opening) cache.delete(key);
  };
  const opening = open(forget);
  cache.set(key, opening);
  opening.catch((e) => {
    if (!keepFailure(e)) forget();
  });
  return opening;
}

/** A server's error for a failure of one of its jump hosts. */
function via(label: string, e: ConnectError): ConnectError {
  if (e.reason === "aborted") return new ConnectError("aborted", `${label}: connection aborted`);
  return new ConnectError(e.reason, `${label}: via jump host ${e.message}`);
}

function tunnelError(
  to: Hop,
  jumpLabel: string,
  reason: ConnectFailure,
  why: string,
): ConnectError {
  return new ConnectError(reason, `${to.label}: via jump host ${jumpLabel}: ${why}`);
}

/** The jump host's refusal of a native channel open, as a failure reason and text. */
function channelRefusal(e: ChannelError): [ConnectFailure, string] {
  if (/refused/i.test(e.text)) return ["refused", "connection refused"];
  if (e.reason === 1) return ["refused", `forwarding refused by the jump host (${e.text})`];
  if (e.reason === 0) return ["handshake", e.message];
  return ["unreachable", `cannot connect: ${e.text || "channel open failed"}`];
}

/** The jump host's answer to the channel open, as a failure reason and text. */
function openFailure(err: Error & { reason?: number }): [ConnectFailure, string] {
  const text = err.message.replace(/^\(SSH\) Channel open failure: /, "");
  if (/refused/i.test(text)) return ["refused", "connection refused"];
  if (err.reason === 1) return ["refused", `forwarding refused by the jump host (${text})`];
  return ["unreachable", `cannot connect: ${text || "channel open failed"}`];
}
