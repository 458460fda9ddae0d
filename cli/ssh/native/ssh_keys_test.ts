/**
 * Tests of the native client's SSH keys against real `ssh-keygen` key files, with ssh2 (node
 * crypto) as the independent signer and verifier.
 */
import { concatBytes } from "../../../core/bytes.ts";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import nodeCrypto from "node:crypto";
import { parseKey } from "../ssh2_client.ts";
import {
  type KeyFileParse,
  keyTypeOfBlob,
  type NativePrivateKey,
  parsePrivateKeyFile,
  verifySignature,
} from "./ssh_keys.ts";

// ---------------------------------------------------------------------------------------------
// Key generation

interface KeyCase {
  label: string;
  type: string;
  keygenArgs: string[];
  algorithms: string[];
}

const CASES: KeyCase[] = [
  {
    label: "ed25519",
    type: "ssh-ed25519",
    keygenArgs: ["-t", "ed25519"],
    algorithms: ["ssh-ed25519"],
  },
  {
    label: "ECDSA P-256",
    type: "ecdsa-sha2-nistp256",
    keygenArgs: ["-t", "ecdsa", "-b", "256"],
    algorithms: ["ecdsa-sha2-nistp256"],
  },
  {
    label: "ECDSA P-384",
    type: "ecdsa-sha2-nistp384",
    keygenArgs: ["-t", "ecdsa", "-b", "384"],
    algorithms: ["ecdsa-sha2-nistp384"],
  },
  {
    label: "ECDSA P-521",
    type: "ecdsa-sha2-nistp521",
    keygenArgs: ["-t", "ecdsa", "-b", "521"],
    algorithms: ["ecdsa-sha2-nistp521"],
  },
  {
    label: "RSA",
    type: "ssh-rsa",
    keygenArgs: ["-t", "rsa", "-b", "2048"],
    algorithms: ["rsa-sha2-512", "rsa-sha2-256"],
  },
];

const caseOf = (label: string): KeyCase => CASES.find((c) => c.label === label)!;

interface KeyFile {
  path: string;
  /** The private key file's bytes. */
  file: Uint8Array;
  /** The `type base64` part of the .pub file. */
  publicLine: string;
  blob: Uint8Array;
  comment: string;
}

async function sshKeygen(args: string[]): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("ssh-keygen", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        "ssh-keygen is not installed: these tests need OpenSSH (tools/ensure_system_tools.sh)",
      );
    }
    throw e;
  }
  if (!out.success) {
    throw new Error(`ssh-keygen ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** `ssh-keygen keygenArgs -N passphrase -C name-comment -f dir/name`, then reads both files. */
async function generate(
  dir: string,
  name: string,
  keygenArgs: string[],
  passphrase = "",
): Promise<KeyFile> {
  const path = `${dir}/${name}`;
  const comment = `${name} comment`;
  await sshKeygen(["-q", ...keygenArgs, "-N", passphrase, "-C", comment, "-f", path]);
  const [type, base64] = (await Deno.readTextFile(`${path}.pub`)).trim().split(" ");
  return {
    path,
    file: await Deno.readFile(path),
    publicLine: `${type} ${base64}`,
    blob: new Uint8Array(Buffer.from(base64!, "base64")),
    comment,
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dtail_ssh_keys_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function parsedKey(bytes: Uint8Array): Promise<NativePrivateKey> {
  const parsed = await parsePrivateKeyFile(bytes);
  if (parsed.kind !== "key") throw new Error(`expected a key, got ${JSON.stringify(parsed)}`);
  return parsed.key;
}

function assertUnsupported(parsed: KeyFileParse, message: string): void {
  assert.equal(parsed.kind, "unsupported", `${message}: ${JSON.stringify(parsed)}`);
  if (parsed.kind === "unsupported") assert.ok(parsed.why.length > 0, message);
}

// ---------------------------------------------------------------------------------------------
// SSH wire and DER helpers, independent of the code under test

const text = (s: string) => new TextEncoder().encode(s);

const concat = concatBytes;

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

const str = (bytes: Uint8Array | string) => {
  const b = typeof bytes === "string" ? text(bytes) : bytes;
  return concat(u32(b.length), b);
};

/** Splits `bytes` into its leading SSH strings (`count` of them) and the rest. */
function readStrings(
  bytes: Uint8Array,
  count: number,
): { strings: Uint8Array[]; rest: Uint8Array } {
  const strings: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const n = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
    assert.ok(at + 4 + n <= bytes.length, "a string runs past its blob");
    strings.push(bytes.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return { strings, rest: bytes.subarray(at) };
}

/** The (algorithm, raw signature) of an SSH signature blob. */
function splitSignature(blob: Uint8Array): { algorithm: string; raw: Uint8Array } {
  const { strings: [algorithm, raw], rest } = readStrings(blob, 2);
  assert.equal(rest.length, 0);
  return { algorithm: new TextDecoder().decode(algorithm), raw: raw! };
}

const signatureBlob = (algorithm: string, raw: Uint8Array) => concat(str(algorithm), str(raw));

function derLength(n: number): Uint8Array {
  return n < 0x80 ? new Uint8Array([n]) : new Uint8Array([0x81, n]);
}

/** SSH's (mpint r, mpint s) as DER SEQUENCE { INTEGER r, INTEGER s } (node crypto's default). */
function sshEcdsaToDer(inner: Uint8Array): Uint8Array {
  const { strings: [r, s], rest } = readStrings(inner, 2);
  assert.equal(rest.length, 0);
  const int = (m: Uint8Array) => {
    const body = m.length === 0 ? new Uint8Array([0]) : m;
    return concat(new Uint8Array([0x02]), derLength(body.length), body);
  };
  const seq = concat(int(r!), int(s!));
  return concat(new Uint8Array([0x30]), derLength(seq.length), seq);
}

/** DER SEQUENCE { INTEGER r, INTEGER s } as SSH's (mpint r, mpint s). */
function derToSshEcdsa(der: Uint8Array): Uint8Array {
  let at = 0;
  const len = () => {
    const first = der[at++]!;
    if (first < 0x80) return first;
    assert.equal(first, 0x81);
    return der[at++]!;
  };
  assert.equal(der[at++], 0x30);
  assert.equal(len(), der.length - at);
  const ints: Uint8Array[] = [];
  for (let i = 0; i < 2; i++) {
    assert.equal(der[at++], 0x02);
    const n = len();
    ints.push(der.subarray(at, at + n));
    at += n;
  }
  // DER INTEGERs of positive numbers are already minimal two's complement, like mpints.
  return concat(str(ints[0]!), str(ints[1]!));
}

/** Asserts that an SSH mpint body has no needless leading zero and is not negative. */
function assertMinimalMpint(m: Uint8Array, what: string): void {
  if (m.length === 0) return;
  assert.ok((m[0]! & 0x80) === 0, `${what} is negative`);
  if (m[0] === 0) assert.ok(m.length > 1 && (m[1]! & 0x80) !== 0, `${what} has a needless zero`);
}

/** ssh2 (node crypto) hash names for an SSH signature algorithm. */
function ssh2Hash(algorithm: string): string | undefined {
  return {
    "ssh-ed25519": undefined,
    "ecdsa-sha2-nistp256": "sha256",
    "ecdsa-sha2-nistp384": "sha384",
    "ecdsa-sha2-nistp521": "sha512",
    "rsa-sha2-256": "sha256",
    "rsa-sha2-512": "sha512",
    "ssh-rsa": "sha1",
  }[algorithm];
}

function ssh2Key(data: Uint8Array | string) {
  const key = parseKey(typeof data === "string" ? data : Buffer.from(data));
  if (key instanceof Error) throw key;
  return key;
}

/**
 * A signature over `data` made outside the code under test, as an SSH signature blob: by ssh2
 * for ed25519 and rsa; by node:crypto from a PEM copy (`ssh-keygen -p -m PEM`) for ECDSA, because
 * ssh2 turns an OpenSSH ECDSA key into a SEC1 key holding d's mpint bytes (with their sign byte),
 * which Deno's node:crypto refuses for most keys ("invalid SEC1 private key"), and ssh2's PEM path
 * needs createECDH, which has no P-521 in Deno.
 */
async function externalSign(
  file: KeyFile,
  dir: string,
  algorithm: string,
  data: Uint8Array,
): Promise<Uint8Array> {
  if (!algorithm.startsWith("ecdsa-")) return ssh2Sign(file.file, algorithm, data);
  const copy = `${dir}/pem_copy`;
  await Deno.writeFile(copy, file.file, { mode: 0o600 });
  await sshKeygen(["-q", "-p", "-m", "PEM", "-P", "", "-N", "", "-f", copy]);
  const pem = await Deno.readTextFile(copy);
  await Deno.remove(copy);
  const der = nodeCrypto.sign(ssh2Hash(algorithm)!, data, nodeCrypto.createPrivateKey(pem));
  return signatureBlob(algorithm, derToSshEcdsa(new Uint8Array(der)));
}

/** ssh2's signature over `data` with `algorithm`, as an SSH signature blob. */
function ssh2Sign(file: Uint8Array, algorithm: string, data: Uint8Array): Uint8Array {
  const raw = ssh2Key(file).sign(Buffer.from(data), ssh2Hash(algorithm));
  if (raw instanceof Error) throw raw;
  const sig = algorithm.startsWith("ecdsa-") ? derToSshEcdsa(new Uint8Array(raw)) : raw;
  return signatureBlob(algorithm, new Uint8Array(sig));
}

/** Whether ssh2 accepts the SSH signature blob over `data` by the public key `publicLine`. */
function ssh2Verifies(publicLine: string, blob: Uint8Array, data: Uint8Array): boolean {
  const { algorithm, raw } = splitSignature(blob);
  const sig = algorithm.startsWith("ecdsa-") ? sshEcdsaToDer(raw) : raw;
  return ssh2Key(publicLine).verify(Buffer.from(data), Buffer.from(sig), ssh2Hash(algorithm)) ===
    true;
}

// ---------------------------------------------------------------------------------------------
// OpenSSH key files taken apart and put together again

const BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC = text("openssh-key-v1\0");

function bodyOf(file: Uint8Array): Uint8Array {
  const armored = new TextDecoder().decode(file).trim();
  assert.ok(armored.startsWith(BEGIN) && armored.endsWith(END));
  const base64 = armored.slice(BEGIN.length, -END.length).replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(base64, "base64"));
}

function armor(body: Uint8Array): Uint8Array {
  const lines = Buffer.from(body).toString("base64").match(/.{1,70}/g) ?? [];
  return text(`${BEGIN}\n${lines.join("\n")}\n${END}\n`);
}

interface Body {
  cipher: string;
  kdf: string;
  kdfOptions: Uint8Array;
  publicBlobs: Uint8Array[];
  privateSection: Uint8Array;
}

function splitBody(body: Uint8Array): Body {
  assert.deepEqual(body.subarray(0, MAGIC.length), MAGIC);
  const head = readStrings(body.subarray(MAGIC.length), 3);
  const [cipher, kdf, kdfOptions] = head.strings;
  const count = new DataView(head.rest.buffer, head.rest.byteOffset).getUint32(0);
  const keys = readStrings(head.rest.subarray(4), count + 1);
  assert.equal(keys.rest.length, 0);
  return {
    cipher: new TextDecoder().decode(cipher),
    kdf: new TextDecoder().decode(kdf),
    kdfOptions: kdfOptions!,
    publicBlobs: keys.strings.slice(0, count),
    privateSection: keys.strings[count]!,
  };
}

function joinBody(b: Body, trailing = new Uint8Array(0)): Uint8Array {
  return concat(
    MAGIC,
    str(b.cipher),
    str(b.kdf),
    str(b.kdfOptions),
    u32(b.publicBlobs.length),
    ...b.publicBlobs.map(str),
    str(b.privateSection),
    trailing,
  );
}

/** The private section's check numbers, its key fields (`fields` strings) and its comment. */
function splitPrivate(section: Uint8Array, fields: number) {
  const checks = section.subarray(0, 8);
  const { strings, rest } = readStrings(section.subarray(8), fields + 2);
  return {
    checks,
    type: strings[0]!,
    fields: strings.slice(1, -1),
    comment: strings.at(-1)!,
    rest,
  };
}

function joinPrivate(
  checks: Uint8Array,
  type: Uint8Array,
  fields: Uint8Array[],
  comment: Uint8Array,
): Uint8Array {
  const unpadded = concat(checks, str(type), ...fields.map(str), str(comment));
  const pad = new Uint8Array((8 - (unpadded.length % 8)) % 8).map((_, i) => i + 1);
  return concat(unpadded, pad);
}

const DATA = text("the exchange hash of a session");

// ---------------------------------------------------------------------------------------------
// Parsing and signing, each key type

for (const c of CASES) {
  Deno.test(`an ${c.label} key file gives the .pub file's blob, its comment and its algorithms`, async () => {
    await withTempDir(async (dir) => {
      const file = await generate(dir, "id", c.keygenArgs);
      const key = await parsedKey(file.file);
      assert.equal(key.type, c.type);
      assert.deepEqual(key.publicBlob, file.blob);
      assert.equal(key.comment, file.comment);
      assert.deepEqual([...key.signatureAlgorithms], c.algorithms);
      assert.equal(keyTypeOfBlob(key.publicBlob), c.type);
      // CRLF line ends (a file edited on Windows) and surrounding blank lines change nothing.
      const crlf = `\r\n${new TextDecoder().decode(file.file).replace(/\n/g, "\r\n")}\r\n`;
      assert.deepEqual((await parsedKey(text(crlf))).publicBlob, file.blob);
    });
  });

  Deno.test(`an ${c.label} key file signs what ssh2 verifies`, async () => {
    await withTempDir(async (dir) => {
      const file = await generate(dir, "id", c.keygenArgs);
      const key = await parsedKey(file.file);
      for (const algorithm of c.algorithms) {
        const blob = await key.sign(DATA, algorithm);
        const { algorithm: named, raw } = splitSignature(blob);
        assert.equal(named, algorithm);
        if (c.type === "ssh-ed25519") assert.equal(raw.length, 64);
        if (c.type === "ssh-rsa") assert.equal(raw.length, 256);
        assert.ok(ssh2Verifies(file.publicLine, blob, DATA), `ssh2 refused ${algorithm}`);
        assert.ok(!ssh2Verifies(file.publicLine, blob, text("other data")));
        assert.ok(await verifySignature(key.publicBlob, blob, DATA));
      }
      await assert.rejects(key.sign(DATA, "ssh-rsa"));
      await assert.rejects(key.sign(DATA, c.type === "ssh-ed25519" ? "ssh-rsa" : "ssh-ed25519"));
    });
  });

  Deno.test(`verifySignature accepts an ${c.label} signature made by ssh2 or node crypto`, async () => {
    await withTempDir(async (dir) => {
      const file = await generate(dir, "id", c.keygenArgs);
      for (const algorithm of c.algorithms) {
        const blob = await externalSign(file, dir, algorithm, DATA);
        assert.ok(await verifySignature(file.blob, blob, DATA), `${algorithm} refused`);
        assert.ok(!(await verifySignature(file.blob, blob, text("other data"))));
      }
    });
  });

  Deno.test(
    `verifySignature refuses an ${c.label} signature over other data, altered, by another key or misnamed`,
    async () => {
      await withTempDir(async (dir) => {
        const file = await generate(dir, "id", c.keygenArgs);
        const other = await generate(dir, "other", c.keygenArgs);
        const key = await parsedKey(file.file);
        const otherKey = await parsedKey(other.file);
        const blob = await key.sign(DATA, c.algorithms[0]!);
        const { algorithm, raw } = splitSignature(blob);
        assert.ok(await verifySignature(file.blob, blob, DATA));

        assert.ok(
          !(await verifySignature(file.blob, blob, text("the exchange hash of a sessioN"))),
        );
        assert.ok(!(await verifySignature(file.blob, blob, new Uint8Array(0))));
        // A changed byte of the signature, wherever it is.
        for (const at of [0, 1, Math.floor(raw.length / 2), raw.length - 1]) {
          const altered = raw.slice();
          altered[at]! ^= 0x01;
          assert.ok(!(await verifySignature(file.blob, signatureBlob(algorithm, altered), DATA)));
        }
        // Another key's signature, and this signature checked against another key.
        const otherBlob = await otherKey.sign(DATA, c.algorithms[0]!);
        assert.ok(!(await verifySignature(file.blob, otherBlob, DATA)));
        assert.ok(!(await verifySignature(other.blob, blob, DATA)));
        // Names that do not fit the key.
        const misnamed = [
          "ssh-rsa",
          "ssh-ed25519",
          "ecdsa-sha2-nistp256",
          "ecdsa-sha2-nistp384",
          "ecdsa-sha2-nistp521",
          "rsa-sha2-256",
          "rsa-sha2-512",
          "",
        ].filter((name) => !c.algorithms.includes(name));
        for (const name of misnamed) {
          assert.ok(!(await verifySignature(file.blob, signatureBlob(name, raw), DATA)), name);
        }
        // Trailing bytes after the signature, the ECDSA (r, s) or the public key.
        assert.ok(!(await verifySignature(file.blob, concat(blob, new Uint8Array(1)), DATA)));
        assert.ok(!(await verifySignature(concat(file.blob, new Uint8Array(1)), blob, DATA)));
        if (c.type.startsWith("ecdsa-")) {
          const padded = signatureBlob(algorithm, concat(raw, new Uint8Array(1)));
          assert.ok(!(await verifySignature(file.blob, padded, DATA)));
        }
        // Every truncation of the signature blob and of the public key.
        for (let n = 0; n < blob.length; n++) {
          assert.ok(!(await verifySignature(file.blob, blob.subarray(0, n), DATA)), `sig[:${n}]`);
        }
        for (let n = 0; n < file.blob.length; n++) {
          assert.ok(!(await verifySignature(file.blob.subarray(0, n), blob, DATA)), `key[:${n}]`);
        }
      });
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Signature details

Deno.test("ECDSA signatures carry r and s as minimal mpints that ssh2 accepts", async () => {
  await withTempDir(async (dir) => {
    for (const label of ["ECDSA P-256", "ECDSA P-521"]) {
      const c = caseOf(label);
      const file = await generate(dir, label.replace(/ /g, "_"), c.keygenArgs);
      const key = await parsedKey(file.file);
      let shortR = 0;
      for (let i = 0; i < 64; i++) {
        const data = text(`message ${i}`);
        const blob = await key.sign(data, c.type);
        const { strings: [r, s], rest } = readStrings(splitSignature(blob).raw, 2);
        assert.equal(rest.length, 0);
        assertMinimalMpint(r!, "r");
        assertMinimalMpint(s!, "s");
        // P-521's 66-byte r has a zero first byte about half the time: it must be left out.
        if (label === "ECDSA P-521" && r!.length < 66) shortR++;
        assert.ok(ssh2Verifies(file.publicLine, blob, data));
      }
      if (label === "ECDSA P-521") assert.ok(shortR > 0, "no P-521 r below 66 bytes in 64 tries");
    }
  });
});

Deno.test("an RSA signature shorter than the modulus (leading zeros left out) verifies", async () => {
  await withTempDir(async (dir) => {
    const file = await generate(dir, "id", caseOf("RSA").keygenArgs);
    for (let i = 0; i < 5000; i++) {
      const data = text(`message ${i}`);
      const { raw } = splitSignature(ssh2Sign(file.file, "rsa-sha2-256", data));
      if (raw[0] !== 0) continue;
      const short = raw.subarray(1);
      assert.ok(await verifySignature(file.blob, signatureBlob("rsa-sha2-256", short), data));
      const long = concat(new Uint8Array([0]), raw);
      assert.ok(!(await verifySignature(file.blob, signatureBlob("rsa-sha2-256", long), data)));
      return;
    }
    assert.fail("no RSA signature with a leading zero byte in 5000 tries");
  });
});

Deno.test("verifySignature refuses ssh-rsa (SHA-1) signatures and RSA host keys under 2048 bits", async () => {
  await withTempDir(async (dir) => {
    const rsa = await generate(dir, "rsa", caseOf("RSA").keygenArgs);
    const sha1 = ssh2Sign(rsa.file, "ssh-rsa", DATA);
    assert.ok(ssh2Verifies(rsa.publicLine, sha1, DATA), "ssh2's own SHA-1 signature");
    assert.ok(!(await verifySignature(rsa.blob, sha1, DATA)));

    const small = await generate(dir, "small", ["-t", "rsa", "-b", "1024"]);
    const sha256 = ssh2Sign(small.file, "rsa-sha2-256", DATA);
    assert.ok(ssh2Verifies(small.publicLine, sha256, DATA));
    assert.ok(!(await verifySignature(small.blob, sha256, DATA)));
    // Our own 1024-bit key still signs (OpenSSH's minimum); only host keys need 2048 bits.
    const key = await parsedKey(small.file);
    assert.ok(ssh2Verifies(small.publicLine, await key.sign(DATA, "rsa-sha2-512"), DATA));
  });
});

// ---------------------------------------------------------------------------------------------
// Encrypted, unsupported and malformed files

Deno.test("encrypted key files are reported as encrypted", async () => {
  await withTempDir(async (dir) => {
    const variants = [
      { name: "openssh_ed25519", args: ["-t", "ed25519"] },
      { name: "openssh_rsa", args: ["-t", "rsa", "-b", "2048"] },
      { name: "pem_rsa", args: ["-t", "rsa", "-b", "2048", "-m", "PEM"] },
      { name: "pem_ecdsa", args: ["-t", "ecdsa", "-m", "PEM"] },
      { name: "pkcs8_ecdsa", args: ["-t", "ecdsa", "-m", "PKCS8"] },
    ];
    for (const v of variants) {
      const file = await generate(dir, v.name, v.args, "secret");
      assert.deepEqual(await parsePrivateKeyFile(file.file), { kind: "encrypted" }, v.name);
    }
  });
});

Deno.test("a PEM RSA key file (PKCS#1) is the key of its OpenSSH form and signs what ssh2 verifies", async () => {
  await withTempDir(async (dir) => {
    const openssh = await generate(dir, "rsa", ["-t", "rsa", "-b", "2048"]);
    const copy = `${dir}/rsa_pem`;
    await Deno.copyFile(`${dir}/rsa`, copy);
    await sshKeygen(["-q", "-p", "-m", "PEM", "-P", "", "-N", "", "-f", copy]);
    const pem = await Deno.readFile(copy);
    assert.ok(new TextDecoder().decode(pem).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    const key = await parsedKey(pem);
    assert.deepEqual(key.publicBlob, openssh.blob);
    assert.deepEqual([...key.signatureAlgorithms], ["rsa-sha2-512", "rsa-sha2-256"]);
    const data = text("signed by the PEM key");
    for (const algorithm of key.signatureAlgorithms) {
      const blob = await key.sign(data, algorithm);
      assert.equal(splitSignature(blob).algorithm, algorithm);
      assert.ok(await verifySignature(openssh.blob, blob, data), algorithm);
      assert.ok(ssh2Verifies(openssh.publicLine, blob, data), `ssh2: ${algorithm}`);
    }
    // Not a key: a PKCS#1 body that is no RSA key at all.
    const junk = "-----BEGIN RSA PRIVATE KEY-----\nMAMCAQA=\n-----END RSA PRIVATE KEY-----\n";
    assertUnsupported(await parsePrivateKeyFile(text(junk)), "junk PKCS#1");
  });
});

Deno.test("PEM ECDSA, PKCS#8, DSA, public and junk files are unsupported", async () => {
  await withTempDir(async (dir) => {
    const variants = [
      { name: "pem_ecdsa", args: ["-t", "ecdsa", "-m", "PEM"], begin: "EC PRIVATE" },
      { name: "pkcs8_rsa", args: ["-t", "rsa", "-b", "2048", "-m", "PKCS8"], begin: "PRIVATE" },
      { name: "dsa", args: ["-t", "dsa"], begin: "OPENSSH PRIVATE" },
    ];
    for (const v of variants) {
      const file = await generate(dir, v.name, v.args);
      assert.ok(new TextDecoder().decode(file.file).startsWith(`-----BEGIN ${v.begin} KEY-----`));
      assertUnsupported(await parsePrivateKeyFile(file.file), v.name);
      assertUnsupported(await parsePrivateKeyFile(text(`${file.publicLine} c\n`)), `${v.name}.pub`);
    }
    const ed25519 = await generate(dir, "ed25519", ["-t", "ed25519"]);
    const armored = new TextDecoder().decode(ed25519.file);
    const junk: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["zeros", new Uint8Array(1000)],
      ["random", crypto.getRandomValues(new Uint8Array(4096))],
      ["no end line", text(armored.replace(END, ""))],
      ["text before", text(`hello\n${armored}`)],
      ["bad base64", text(armored.replace(/\n[A-Za-z0-9+/]/, "\n*"))],
      ["base64 cut short", text(armored.replace(/.\n-----END/, "\n-----END"))],
      ["over 64 KiB", text(armored + "\n".repeat(64 * 1024))],
      ["bare body", bodyOf(ed25519.file)],
      ["PuTTY", text("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n")],
    ];
    for (const [name, bytes] of junk) assertUnsupported(await parsePrivateKeyFile(bytes), name);
  });
});

Deno.test("every truncation of a key file's body or text is unsupported, and nothing throws", async () => {
  await withTempDir(async (dir) => {
    for (const label of ["ed25519", "ECDSA P-521", "RSA"]) {
      const file = await generate(dir, label.replace(/ /g, "_"), caseOf(label).keygenArgs);
      const body = bodyOf(file.file);
      assert.deepEqual((await parsedKey(armor(body))).publicBlob, file.blob);
      for (let n = 0; n < body.length; n++) {
        assertUnsupported(await parsePrivateKeyFile(armor(body.subarray(0, n))), `${label}[:${n}]`);
      }
      for (let n = 0; n < file.file.length - 1; n++) {
        assertUnsupported(await parsePrivateKeyFile(file.file.subarray(0, n)), `file[:${n}]`);
      }
    }
  });
});

Deno.test("a flipped bit anywhere in a key file's body changes at most its comment", async () => {
  await withTempDir(async (dir) => {
    for (const label of ["ed25519", "ECDSA P-256", "RSA"]) {
      const file = await generate(dir, label.replace(/ /g, "_"), caseOf(label).keygenArgs);
      const body = bodyOf(file.file);
      let keys = 0;
      for (let at = 0; at < body.length; at++) {
        const flipped = body.slice();
        flipped[at]! ^= 0x01;
        const parsed = await parsePrivateKeyFile(armor(flipped));
        const where = `${label}, byte ${at}`;
        if (parsed.kind === "encrypted") {
          // Only the cipher name ("none", after the magic and its length) can say so.
          assert.ok(at >= MAGIC.length && at < MAGIC.length + 8, where);
        } else if (parsed.kind === "key") {
          keys++;
          assert.deepEqual(parsed.key.publicBlob, file.blob, where);
          assert.notEqual(parsed.key.comment, file.comment, where);
        } else {
          assertUnsupported(parsed, where);
        }
      }
      assert.equal(keys, file.comment.length, `${label}: one key for each comment byte`);
    }
  });
});

Deno.test("a key file whose parts do not fit together is unsupported", async () => {
  await withTempDir(async (dir) => {
    const ed = await generate(dir, "ed", caseOf("ed25519").keygenArgs);
    const ed2 = await generate(dir, "ed2", caseOf("ed25519").keygenArgs);
    const ec = await generate(dir, "ec", caseOf("ECDSA P-256").keygenArgs);
    const ec2 = await generate(dir, "ec2", caseOf("ECDSA P-256").keygenArgs);
    const rsa = await generate(dir, "rsa", caseOf("RSA").keygenArgs);
    const rsa2 = await generate(dir, "rsa2", caseOf("RSA").keygenArgs);
    const b = splitBody(bodyOf(ed.file));
    const parse = (body: Uint8Array) => parsePrivateKeyFile(armor(body));

    // The unchanged parts put together again still make the key.
    assert.deepEqual((await parsedKey(armor(joinBody(b)))).publicBlob, ed.blob);
    // Two keys, a kdf without a cipher, trailing bytes.
    assertUnsupported(await parse(joinBody({ ...b, publicBlobs: [ed.blob, ed.blob] })), "2 keys");
    assertUnsupported(await parse(joinBody({ ...b, publicBlobs: [] })), "0 keys");
    assertUnsupported(await parse(joinBody({ ...b, kdf: "bcrypt" })), "kdf without cipher");
    assertUnsupported(await parse(joinBody({ ...b, kdfOptions: new Uint8Array(1) })), "options");
    assertUnsupported(await parse(joinBody(b, new Uint8Array(1))), "trailing bytes");
    assert.deepEqual(await parse(joinBody({ ...b, cipher: "aes256-ctr" })), { kind: "encrypted" });
    // The public key of another key, or of another type.
    assertUnsupported(await parse(joinBody({ ...b, publicBlobs: [ed2.blob] })), "other pub");
    assertUnsupported(await parse(joinBody({ ...b, publicBlobs: [ec.blob] })), "other type");

    // ed25519: check numbers that differ; the seed of another key; bad padding.
    const edPriv = splitPrivate(b.privateSection, 2);
    const edPriv2 = splitPrivate(splitBody(bodyOf(ed2.file)).privateSection, 2);
    const [pk, sk] = edPriv.fields as [Uint8Array, Uint8Array];
    const checks = edPriv.checks.slice();
    checks[7]! ^= 0x01;
    const ed25519With = (c: Uint8Array, fields: Uint8Array[]) =>
      parse(
        joinBody({ ...b, privateSection: joinPrivate(c, edPriv.type, fields, edPriv.comment) }),
      );
    assert.equal((await ed25519With(edPriv.checks, [pk, sk])).kind, "key");
    assertUnsupported(await ed25519With(checks, [pk, sk]), "checks differ");
    const otherSeed = concat(edPriv2.fields[1]!.subarray(0, 32), pk);
    assertUnsupported(await ed25519With(edPriv.checks, [pk, otherSeed]), "other seed");
    assertUnsupported(await ed25519With(edPriv.checks, [pk, sk.subarray(0, 32)]), "short sk");
    assert.ok(edPriv.rest.length > 0, "the test key's private section has padding");
    const badPad = b.privateSection.slice();
    badPad[badPad.length - 1]! ^= 0x08;
    assertUnsupported(await parse(joinBody({ ...b, privateSection: badPad })), "bad padding");
    const unaligned = concat(b.privateSection, new Uint8Array([edPriv.rest.length + 1]));
    assertUnsupported(await parse(joinBody({ ...b, privateSection: unaligned })), "unaligned");

    // ecdsa: the scalar of another key, a scalar of zero, the curve name of another curve.
    const ecBody = splitBody(bodyOf(ec.file));
    const ecPriv = splitPrivate(ecBody.privateSection, 3);
    const [curve, q] = ecPriv.fields as [Uint8Array, Uint8Array];
    const d2 = splitPrivate(splitBody(bodyOf(ec2.file)).privateSection, 3).fields[2]!;
    const ecdsaWith = (fields: Uint8Array[], type = ecPriv.type) =>
      parse(joinBody({
        ...ecBody,
        privateSection: joinPrivate(ecPriv.checks, type, fields, ecPriv.comment),
      }));
    assert.equal((await ecdsaWith([curve, q, ecPriv.fields[2]!])).kind, "key");
    assertUnsupported(await ecdsaWith([curve, q, d2]), "other scalar");
    assertUnsupported(await ecdsaWith([curve, q, new Uint8Array(0)]), "zero scalar");
    assertUnsupported(await ecdsaWith([text("nistp384"), q, ecPriv.fields[2]!]), "other curve");
    assertUnsupported(
      await ecdsaWith([curve, q, ecPriv.fields[2]!], text("ecdsa-sha2-nistp384")),
      "a private key type other than the public one",
    );

    // rsa: d of another key; p of another key; a wrong iqmp.
    const rsaBody = splitBody(bodyOf(rsa.file));
    const rsaPriv = splitPrivate(rsaBody.privateSection, 6);
    const rsaPriv2 = splitPrivate(splitBody(bodyOf(rsa2.file)).privateSection, 6);
    const rsaWith = (replace: number, value: Uint8Array) => {
      const fields = rsaPriv.fields.slice();
      fields[replace] = value;
      return parse(joinBody({
        ...rsaBody,
        privateSection: joinPrivate(rsaPriv.checks, rsaPriv.type, fields, rsaPriv.comment),
      }));
    };
    assert.equal((await rsaWith(0, rsaPriv.fields[0]!)).kind, "key");
    assertUnsupported(await rsaWith(2, rsaPriv2.fields[2]!), "other d");
    assertUnsupported(await rsaWith(3, rsaPriv2.fields[3]!), "other iqmp");
    assertUnsupported(await rsaWith(4, rsaPriv2.fields[4]!), "other p");
    assertUnsupported(await rsaWith(5, rsaPriv.fields[4]!), "q = p");
  });
});

Deno.test("verifySignature refuses keys of other types: dsa, certificates, made-up names", async () => {
  await withTempDir(async (dir) => {
    const ed = await generate(dir, "ed", caseOf("ed25519").keygenArgs);
    const dsa = await generate(dir, "dsa", ["-t", "dsa"]);
    const blob = await (await parsedKey(ed.file)).sign(DATA, "ssh-ed25519");
    const { raw } = splitSignature(blob);
    const pk = readStrings(ed.blob, 2).strings[1]!;
    assert.ok(await verifySignature(concat(str("ssh-ed25519"), str(pk)), blob, DATA));
    for (const type of ["ssh-ed25519-cert-v01@openssh.com", "toString", "constructor", "ssh-dss"]) {
      const other = concat(str(type), str(pk));
      assert.ok(!(await verifySignature(other, blob, DATA)), type);
      assert.ok(!(await verifySignature(other, signatureBlob(type, raw), DATA)), type);
    }
    assert.ok(!(await verifySignature(dsa.blob, signatureBlob("ssh-dss", raw), DATA)));
    const b = splitBody(bodyOf(ed.file));
    for (const type of ["toString", "constructor", "__proto__"]) {
      const publicBlobs = [concat(str(type), str(pk))];
      assertUnsupported(await parsePrivateKeyFile(armor(joinBody({ ...b, publicBlobs }))), type);
    }
  });
});

Deno.test("keyTypeOfBlob names a blob's key type and is empty for malformed blobs", async () => {
  await withTempDir(async (dir) => {
    for (const c of CASES) {
      const file = await generate(dir, c.label.replace(/ /g, "_"), c.keygenArgs);
      assert.equal(keyTypeOfBlob(file.blob), c.type);
    }
  });
  assert.equal(keyTypeOfBlob(str("ssh-dss")), "ssh-dss");
  assert.equal(keyTypeOfBlob(new Uint8Array(0)), "");
  assert.equal(keyTypeOfBlob(new Uint8Array([0, 0, 0])), "");
  assert.equal(keyTypeOfBlob(concat(u32(12), text("ssh-ed25519"))), "");
  assert.equal(keyTypeOfBlob(u32(0xffffffff)), "");
  assert.equal(keyTypeOfBlob(str("")), "");
  assert.equal(keyTypeOfBlob(str("ssh ed25519")), "");
  assert.equal(keyTypeOfBlob(str(new Uint8Array([0xff, 0xfe]))), "");
});
