/**
 * The ssh-agent's keys for authentication (docs/compatibility.md#client-keys), through ssh2's
 * agent client: loaded by cli/ssh/auth.ts only when `SSH_AUTH_SOCK` is set. Every request has a
 * deadline, and the keys chosen for a run are listed once.
 */
import type { Buffer } from "node:buffer";
import { BaseAgent, OpenSSHAgent as Ssh2OpenSSHAgent } from "./ssh2_client.ts";
import type { OpenSSHAgent, ParsedKey, SignCallback, SigningRequestOptions } from "ssh2";

const AGENT_TIMEOUT_MS = 5000;

/**
 * The agent's keys, or null without a usable agent. An agent that does not answer (a stale
 * forwarded socket whose far end hangs) is given up after `timeoutMs`, with one warning: the run
 * goes on with the key files instead of waiting forever.
 */
/** An agent key as cli/ssh/auth.ts offers it (its OfferedKey). */
export interface AgentKey {
  source: string;
  publicBlob: Uint8Array;
  native: null;
  key: ParsedKey;
}

export interface AgentKeys {
  keys: AgentKey[];
  /** An agent for ssh2 that offers only the chosen keys and signs through the ssh-agent. */
  chosen(keys: ParsedKey[]): ChosenKeysAgent;
}

export async function agentKeys(
  sock: string,
  index: number,
  debug: (line: string) => void,
  warn: (line: string) => void,
  timeoutMs = AGENT_TIMEOUT_MS,
): Promise<AgentKeys | null> {
  const agent = new AgentWithTimeout(new Ssh2OpenSSHAgent(sock), sock, timeoutMs);
  const all = await new Promise<ParsedKey[] | null>((resolve) => {
    agent.getIdentities((err, keys) => {
      if (err instanceof AgentTimeout) warn(`${err.message}: not using it`);
      else if (err) debug(`ssh-agent at ${sock}: ${err.message}`);
      resolve(err ? null : (keys ?? []) as ParsedKey[]);
    });
  });
  if (all === null) return null;
  const keys = all.map((key, i): AgentKey => ({
    source: `agent #${i}`,
    publicBlob: new Uint8Array(key.getPublicSSH()),
    native: null,
    key,
  }));
  const chosen = (some: ParsedKey[]) => new ChosenKeysAgent(agent, some);
  if (index < 0) return { keys, chosen };
  const one = keys[index];
  if (one === undefined) {
    debug(`--agentKeyIndex ${index}: the agent has ${keys.length} keys; not using the agent`);
    return null;
  }
  return { keys: [one], chosen };
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
