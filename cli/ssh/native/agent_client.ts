/**
 * The ssh-agent protocol (draft-miller-ssh-agent) on its unix socket, for the native client: the
 * agent's keys and signatures made with them. One connection per request, each with a deadline:
 * a stale forwarded agent whose far end hangs costs a warning, not the run.
 */
import type { NativePrivateKey } from "./ssh_keys.ts";
import { keyTypeOfBlob } from "./ssh_keys.ts";
import { WireReader, WireWriter } from "./ssh_wire.ts";

const FAILURE = 5;
const REQUEST_IDENTITIES = 11;
const IDENTITIES_ANSWER = 12;
const SIGN_REQUEST = 13;
const SIGN_RESPONSE = 14;
const RSA_SHA2_256 = 2;
const RSA_SHA2_512 = 4;
/** The longest answer read from an agent. */
const MAX_ANSWER = 256 * 1024;

/** The agent did not answer in time. */
export class AgentTimeout extends Error {
  override name = "AgentTimeout";
}

export interface AgentIdentity {
  readonly blob: Uint8Array;
  readonly comment: string;
}

export class AgentClient {
  constructor(readonly path: string, readonly timeoutMs: number) {}

  async identities(): Promise<AgentIdentity[]> {
    const answer = await this.#request(Uint8Array.of(REQUEST_IDENTITIES), "list its keys");
    if (answer[0] !== IDENTITIES_ANSWER) throw new Error("the agent refused to list its keys");
    const r = new WireReader(answer, 1);
    const n = r.u32();
    const out: AgentIdentity[] = [];
    for (let i = 0; i < n; i++) out.push({ blob: r.string().slice(), comment: r.text() });
    return out;
  }

  /** The SSH signature blob of `data` by the agent's key `blob`. */
  async sign(blob: Uint8Array, data: Uint8Array, algorithm: string): Promise<Uint8Array> {
    const flags = algorithm === "rsa-sha2-512"
      ? RSA_SHA2_512
      : algorithm === "rsa-sha2-256"
      ? RSA_SHA2_256
      : 0;
    const request = new WireWriter(0, data.length + blob.length + 32).byte(SIGN_REQUEST)
      .string(blob).string(data).u32(flags).bytes();
    const answer = await this.#request(request, "sign");
    if (answer[0] === FAILURE) throw new Error("the agent refused to sign");
    if (answer[0] !== SIGN_RESPONSE) throw new Error(`unexpected agent answer ${answer[0]}`);
    const r = new WireReader(answer, 1);
    const signature = r.string().slice();
    r.end();
    return signature;
  }

  async #request(message: Uint8Array, what: string): Promise<Uint8Array> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let conn: Deno.UnixConn | null = null;
    const onTimeout = () => conn?.close();
    timeout.addEventListener("abort", onTimeout);
    try {
      conn = await Deno.connect({ transport: "unix", path: this.path });
      if (timeout.aborted) conn.close();
      const framed = new Uint8Array(4 + message.length);
      new DataView(framed.buffer).setUint32(0, message.length);
      framed.set(message, 4);
      for (let at = 0; at < framed.length;) at += await conn.write(framed.subarray(at));
      const head = await readExactly(conn, 4);
      const length = new DataView(head.buffer).getUint32(0);
      if (length === 0 || length > MAX_ANSWER) throw new Error("the agent's answer is malformed");
      return await readExactly(conn, length);
    } catch (e) {
      if (timeout.aborted) {
        throw new AgentTimeout(
          `ssh-agent at ${this.path} did not ${what} in ${this.timeoutMs / 1000} s`,
        );
      }
      throw e;
    } finally {
      timeout.removeEventListener("abort", onTimeout);
      try {
        conn?.close();
      } catch {
        // closed already (by the deadline)
      }
    }
  }
}

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  for (let at = 0; at < n;) {
    const got = await conn.read(out.subarray(at));
    if (got === null) throw new Error("the agent closed the connection");
    at += got;
  }
  return out;
}

/** An agent key as a key the native client signs with (the agent signs). */
export function agentKey(agent: AgentClient, identity: AgentIdentity): NativePrivateKey {
  const type = keyTypeOfBlob(identity.blob);
  const algorithms = type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256"] : [type];
  return {
    type,
    publicBlob: identity.blob,
    comment: identity.comment,
    signatureAlgorithms: algorithms,
    sign: (data, algorithm) => agent.sign(identity.blob, data, algorithm),
  };
}
