/**
 * The ssh-agent for ssh2's connections (jump hosts, servers the native client cannot serve):
 * ssh2's agent client with a deadline on every request, offering only the keys cli/ssh/auth.ts
 * chose (listed once, by cli/ssh/native/agent_client.ts).
 */
import type { Buffer } from "node:buffer";
import { BaseAgent, OpenSSHAgent as Ssh2OpenSSHAgent, parseKey } from "./ssh2_client.ts";
import { encodeBase64 } from "../../core/base64.ts";
import { keyTypeOfBlob } from "./native/ssh_keys.ts";
import type { OpenSSHAgent, ParsedKey, SignCallback, SigningRequestOptions } from "ssh2";

/**
 * The agent's keys, or null without a usable agent. An agent that does not answer (a stale
 * forwarded socket whose far end hangs) is given up after `timeoutMs`, with one warning: the run
 * goes on with the key files instead of waiting forever.
 */
/** ssh2's agent for the agent at `sock`, offering only the keys `blobs` (cli/ssh/auth.ts). */
export function ssh2Agent(sock: string, blobs: Uint8Array[], timeoutMs: number): ChosenKeysAgent {
  const keys = blobs.flatMap((blob) => {
    const parsed = parseKey(`${keyTypeOfBlob(blob)} ${encodeBase64(blob)}`);
    return parsed instanceof Error ? [] : [Array.isArray(parsed) ? parsed[0]! : parsed];
  });
  return new ChosenKeysAgent(
    new AgentWithTimeout(new Ssh2OpenSSHAgent(sock), sock, timeoutMs),
    keys as ParsedKey[],
  );
}

class AgentTimeout extends Error {}

/** ssh2's agent with a deadline on every request; a late answer is dropped. */
class AgentWithTimeout {
  readonly #inner: OpenSSHAgent;
  readonly #sock: string;
  readonly #ms: number;
  constructor(inner: OpenSSHAgent, sock: string, ms: number) {
    this.#inner = inner;
    this.#sock = sock;
    this.#ms = ms;
  }

  getIdentities(cb: (err?: Error | null, keys?: ParsedKey[]) => void): void {
    const done = this.#deadline("list its keys", cb);
    this.#inner.getIdentities((err, keys) => done(err, keys as ParsedKey[] | undefined));
  }

  sign(pubKey: ParsedKey, data: Buffer, options: SigningRequestOptions, cb: SignCallback): void {
    const done = this.#deadline("sign", cb);
    this.#inner.sign(pubKey, data, options, (err, signature) => done(err, signature));
  }

  /** `cb` once: with the answer, or with an AgentTimeout when none came in time. */
  #deadline<T>(what: string, cb: (err?: Error | null, value?: T) => void) {
    let called = false;
    const timer = setTimeout(() => {
      called = true;
      cb(new AgentTimeout(`ssh-agent at ${this.#sock} did not ${what} in ${this.#ms / 1000} s`));
    }, this.#ms);
    return (err?: Error | null, value?: T) => {
      if (called) return;
      called = true;
      clearTimeout(timer);
      cb(err, value);
    };
  }
}

/** An agent that offers only the chosen keys (no re-query per connection) and signs via ssh-agent. */
export class ChosenKeysAgent extends BaseAgent<ParsedKey> {
  #inner: AgentWithTimeout;
  #keys: ParsedKey[];
  constructor(inner: AgentWithTimeout, keys: ParsedKey[]) {
    super();
    this.#inner = inner;
    this.#keys = keys;
  }
  getIdentities(cb: (err?: Error | null, keys?: ParsedKey[]) => void): void {
    cb(null, this.#keys);
  }
  sign(
    pubKey: ParsedKey,
    data: Buffer,
    options: SigningRequestOptions | SignCallback,
    cb?: SignCallback,
  ): void {
    if (typeof options === "function") this.#inner.sign(pubKey, data, {}, options);
    else this.#inner.sign(pubKey, data, options, cb!);
  }
}
