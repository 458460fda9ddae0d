/**
 * SSH keys for the native SSH client, with WebCrypto only (no node: modules, no npm packages):
 * unencrypted OpenSSH private key files (ed25519, ecdsa nistp256/384/521, rsa) and PEM RSA keys
 * (PKCS#1) become keys that sign, and host key signatures are verified. Anything else is reported,
 * never thrown, so that the caller can fall back to another parser (encrypted keys, other PEM,
 * PKCS#8, PuTTY, DSA, security keys).
 */
import { concatBytes } from "../../../core/bytes.ts";
import {
  base64Decode,
  base64url,
  bigintOf,
  bitLength,
  BlobError,
  BlobReader,
  bytesEqual,
  bytesOf,
  padStart,
  sshMpint,
  sshString,
  sshText,
} from "./ssh_key_blob.ts";

/** A private key the native client can sign with. */
export interface NativePrivateKey {
  /** SSH key type: "ssh-ed25519" | "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384" | "ecdsa-sha2-nistp521" | "ssh-rsa" */
  readonly type: string;
  /** The public key in SSH wire format (what goes into publickey auth and authorized_keys, base64). */
  readonly publicBlob: Uint8Array;
  readonly comment: string;
  /** Signature algorithm names this key can sign with, preferred first (rsa: ["rsa-sha2-512", "rsa-sha2-256"]; others: [type]). */
  readonly signatureAlgorithms: readonly string[];
  /**
   * The SSH signature blob (string algorithm name, string signature bytes) over data with
   * `algorithm` (one of signatureAlgorithms; any other rejects).
   */
  sign(data: Uint8Array, algorithm: string): Promise<Uint8Array>;
}

export type KeyFileParse =
  | { kind: "key"; key: NativePrivateKey }
  | { kind: "encrypted" } // an OpenSSH key with a cipher other than "none" (or an encrypted PEM)
  | { kind: "unsupported"; why: string }; // any format/type not handled here (caller falls back to another parser)

/** Key files larger than this are not read. */
const MAX_KEY_FILE_BYTES = 64 * 1024;
/** RSA moduli accepted for our own keys (OpenSSH's limits) and for host keys (at least 2048). */
const MIN_RSA_KEY_BITS = 1024;
const MIN_RSA_HOST_KEY_BITS = 2048;
const MAX_RSA_BITS = 16384;
/** Real public exponents are 65537 (or 3); more than 64 bits is refused. */
const MAX_RSA_EXPONENT_BYTES = 8;

const BEGIN_RSA_PEM = "-----BEGIN RSA PRIVATE KEY-----";
const END_RSA_PEM = "-----END RSA PRIVATE KEY-----";
/** PKCS#8's AlgorithmIdentifier for RSA keys: rsaEncryption (1.2.840.113549.1.1.1), NULL. */
const RSA_ALGORITHM_ID = new Uint8Array(
  "300d06092a864886f70d0101010500".match(/../g)!.map((h) => parseInt(h, 16)),
);
const BEGIN_OPENSSH = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END_OPENSSH = "-----END OPENSSH PRIVATE KEY-----";
const OPENSSH_MAGIC = new TextEncoder().encode("openssh-key-v1\0");
/** The "none" cipher's block size, which the private section is padded to. */
const OPENSSH_NONE_BLOCK = 8;
/** PKCS#8 PrivateKeyInfo of an Ed25519 key (RFC 8410) up to its 32-byte seed. */
const ED25519_PKCS8_PREFIX = new Uint8Array([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
]);
/** What a freshly parsed key signs, and verifies with its public key, before it is handed out. */
const SELF_TEST_DATA = new TextEncoder().encode("dtail native key self-test");

const ED25519 = "ssh-ed25519";
const RSA = "ssh-rsa";
const RSA_SHA2_512 = "rsa-sha2-512";
const RSA_SHA2_256 = "rsa-sha2-256";

interface Curve {
  /** The curve name inside the blob. */
  readonly ident: string;
  readonly namedCurve: "P-256" | "P-384" | "P-521";
  readonly hash: "SHA-256" | "SHA-384" | "SHA-512";
  /** Bytes of a coordinate, a scalar, r and s. */
  readonly size: number;
}

/** The ECDSA key types by name (a Map: a name like "toString" must not find anything). */
const CURVES: ReadonlyMap<string, Curve> = new Map<string, Curve>([
  ["ecdsa-sha2-nistp256", { ident: "nistp256", namedCurve: "P-256", hash: "SHA-256", size: 32 }],
  ["ecdsa-sha2-nistp384", { ident: "nistp384", namedCurve: "P-384", hash: "SHA-384", size: 48 }],
  ["ecdsa-sha2-nistp521", { ident: "nistp521", namedCurve: "P-521", hash: "SHA-512", size: 66 }],
]);

/** A public key blob taken apart. Byte fields are views into the blob. */
type PublicKey =
  | { readonly kind: "ed25519"; readonly pk: Uint8Array }
  | { readonly kind: "ecdsa"; readonly type: string; readonly curve: Curve; readonly q: Uint8Array }
  | { readonly kind: "rsa"; readonly e: Uint8Array; readonly n: Uint8Array };

/** Parses a private key file's bytes. Never throws for malformed input: returns unsupported with a reason. */
export async function parsePrivateKeyFile(bytes: Uint8Array): Promise<KeyFileParse> {
  try {
    return await parseKeyFile(bytes);
  } catch (e) {
    return unsupported(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Verifies an SSH signature blob (string algorithm, string sig) made by the host key `publicBlob`
 * (SSH wire format) over `data`. Accepts: ssh-ed25519; ecdsa-sha2-nistp256/384/521 (signature is
 * mpint r, mpint s inside the string; hash SHA-256/384/512 respectively); rsa-sha2-256 and
 * rsa-sha2-512 for an ssh-rsa public key (RSA keys under 2048 bits refused). Returns false (never
 * throws) for a wrong signature, a signature algorithm that does not fit the key type, ssh-rsa
 * (SHA-1) signatures, malformed blobs, trailing bytes.
 */
export async function verifySignature(
  publicBlob: Uint8Array,
  signatureBlob: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  try {
    return await verifyWith(publicBlob, signatureBlob, data, MIN_RSA_HOST_KEY_BITS);
  } catch {
    return false;
  }
}

/** The SSH key type name inside a public key blob ("" when malformed). */
export function keyTypeOfBlob(publicBlob: Uint8Array): string {
  try {
    const type = new BlobReader(publicBlob).text("key type");
    return /^[\x21-\x7e]+$/.test(type) ? type : "";
  } catch {
    return "";
  }
}

function unsupported(why: string): KeyFileParse {
  return { kind: "unsupported", why };
}

async function parseKeyFile(bytes: Uint8Array): Promise<KeyFileParse> {
  if (bytes.length > MAX_KEY_FILE_BYTES) {
    return unsupported(`key file is larger than ${MAX_KEY_FILE_BYTES} bytes`);
  }
  const text = new TextDecoder().decode(bytes).trim();
  if (
    text.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
    /^Proc-Type:[ \t]*4,[ \t]*ENCRYPTED/m.test(text)
  ) {
    return { kind: "encrypted" };
  }
  if (text.startsWith(BEGIN_RSA_PEM) && text.endsWith(END_RSA_PEM)) {
    return await fromArmor(text, BEGIN_RSA_PEM, END_RSA_PEM, "the PEM key", parsePemRsa);
  }
  if (!text.startsWith(BEGIN_OPENSSH) || !text.endsWith(END_OPENSSH)) {
    return unsupported("not an OpenSSH private key file");
  }
  return await fromArmor(
    text,
    BEGIN_OPENSSH,
    END_OPENSSH,
    "the OpenSSH key file",
    parseOpenSSHBody,
  );
}

/** Parses the base64 between `begin` and `end` of `text`, wiping the decoded bytes after. */
async function fromArmor(
  text: string,
  begin: string,
  end: string,
  what: string,
  parse: (bytes: Uint8Array) => Promise<KeyFileParse>,
): Promise<KeyFileParse> {
  const armored = text.slice(begin.length, text.length - end.length);
  const bytes = base64Decode(armored.replace(/[ \t\r\n]+/g, ""));
  if (bytes === undefined) return unsupported(`${what}'s base64 is malformed`);
  try {
    return await parse(bytes);
  } finally {
    bytes.fill(0);
  }
}

/** The decoded body of an OpenSSH private key file ("openssh-key-v1"). */
async function parseOpenSSHBody(body: Uint8Array): Promise<KeyFileParse> {
  const file = new BlobReader(body);
  if (!bytesEqual(file.bytes(OPENSSH_MAGIC.length, "magic"), OPENSSH_MAGIC)) {
    return unsupported("not an openssh-key-v1 key");
  }
  const cipher = file.text("cipher name");
  if (cipher !== "none") return { kind: "encrypted" };
  const kdf = file.text("kdf name");
  const kdfOptions = file.string("kdf options");
  if (kdf !== "none" || kdfOptions.length !== 0) {
    return unsupported(`unencrypted key with kdf ${JSON.stringify(kdf)}`);
  }
  const count = file.uint32("number of keys");
  if (count !== 1) return unsupported(`the key file holds ${count} keys, not 1`);
  const publicBlob = file.string("public key").slice();
  const privateSection = file.string("private section");
  file.end("the private section");
  if (privateSection.length % OPENSSH_NONE_BLOCK !== 0) {
    return unsupported("the private section is not padded to the block size");
  }

  const type = keyTypeOfBlob(publicBlob);
  if (!(type === ED25519 || type === RSA || CURVES.has(type))) {
    return unsupported(`key type ${JSON.stringify(type)} is not supported`);
  }
  const publicKey = parsePublicBlob(publicBlob);
  const priv = new BlobReader(privateSection);
  const check1 = priv.uint32("check");
  const check2 = priv.uint32("check");
  if (check1 !== check2) return unsupported("the private section's check numbers differ");
  const privateType = priv.text("private key type");
  if (privateType !== type) {
    return unsupported(`the private key is ${privateType}, its public key ${type}`);
  }
  const signer = await readSigner(publicKey, priv);
  if (typeof signer === "string") return unsupported(signer);
  const comment = new TextDecoder().decode(priv.string("comment"));
  const padding = priv.rest();
  for (let i = 0; i < padding.length; i++) {
    if (padding[i] !== i + 1) return unsupported("the private section's padding is malformed");
  }

  return await finishKey(type, publicBlob, comment, signer);
}

/** The key of a signer whose public key is `publicBlob`, once it signs what that key verifies. */
async function finishKey(
  type: string,
  publicBlob: Uint8Array,
  comment: string,
  signer: Signer,
): Promise<KeyFileParse> {
  const algorithms = Object.freeze(type === RSA ? [RSA_SHA2_512, RSA_SHA2_256] : [type]);
  const key: NativePrivateKey = {
    type,
    publicBlob,
    comment,
    signatureAlgorithms: algorithms,
    async sign(data: Uint8Array, algorithm: string): Promise<Uint8Array> {
      if (!algorithms.includes(algorithm)) {
        throw new Error(`a ${type} key does not sign with ${algorithm}`);
      }
      return concatBytes(
        sshText(algorithm),
        sshString(await signer(new Uint8Array(data), algorithm)),
      );
    },
  };
  const probe = await key.sign(SELF_TEST_DATA, algorithms[0]!);
  if (!(await verifyWith(publicBlob, probe, SELF_TEST_DATA, MIN_RSA_KEY_BITS))) {
    return unsupported("the private key does not match its public key");
  }
  return { kind: "key", key };
}

/** Signs data and returns the signature string's content (for ECDSA: mpint r, mpint s). */
type Signer = (data: Uint8Array<ArrayBuffer>, algorithm: string) => Promise<Uint8Array>;

/** Reads the key type-specific private fields and imports them; a string says why not. */
function readSigner(publicKey: PublicKey, priv: BlobReader): Promise<Signer | string> {
  switch (publicKey.kind) {
    case "ed25519":
      return readEd25519(publicKey.pk, priv);
    case "ecdsa":
      return readEcdsa(publicKey.curve, publicKey.q, priv);
    case "rsa":
      return readRsa(publicKey, priv);
  }
}

async function readEd25519(publicPk: Uint8Array, priv: BlobReader): Promise<Signer | string> {
  const pk = priv.string("ed25519 public key");
  const sk = priv.string("ed25519 private key");
  if (pk.length !== 32 || sk.length !== 64) return "ed25519 key fields have the wrong length";
  if (!bytesEqual(pk, publicPk) || !bytesEqual(sk.subarray(32), pk)) {
    return "the ed25519 private key does not hold its public key";
  }
  const pkcs8 = concatBytes(ED25519_PKCS8_PREFIX, sk.subarray(0, 32));
  try {
    const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
    return async (data) => new Uint8Array(await crypto.subtle.sign("Ed25519", key, data));
  } finally {
    pkcs8.fill(0);
  }
}

async function readEcdsa(
  curve: Curve,
  publicQ: Uint8Array,
  priv: BlobReader,
): Promise<Signer | string> {
  const ident = priv.text("curve name");
  const q = priv.string("ecdsa public point");
  const d = priv.mpint("ecdsa private scalar");
  if (ident !== curve.ident) return `the ecdsa key's curve is ${ident}, not ${curve.ident}`;
  if (!bytesEqual(q, publicQ)) return "the ecdsa private key does not hold its public key";
  const dPadded = padStart(d, curve.size);
  if (dPadded === undefined || d.length === 0) return "the ecdsa private scalar is out of range";
  const jwk: JsonWebKey = {
    kty: "EC",
    crv: curve.namedCurve,
    x: base64url(q.subarray(1, 1 + curve.size)),
    y: base64url(q.subarray(1 + curve.size)),
    d: base64url(dPadded),
  };
  dPadded.fill(0);
  const params = { name: "ECDSA", namedCurve: curve.namedCurve };
  const key = await crypto.subtle.importKey("jwk", jwk, params, false, ["sign"]);
  return async (data) => {
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash: curve.hash }, key, data),
    );
    if (raw.length !== 2 * curve.size) {
      throw new Error("WebCrypto gave an ECDSA signature of odd size");
    }
    return concatBytes(sshMpint(raw.subarray(0, curve.size)), sshMpint(raw.subarray(curve.size)));
  };
}

async function readRsa(
  publicKey: { readonly e: Uint8Array; readonly n: Uint8Array },
  priv: BlobReader,
): Promise<Signer | string> {
  const n = priv.mpint("rsa modulus");
  const e = priv.mpint("rsa public exponent");
  const d = priv.mpint("rsa private exponent");
  const iqmp = priv.mpint("rsa iqmp");
  const p = priv.mpint("rsa prime p");
  const q = priv.mpint("rsa prime q");
  if (!bytesEqual(n, publicKey.n) || !bytesEqual(e, publicKey.e)) {
    return "the rsa private key does not hold its public key";
  }
  const bits = bitLength(n);
  if (bits < MIN_RSA_KEY_BITS || bits > MAX_RSA_BITS) return `an rsa key of ${bits} bits`;
  const [N, D, P, Q, IQMP] = [n, d, p, q, iqmp].map(bigintOf) as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  if (P <= 1n || Q <= 1n || P * Q !== N || D <= 0n || D >= N || (IQMP * Q) % P !== 1n) {
    return "the rsa private key's numbers do not fit together";
  }
  const jwk: JsonWebKey = {
    kty: "RSA",
    n: base64url(n),
    e: base64url(e),
    d: base64url(d),
    p: base64url(p),
    q: base64url(q),
    dp: base64url(bytesOf(D % (P - 1n))),
    dq: base64url(bytesOf(D % (Q - 1n))),
    qi: base64url(iqmp),
  };
  return await rsaSigner(jwk);
}

/** Signs with both RSA signature algorithms (WebCrypto binds a key to one hash). */
async function rsaSigner(jwk: JsonWebKey): Promise<Signer> {
  const importFor = (hash: string) =>
    crypto.subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash }, false, ["sign"]);
  const keys: Record<string, CryptoKey> = {
    [RSA_SHA2_512]: await importFor("SHA-512"),
    [RSA_SHA2_256]: await importFor("SHA-256"),
  };
  return async (data, algorithm) => {
    const key = keys[algorithm];
    if (key === undefined) throw new Error(`an rsa key does not sign with ${algorithm}`);
    return new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, data));
  };
}

/**
 * An RSA key in PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`, what `ssh-keygen -m PEM` and OpenSSH
 * before 7.8 write): wrapped into PKCS#8 for WebCrypto, which checks its structure, then read
 * back as a JWK for its public numbers and the signers of both hashes.
 */
async function parsePemRsa(pkcs1: Uint8Array): Promise<KeyFileParse> {
  const pkcs8 = derTag(
    0x30,
    concatBytes(Uint8Array.of(0x02, 0x01, 0x00), RSA_ALGORITHM_ID, derTag(0x04, pkcs1)),
  );
  let jwk: JsonWebKey;
  try {
    const imported = await crypto.subtle.importKey(
      "pkcs8",
      pkcs8,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" },
      true,
      ["sign"],
    );
    jwk = await crypto.subtle.exportKey("jwk", imported);
  } catch {
    return unsupported("the PEM RSA key is malformed");
  } finally {
    pkcs8.fill(0);
  }
  const n = base64urlDecode(jwk.n), e = base64urlDecode(jwk.e);
  if (n === undefined || e === undefined) return unsupported("the PEM RSA key is malformed");
  const bits = bitLength(n);
  if (bits < MIN_RSA_KEY_BITS || bits > MAX_RSA_BITS) {
    return unsupported(`an rsa key of ${bits} bits`);
  }
  // Imported again for each hash: the exported JWK names the one it was imported with.
  const { alg: _alg, key_ops: _ops, ...numbers } = jwk;
  const signer = await rsaSigner(numbers);
  return await finishKey(RSA, concatBytes(sshText(RSA), sshMpint(e), sshMpint(n)), "", signer);
}

/** DER: a tag, its length (short or long form), the content. */
function derTag(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = content.length;
  const length = n < 0x80
    ? [n]
    : n < 0x100
    ? [0x81, n]
    : n < 0x10000
    ? [0x82, n >> 8, n & 0xff]
    : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concatBytes(Uint8Array.of(tag, ...length), content);
}

function base64urlDecode(text: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  return base64Decode(standard + "=".repeat((4 - (standard.length % 4)) % 4));
}

/** Takes a public key blob of a supported type apart; throws BlobError when malformed. */
function parsePublicBlob(blob: Uint8Array): PublicKey {
  const r = new BlobReader(blob);
  const type = r.text("key type");
  const curve = CURVES.get(type);
  let key: PublicKey;
  if (type === ED25519) {
    const pk = r.string("ed25519 public key");
    if (pk.length !== 32) throw new BlobError("an ed25519 public key is 32 bytes");
    key = { kind: "ed25519", pk };
  } else if (curve !== undefined) {
    if (r.text("curve name") !== curve.ident) throw new BlobError(`${type} names another curve`);
    const q = r.string("ecdsa public point");
    if (q.length !== 1 + 2 * curve.size || q[0] !== 0x04) {
      throw new BlobError("the ecdsa public point is not an uncompressed point of its curve");
    }
    key = { kind: "ecdsa", type, curve, q };
  } else if (type === RSA) {
    const e = r.mpint("rsa public exponent");
    const n = r.mpint("rsa modulus");
    if (e.length > MAX_RSA_EXPONENT_BYTES || (e[e.length - 1]! & 1) === 0 || bigintOf(e) < 3n) {
      throw new BlobError("the rsa public exponent is not an odd number from 3 up to 64 bits");
    }
    key = { kind: "rsa", e, n };
  } else {
    throw new BlobError(`key type ${JSON.stringify(type)} is not supported`);
  }
  r.end("the public key");
  return key;
}

async function verifyWith(
  publicBlob: Uint8Array,
  signatureBlob: Uint8Array,
  data: Uint8Array,
  minRsaBits: number,
): Promise<boolean> {
  const key = parsePublicBlob(publicBlob);
  const s = new BlobReader(signatureBlob);
  const algorithm = s.text("signature algorithm");
  const sig = s.string("signature");
  s.end("the signature");
  const message = new Uint8Array(data);
  switch (key.kind) {
    case "ed25519":
      return algorithm === ED25519 && await verifyEd25519(key.pk, sig, message);
    case "ecdsa":
      return algorithm === key.type && await verifyEcdsa(key.curve, key.q, sig, message);
    case "rsa":
      return await verifyRsa(key, algorithm, sig, message, minRsaBits);
  }
}

async function verifyEd25519(
  pk: Uint8Array,
  sig: Uint8Array,
  message: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  if (sig.length !== 64) return false;
  const key = await crypto.subtle.importKey("raw", pk.slice(), "Ed25519", false, ["verify"]);
  return await crypto.subtle.verify("Ed25519", key, sig.slice(), message);
}

/** `sig` holds mpint r, mpint s; WebCrypto wants them as r||s of the curve's size each. */
async function verifyEcdsa(
  curve: Curve,
  q: Uint8Array,
  sig: Uint8Array,
  message: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  const inner = new BlobReader(sig);
  const r = padStart(inner.mpint("ecdsa r"), curve.size);
  const s = padStart(inner.mpint("ecdsa s"), curve.size);
  inner.end("ecdsa r and s");
  if (r === undefined || s === undefined) return false;
  const params = { name: "ECDSA", namedCurve: curve.namedCurve };
  const key = await crypto.subtle.importKey("raw", q.slice(), params, false, ["verify"]);
  const raw = concatBytes(r, s);
  return await crypto.subtle.verify({ name: "ECDSA", hash: curve.hash }, key, raw, message);
}

async function verifyRsa(
  publicKey: { readonly e: Uint8Array; readonly n: Uint8Array },
  algorithm: string,
  sig: Uint8Array,
  message: Uint8Array<ArrayBuffer>,
  minBits: number,
): Promise<boolean> {
  const hash = algorithm === RSA_SHA2_512
    ? "SHA-512"
    : algorithm === RSA_SHA2_256
    ? "SHA-256"
    : undefined;
  const bits = bitLength(publicKey.n);
  if (hash === undefined || bits < minBits || bits > MAX_RSA_BITS) return false;
  // OpenSSH accepts signatures shorter than the modulus (leading zeros left out); WebCrypto does not.
  const modulusBytes = Math.ceil(bits / 8);
  if (sig.length > modulusBytes) return false;
  const padded = padStart(sig, modulusBytes)!;
  const jwk: JsonWebKey = { kty: "RSA", n: base64url(publicKey.n), e: base64url(publicKey.e) };
  const params = { name: "RSASSA-PKCS1-v1_5", hash };
  const key = await crypto.subtle.importKey("jwk", jwk, params, false, ["verify"]);
  return await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, padded, message);
}
