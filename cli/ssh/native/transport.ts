/**
 * The SSH transport layer of the native client (RFC 4253): the version exchange, the binary
 * packets, curve25519-sha256 key exchange with strict KEX (OpenSSH's answer to the Terrapin
 * attack), chacha20-poly1305@openssh.com in both directions on the WebAssembly engine of
 * ssh/chacha_poly.ts, and key re-exchange whenever the server asks for it. It loads no node:
 * module: TCP is Deno's, the key exchange and signatures WebCrypto's.
 *
 * Packets are read into one reused buffer and decrypted in the engine's memory (into another
 * reused buffer but for channel data); what a handler keeps it copies (channel data is gathered
 * per read into one chunk by the caller's `batchEnd`).
 */
import {
  chachaPolyEngine,
  type DirectionKeys,
  MAX_PACKET,
  TAG_SIZE,
} from "../../../ssh/chacha_poly.ts";
import { deriveKeys, type Ephemeral, ephemeralKey, exchangeHash, sharedSecret } from "./kex.ts";
import { bytesEqual } from "./ssh_key_blob.ts";
import { keyTypeOfBlob, verifySignature } from "./ssh_keys.ts";
import { WireError, WireReader, WireWriter } from "./ssh_wire.ts";

export const MSG = {
  DISCONNECT: 1,
  IGNORE: 2,
  UNIMPLEMENTED: 3,
  DEBUG: 4,
  SERVICE_REQUEST: 5,
  SERVICE_ACCEPT: 6,
  EXT_INFO: 7,
  KEXINIT: 20,
  NEWKEYS: 21,
  KEX_ECDH_INIT: 30,
  KEX_ECDH_REPLY: 31,
} as const;

/** SSH_MSG_CHANNEL_DATA (RFC 4254): the one message handed up from the engine's memory. */
const CHANNEL_DATA = 94;

export const CLIENT_VERSION = "SSH-2.0-DTail_Deno";
const CIPHER = "chacha20-poly1305@openssh.com";
const KEX = ["curve25519-sha256", "curve25519-sha256@libssh.org"];
const STRICT_C = "kex-strict-c-v00@openssh.com";
const STRICT_S = "kex-strict-s-v00@openssh.com";
/** Listed for servers that want a MAC in common; an AEAD cipher uses none. */
const MACS = ["hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"];
/** Host key signature algorithms this client can check, and the key type each belongs to. */
const HOST_KEY_TYPES: Record<string, string> = {
  "ssh-ed25519": "ssh-ed25519",
  "ecdsa-sha2-nistp256": "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384": "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521": "ecdsa-sha2-nistp521",
  "rsa-sha2-512": "ssh-rsa",
  "rsa-sha2-256": "ssh-rsa",
};
/** Bytes before the server's version line (RFC 4253 4.2 allows other lines first). */
const MAX_PREAMBLE = 64 * 1024;
const MAX_READ_BUFFER = 256 * 1024;

export type TransportFailure = "closed" | "protocol" | "hostkey" | "unsupported";

export class TransportError extends Error {
  override name = "TransportError";
  constructor(readonly kind: TransportFailure, message: string) {
    super(message);
  }
}

/** What the transport runs over: a TCP connection, or a channel through a jump host. */
export interface ByteStream {
  read(into: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

export interface TransportOptions {
  /** Host key signature algorithms in order of preference (unknown names are skipped). */
  hostKeyAlgorithms: readonly string[];
  /** The host key check of the first key exchange (known_hosts, the trust prompt). */
  verifyHostKey(keyBlob: Uint8Array): Promise<boolean>;
  /** Sees the bytes read before the server's version line (cli/ssh/server_greeting.ts). */
  preamble?: (bytes: Uint8Array) => void;
  /**
   * The first key exchange's ephemeral key, made while the connection opened (WebCrypto takes
   * ~1.5 ms for the first one); later exchanges make their own.
   */
  ephemeral?: Promise<Ephemeral>;
  debug?: (line: string) => void;
}

/** Receives the packets of the layers above, in order; `payload` is valid only during the call. */
export interface PacketHandler {
  packet(payload: Uint8Array): void;
  /** After the packets of one read. */
  batchEnd(): void;
  /** The connection ended (null: closed by us). */
  closed(error: TransportError | null): void;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

const engine = chachaPolyEngine();

export class SshTransport {
  readonly #conn: ByteStream;
  readonly #opts: TransportOptions;
  #serverVersion = "";
  #sessionId: Uint8Array | null = null;
  #hostKey: Uint8Array | null = null;
  #strict = false;

  #outKeys: DirectionKeys | null = null;
  #outSeq = 0;
  #inKeys: DirectionKeys | null = null;
  #inSeq = 0;
  /** The server's next keys, once derived (a NEWKEYS read before then waits for them). */
  #nextInKeys: Deferred<DirectionKeys> | null = null;
  #newKeysIn: Deferred<void> | null = null;

  /** A key exchange runs: packets of the layers above wait in `#held`. */
  #kexing = false;
  #held: Uint8Array[] = [];
  #kexInbox: Uint8Array[] = [];
  #kexWaiter: Deferred<Uint8Array> | null = null;
  #discardNextKex = false;
  #firstKexDone = false;

  #handler: PacketHandler | null = null;
  #inbox: Uint8Array[] = [];
  #inboxWaiter: Deferred<Uint8Array> | null = null;

  #writing: Promise<void> = Promise.resolve();
  #failure: TransportError | null = null;
  #closing = false;
  readonly #ended = deferred<void>();

  private constructor(conn: ByteStream, opts: TransportOptions) {
    this.#conn = conn;
    this.#opts = opts;
  }

  /** Exchanges versions and keys over `conn`; rejects with a TransportError. */
  static async open(conn: ByteStream, opts: TransportOptions): Promise<SshTransport> {
    if (engine === null) throw new TransportError("unsupported", "no chacha20-poly1305 engine");
    const t = new SshTransport(conn, opts);
    t.#rawWrite(new TextEncoder().encode(`${CLIENT_VERSION}\r\n`));
    void t.#readLoop();
    try {
      await t.#keyExchange(null);
    } catch (e) {
      const error = transportError(e);
      t.#fail(error);
      throw t.#failure ?? error;
    }
    return t;
  }

  get sessionId(): Uint8Array {
    return this.#sessionId!;
  }

  get serverVersion(): string {
    return this.#serverVersion;
  }

  /** Resolves when the connection has ended, whichever side ended it. */
  get ended(): Promise<void> {
    return this.#ended.promise;
  }

  /** The next packet of the layers above (before `setHandler`). */
  receive(): Promise<Uint8Array> {
    const next = this.#inbox.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.#failure !== null) return Promise.reject(this.#failure);
    this.#inboxWaiter = deferred();
    return this.#inboxWaiter.promise;
  }

  /** From now on every packet goes to `handler` (those received meanwhile first). */
  setHandler(handler: PacketHandler): void {
    this.#handler = handler;
    for (const p of this.#inbox.splice(0)) handler.packet(p);
    handler.batchEnd();
    if (this.#failure !== null || this.#closing) handler.closed(this.#failure);
  }

  /** Sends a packet of the layers above (held while a key exchange runs). */
  send(payload: Uint8Array): void {
    if (this.#failure !== null || this.#closing) return;
    if (this.#kexing) this.#held.push(payload.slice());
    else this.#sendPacket(payload);
  }

  /** Writes what was sent, then closes the connection (after a DISCONNECT when `disconnect`). */
  close(disconnect = true): void {
    if (this.#closing) return;
    if (disconnect && this.#failure === null && !this.#kexing) {
      this.#sendPacket(
        new WireWriter().byte(MSG.DISCONNECT).u32(11).string("disconnected by user").string("")
          .bytes(),
      );
    }
    this.#closing = true;
    void this.#writing.finally(() => this.#shut());
  }

  #shut(): void {
    try {
      this.#conn.close();
    } catch {
      // closed already
    }
  }

  #fail(error: TransportError): void {
    if (this.#failure !== null || this.#closing) {
      this.#shut();
      return;
    }
    this.#failure = error;
    this.#opts.debug?.(`native SSH: ${error.message}`);
    this.#kexWaiter?.reject(error);
    this.#inboxWaiter?.reject(error);
    this.#nextInKeys?.reject(error);
    this.#newKeysIn?.reject(error);
    this.#shut();
  }

  // --- writing ---

  #rawWrite(bytes: Uint8Array): void {
    this.#writing = this.#writing.then(async () => {
      if (this.#failure !== null) return;
      try {
        for (let at = 0; at < bytes.length;) at += await this.#conn.write(bytes.subarray(at));
      } catch (e) {
        this.#fail(new TransportError("closed", `connection lost: ${(e as Error).message}`));
      }
    });
  }

  #sendPacket(payload: Uint8Array): void {
    const keys = this.#outKeys;
    // The padded part is a multiple of 8: with the length field in plain text, without it
    // under chacha20-poly1305.
    const head = keys === null ? 5 : 1;
    let pad = 8 - ((head + payload.length) % 8);
    if (pad < 4) pad += 8;
    const len = 1 + payload.length + pad;
    const packet = new Uint8Array(4 + len + (keys === null ? 0 : TAG_SIZE));
    new DataView(packet.buffer).setUint32(0, len);
    packet[4] = pad;
    packet.set(payload, 5);
    crypto.getRandomValues(packet.subarray(5 + payload.length, 4 + len));
    if (keys !== null) engine!.encrypt(keys, this.#outSeq, packet, len);
    this.#outSeq = (this.#outSeq + 1) >>> 0;
    this.#rawWrite(packet);
  }

  // --- reading ---

  async #readLoop(): Promise<void> {
    let buf = new Uint8Array(16 * 1024);
    let plain = new Uint8Array(16 * 1024);
    let start = 0, end = 0, received = 0;
    let versionDone = false;
    try {
      for (;;) {
        if (!versionDone) {
          const line = this.#versionLine(buf, start, end);
          if (line !== null) {
            start = line;
            versionDone = true;
          } else if (end > MAX_PREAMBLE) {
            throw new TransportError("protocol", "no SSH version line from the server");
          }
        }
        while (versionDone) {
          const have = end - start;
          if (have < 4) break;
          const keys = this.#inKeys;
          const len = keys === null
            ? new DataView(buf.buffer, start, 4).getUint32(0)
            : engine!.decryptLength(keys, this.#inSeq, buf, start);
          if (len < 8 || len > MAX_PACKET || (keys !== null && len % 8 !== 0)) {
            throw new TransportError("protocol", `bad packet length ${len} from the server`);
          }
          const total = 4 + len + (keys === null ? 0 : TAG_SIZE);
          if (total > buf.length) {
            const grown = new Uint8Array(
              Math.max(total, Math.min(buf.length * 2, MAX_READ_BUFFER)),
            );
            grown.set(buf.subarray(start, end));
            buf = grown;
            end -= start;
            start = 0;
          }
          if (have < total) break;
          if (plain.length < len) plain = new Uint8Array(Math.max(len, plain.length * 2));
          let packet: Uint8Array = plain;
          if (keys === null) plain.set(buf.subarray(start + 4, start + 4 + len));
          else {
            const here = engine!.decryptHere(keys, this.#inSeq, buf, start, len);
            if (here === null) {
              throw new TransportError("protocol", "a packet from the server failed its MAC check");
            }
            // Channel data is copied by its channel before the engine runs again; any other
            // message is copied out first, as its handler may send (which encrypts there).
            if (here[1] === CHANNEL_DATA) packet = here;
            else plain.set(here);
          }
          this.#inSeq = (this.#inSeq + 1) >>> 0;
          start += total;
          const pad = packet[0]!;
          if (pad < 4 || pad > len - 2) {
            throw new TransportError("protocol", "bad padding in a packet from the server");
          }
          const payload = packet.subarray(1, len - pad);
          if (payload[0] === MSG.NEWKEYS) await this.#newKeysReceived(payload);
          else this.#route(payload);
          if (this.#failure !== null) return;
        }
        this.#handler?.batchEnd();
        if (start === end) start = end = 0;
        else if (buf.length - end < 4096 || start > buf.length / 2) {
          buf.copyWithin(0, start, end);
          end -= start;
          start = 0;
        }
        if (end === buf.length) {
          const grown = new Uint8Array(Math.min(buf.length * 2, MAX_READ_BUFFER + MAX_PACKET));
          grown.set(buf.subarray(0, end));
          buf = grown;
        }
        const n = await this.#conn.read(buf.subarray(end));
        if (n === null) {
          throw new TransportError("closed", "the server closed the connection");
        }
        if (!versionDone) this.#opts.preamble?.(buf.subarray(end, end + n));
        end += n;
        received += n;
        // A connection that carries a stream reads in larger steps (a fan-out's stay small).
        if (received > 1 << 20 && buf.length < MAX_READ_BUFFER && start === 0) {
          const grown = new Uint8Array(MAX_READ_BUFFER);
          grown.set(buf.subarray(0, end));
          buf = grown;
        }
      }
    } catch (e) {
      const error = e instanceof TransportError || e instanceof WireError
        ? transportError(e)
        : new TransportError("closed", `connection lost: ${(e as Error).message}`);
      const closedByUs = this.#closing;
      this.#fail(error);
      this.#handler?.batchEnd();
      this.#handler?.closed(closedByUs ? null : error);
    } finally {
      this.#ended.resolve();
    }
  }

  /** Where the binary protocol starts after the server's version line, or null (not yet). */
  #versionLine(buf: Uint8Array, start: number, end: number): number | null {
    let lineStart = start;
    for (let i = start; i < end; i++) {
      if (buf[i] !== 0x0a) continue;
      let lineEnd = i;
      if (lineEnd > lineStart && buf[lineEnd - 1] === 0x0d) lineEnd--;
      const line = new TextDecoder().decode(buf.subarray(lineStart, lineEnd));
      if (line.startsWith("SSH-")) {
        if (!line.startsWith("SSH-2.0-") && !line.startsWith("SSH-1.99-")) {
          throw new TransportError("unsupported", `server speaks ${line.slice(0, 40)}`);
        }
        this.#serverVersion = line;
        return i + 1;
      }
      lineStart = i + 1;
    }
    return null;
  }

  #route(payload: Uint8Array): void {
    const type = payload[0];
    if (type === MSG.DISCONNECT) {
      const r = new WireReader(payload, 1);
      r.u32();
      const why = r.text().slice(0, 200);
      throw new TransportError("closed", `the server disconnected${why ? `: ${why}` : ""}`);
    }
    const kexMessage = type === MSG.KEXINIT || type === MSG.KEX_ECDH_INIT ||
      type === MSG.KEX_ECDH_REPLY;
    if (!this.#firstKexDone && !kexMessage) {
      // Strict KEX: nothing but the key exchange before its first NEWKEYS.
      if (this.#strict || type === undefined || type > MSG.DEBUG) {
        throw new TransportError("protocol", `unexpected message ${type} during key exchange`);
      }
      return;
    }
    if (type === MSG.IGNORE || type === MSG.DEBUG || type === MSG.UNIMPLEMENTED) return;
    if (kexMessage) {
      if (this.#discardNextKex && type !== MSG.KEXINIT) {
        this.#discardNextKex = false;
        return;
      }
      const copy = payload.slice();
      if (type === MSG.KEXINIT && !this.#kexing) {
        this.#opts.debug?.("native SSH: the server starts a key re-exchange");
        this.#keyExchange(copy).catch((e) => this.#fail(transportError(e)));
        return;
      }
      if (this.#kexWaiter !== null) {
        const w = this.#kexWaiter;
        this.#kexWaiter = null;
        w.resolve(copy);
      } else this.#kexInbox.push(copy);
      return;
    }
    if (type === MSG.EXT_INFO) return;
    if (this.#handler !== null) return this.#handler.packet(payload);
    const copy = payload.slice();
    if (this.#inboxWaiter !== null) {
      const w = this.#inboxWaiter;
      this.#inboxWaiter = null;
      w.resolve(copy);
    } else this.#inbox.push(copy);
  }

  async #newKeysReceived(payload: Uint8Array): Promise<void> {
    if (payload.length !== 1 || this.#nextInKeys === null) {
      throw new TransportError("protocol", "unexpected NEWKEYS from the server");
    }
    this.#inKeys = await this.#nextInKeys.promise;
    this.#nextInKeys = null;
    if (this.#strict) this.#inSeq = 0;
    this.#firstKexDone = true;
    this.#newKeysIn?.resolve();
  }

  #nextKex(type: number): Promise<Uint8Array> {
    const take = (p: Uint8Array) => {
      if (p[0] !== type) {
        throw new TransportError("protocol", `expected message ${type}, got ${p[0]}`);
      }
      return p;
    };
    const queued = this.#kexInbox.shift();
    if (queued !== undefined) return Promise.resolve(take(queued));
    if (this.#failure !== null) return Promise.reject(this.#failure);
    this.#kexWaiter = deferred();
    return this.#kexWaiter.promise.then(take);
  }

  // --- key exchange ---

  #kexInit(): Uint8Array {
    const cookie = crypto.getRandomValues(new Uint8Array(16));
    const hostKeys = this.#opts.hostKeyAlgorithms.filter((a) => a in HOST_KEY_TYPES);
    const first = this.#sessionId === null;
    return new WireWriter(0, 512).byte(MSG.KEXINIT).raw(cookie)
      .nameList(first ? [...KEX, "ext-info-c", STRICT_C] : KEX)
      .nameList(hostKeys)
      .nameList([CIPHER]).nameList([CIPHER])
      .nameList(MACS).nameList(MACS)
      .nameList(["none"]).nameList(["none"])
      .nameList([]).nameList([])
      .bool(false).u32(0)
      .bytes().slice();
  }

  async #keyExchange(serverInitGiven: Uint8Array | null): Promise<void> {
    this.#kexing = true;
    // Made while the KEXINITs cross (the first: while the connection opened).
    const ownKey = (this.#sessionId === null ? this.#opts.ephemeral : undefined) ?? ephemeralKey();
    ownKey.catch(() => {}); // awaited below, unless the exchange fails first
    const clientInit = this.#kexInit();
    this.#sendPacket(clientInit);
    const serverInit = serverInitGiven ?? await this.#nextKex(MSG.KEXINIT);
    const chosen = this.#negotiate(serverInit);
    this.#nextInKeys = deferred();
    this.#newKeysIn = deferred();
    const own = await ownKey;
    this.#sendPacket(new WireWriter().byte(MSG.KEX_ECDH_INIT).string(own.publicKey).bytes());
    const reply = new WireReader(await this.#nextKex(MSG.KEX_ECDH_REPLY), 1);
    const hostKey = reply.string().slice();
    const serverPublic = reply.string().slice();
    const signature = reply.string().slice();
    reply.end();
    const secret = await sharedSecret(own, serverPublic);
    const hash = await exchangeHash({
      clientVersion: CLIENT_VERSION,
      serverVersion: this.#serverVersion,
      clientKexInit: clientInit,
      serverKexInit: serverInit,
      hostKey,
      clientPublic: own.publicKey,
      serverPublic,
      secret,
    });
    // The keys are derived while the server's signature and key are checked (used only after).
    const derived = deriveKeys(secret, hash, this.#sessionId ?? hash);
    derived.catch(() => {}); // awaited below, unless a check fails first
    const sigAlgorithm = new WireReader(signature).text();
    if (
      sigAlgorithm !== chosen.hostKey ||
      keyTypeOfBlob(hostKey) !== HOST_KEY_TYPES[chosen.hostKey] ||
      !(await verifySignature(hostKey, signature, hash))
    ) {
      throw new TransportError("hostkey", "the server's host key signature does not verify");
    }
    if (this.#hostKey === null) {
      if (!(await this.#opts.verifyHostKey(hostKey))) {
        throw new TransportError("hostkey", "host key refused");
      }
      this.#hostKey = hostKey;
      this.#sessionId = hash;
    } else if (!bytesEqual(hostKey, this.#hostKey)) {
      throw new TransportError("hostkey", "the server changed its host key in a key re-exchange");
    }
    const keys = await derived;
    this.#sendPacket(Uint8Array.of(MSG.NEWKEYS));
    this.#outKeys = keys.clientToServer;
    if (this.#strict) this.#outSeq = 0;
    this.#nextInKeys.resolve(keys.serverToClient);
    await this.#newKeysIn.promise;
    this.#kexing = false;
    for (const p of this.#held.splice(0)) this.#sendPacket(p);
  }

  #negotiate(serverInit: Uint8Array): { hostKey: string } {
    const r = new WireReader(serverInit, 17);
    const kex = r.nameList(), hostKeys = r.nameList();
    const encC = r.nameList(), encS = r.nameList();
    r.nameList(), r.nameList();
    const compC = r.nameList(), compS = r.nameList();
    r.nameList(), r.nameList();
    const follows = r.bool();
    r.u32();
    if (this.#sessionId === null) this.#strict = kex.includes(STRICT_S);
    const pick = (ours: readonly string[], theirs: string[], what: string) => {
      const found = ours.find((a) => theirs.includes(a));
      if (found === undefined) {
        throw new TransportError("unsupported", `no ${what} in common with the server`);
      }
      return found;
    };
    const kexAlg = pick(KEX, kex, "key exchange");
    const hostKey = pick(
      this.#opts.hostKeyAlgorithms.filter((a) => a in HOST_KEY_TYPES),
      hostKeys,
      "host key type",
    );
    pick([CIPHER], encC, "cipher");
    pick([CIPHER], encS, "cipher");
    pick(["none"], compC, "compression");
    pick(["none"], compS, "compression");
    // A guessed first packet that guessed wrong is skipped (RFC 4253 7).
    if (follows && (kex[0] !== kexAlg || hostKeys[0] !== hostKey)) this.#discardNextKex = true;
    return { hostKey };
  }
}

/** Any failure of the exchange with the server as a TransportError (one line). */
export function transportError(e: unknown): TransportError {
  if (e instanceof TransportError) return e;
  if (e instanceof WireError) {
    return new TransportError("protocol", `malformed message from the server: ${e.message}`);
  }
  // WebCrypto refusing what the server sent (a key that is no point on the curve, …).
  const message = e instanceof Error ? e.message : String(e);
  return new TransportError("protocol", message.split("\n")[0]!);
}
