/**
 * curve25519-sha256 key exchange (RFC 8731) on WebCrypto: the client's ephemeral X25519 key, the
 * shared secret, the exchange hash H (RFC 4253 section 8) and the chacha20-poly1305 keys derived
 * from it (RFC 4253 section 7.2; chacha20-poly1305@openssh.com takes 64 bytes a direction: the
 * first 32 key the packets and their Poly1305 keys, the last 32 the length fields, as OpenSSH's
 * `chachapoly_init` reads them).
 */
import { type DirectionKeys, keyState } from "../../../ssh/chacha_poly.ts";
import { concatBytes } from "../../../core/bytes.ts";
import { WireError, WireWriter } from "./ssh_wire.ts";

export interface Ephemeral {
  readonly privateKey: CryptoKey;
  /** Q_C: the 32-byte public key sent in KEX_ECDH_INIT. */
  readonly publicKey: Uint8Array;
}

export async function ephemeralKey(): Promise<Ephemeral> {
  const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: raw };
}

/** K: the shared secret as the big-endian number RFC 8731 takes it for (all zeros refused). */
export async function sharedSecret(own: Ephemeral, serverPublic: Uint8Array): Promise<Uint8Array> {
  if (serverPublic.length !== 32) throw new WireError("server's X25519 key is not 32 bytes");
  const peer = await crypto.subtle.importKey(
    "raw",
    serverPublic.slice(),
    { name: "X25519" },
    false,
    [],
  );
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits({ name: "X25519", public: peer }, own.privateKey, 256),
  );
  if (bits.every((b) => b === 0)) throw new WireError("X25519 shared secret is zero");
  return bits;
}

export interface HashInputs {
  clientVersion: string;
  serverVersion: string;
  clientKexInit: Uint8Array;
  serverKexInit: Uint8Array;
  hostKey: Uint8Array;
  clientPublic: Uint8Array;
  serverPublic: Uint8Array;
  secret: Uint8Array;
}

export async function exchangeHash(h: HashInputs): Promise<Uint8Array> {
  const w = new WireWriter(0, 1024)
    .string(h.clientVersion).string(h.serverVersion)
    .string(h.clientKexInit).string(h.serverKexInit)
    .string(h.hostKey).string(h.clientPublic).string(h.serverPublic)
    .mpint(h.secret);
  return await sha256(w.bytes());
}

export interface SessionKeys {
  clientToServer: DirectionKeys;
  serverToClient: DirectionKeys;
}

/** The chacha20-poly1305 keys of both directions ("C" and "D" of RFC 4253 7.2). */
export async function deriveKeys(
  secret: Uint8Array,
  hash: Uint8Array,
  sessionId: Uint8Array,
): Promise<SessionKeys> {
  const k = new WireWriter(0, 64).mpint(secret).bytes();
  const direction = async (letter: number): Promise<DirectionKeys> => {
    const first = await sha256(concatBytes(k, hash, Uint8Array.of(letter), sessionId));
    const second = await sha256(concatBytes(k, hash, first));
    return { main: keyState(first), length: keyState(second) };
  };
  // Both directions at once: each WebCrypto digest is a trip to another thread (~0.3 ms).
  const [clientToServer, serverToClient] = await Promise.all([direction(0x43), direction(0x44)]);
  return { clientToServer, serverToClient };
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data.slice()));
}
