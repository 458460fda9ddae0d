/**
 * Host key trust (docs/compatibility.md#known-hosts with docs/compatibility.md#changed-host-keys):
 * known keys pass; a CHANGED or revoked key is refused with one clear line and never prompted for;
 * unknown keys are batched (50 pending, or 2 s without a new one) into one prompt, or trusted at
 * once with `--trustAllHosts`. Trusted keys are persisted.
 *
 * A host refused at the prompt stays refused for the rest of the run, so `dtail` reconnects do not
 * ask again. When input ends (no terminal), unknown hosts are refused with a hint.
 */
import {
  type KnownHostsFile,
  knownHostsLine,
  knownHostsName,
  knownKeyTypes,
  loadKnownHosts,
  lookup,
  parseKnownHostsLine,
} from "./known_hosts.ts";
import { persistKnownHosts } from "./known_hosts_write.ts";
import { addressLabel } from "./server_list.ts";
import { openTerminal, type TrustIO } from "./terminal_io.ts";
import { osReason } from "../../core/source_error.ts";
import { encodeBase64 } from "../../core/base64.ts";

export interface HostTrustOptions {
  knownHostsPath: string;
  /** `--trustAllHosts`: no prompt, trust and persist. */
  trustAll?: boolean;
  /** ssh config `StrictHostKeyChecking yes`: unknown hosts are refused without a prompt. */
  refuseUnknown?: boolean;
  /** Where to prompt; by default the terminal is opened at the first prompt. */
  io?: TrustIO;
  /** One-line warnings (changed or revoked keys, refusals); default stderr. */
  warn?: (line: string) => void;
  /** Called with true before a prompt and false after it, e.g. to pause log output. */
  onPrompt?: (active: boolean) => void;
  /** Pending unknown hosts that trigger a prompt at once (default 50). */
  batchSize?: number;
  /** Quiet time after the last new unknown host before prompting (default 2000 ms). */
  quietMs?: number;
}

interface Pending {
  label: string;
  lines: string[];
  promise: Promise<boolean>;
  resolve: (trusted: boolean) => void;
}

const QUESTION = "Do you want to trust these hosts?? (y=yes,a=all,n=no,d=details): ";

export class HostTrust {
  #opts: HostTrustOptions;
  #file: Promise<KnownHostsFile> | undefined;
  #io: TrustIO | undefined;
  #inputEnded = false;
  #trustAll: boolean;
  #pending = new Map<string, Pending>();
  #refused = new Set<string>();
  #warned = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #prompting = false;
  #writes: Promise<void> = Promise.resolve();
  #refusals = new Map<string, string>();

  constructor(opts: HostTrustOptions) {
    this.#opts = opts;
    this.#trustAll = opts.trustAll ?? false;
    this.#io = opts.io;
  }

  /** Whether to accept `keyBlob` for `host:port`; `ip` (when different) is persisted too. */
  async verify(host: string, port: number, keyBlob: Uint8Array, ip?: string): Promise<boolean> {
    const file = await this.#knownHosts();
    const label = addressLabel(host, port);
    const status = lookup(file, host, port, keyBlob);
    if (status === "known") return true;
    const path = this.#opts.knownHostsPath;
    this.#refusals.set(
      label,
      status === "unknown" ? "host key refused" : `host key ${status} (known_hosts ${path})`,
    );
    if (status === "changed") {
      this.#warnOnce(
        label,
        `host key for ${label} has CHANGED; refusing to connect ` +
          "(remove the old entry from ~/.ssh/known_hosts if this is expected)",
      );
      return false;
    }
    if (status === "revoked") {
      this.#warnOnce(label, `host key for ${label} is REVOKED in known_hosts; refusing to connect`);
      return false;
    }
    const id = `${label} ${encodeBase64(keyBlob)}`;
    if (this.#refused.has(id)) return false;
    if (this.#opts.refuseUnknown && !this.#trustAll) {
      this.#refusals.set(label, "host key unknown (StrictHostKeyChecking yes)");
      return false;
    }
    const names = [knownHostsName(host, port)];
    if (ip !== undefined && ip !== "" && ip !== host) names.push(knownHostsName(ip, port));
    const lines = names.map((n) => knownHostsLine(n, keyBlob));
    if (this.#trustAll) {
      await this.#persist(lines);
      return true;
    }
    return this.#enqueue(id, label, lines);
  }

  /** Why the last key of `host:port` was refused (for the connection's error), if it was. */
  refusal(host: string, port: number): string | undefined {
    return this.#refusals.get(addressLabel(host, port));
  }

  /** The key types on file for a host (to prefer them in the key exchange, like OpenSSH). */
  async knownKeyTypes(host: string, port: number): Promise<string[]> {
    return knownKeyTypes(await this.#knownHosts(), host, port);
  }

  /** Stops the batching timer, refuses what is still pending and releases the terminal. */
  close(): void {
    // Only a timer that was set: the first clearTimeout loads Node's timers (core/delay.ts).
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const p of this.#pending.values()) p.resolve(false);
    this.#pending.clear();
    this.#io?.close?.();
  }

  #knownHosts(): Promise<KnownHostsFile> {
    return this.#file ??= loadKnownHosts(this.#opts.knownHostsPath);
  }

  #warnOnce(key: string, line: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    (this.#opts.warn ?? console.error)(line);
  }

  #enqueue(id: string, label: string, lines: string[]): Promise<boolean> {
    if (this.#inputEnded) return Promise.resolve(this.#refuse([{ label, id }]));
    const have = this.#pending.get(id);
    if (have !== undefined) return have.promise;
    let resolve!: (trusted: boolean) => void;
    const promise = new Promise<boolean>((r) => resolve = r);
    this.#pending.set(id, { label, lines, promise, resolve });
    if (!this.#prompting) this.#schedule();
    return promise;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#pending.size === 0) return;
    if (this.#pending.size >= (this.#opts.batchSize ?? 50)) {
      this.#timer = undefined;
      void this.#prompt();
    } else {
      this.#timer = setTimeout(() => void this.#prompt(), this.#opts.quietMs ?? 2000);
    }
  }

  async #prompt(): Promise<void> {
    const batch = [...this.#pending.entries()];
    this.#pending.clear();
    this.#prompting = true;
    this.#opts.onPrompt?.(true);
    try {
      const trusted = this.#trustAll || await this.#ask(batch.map(([, p]) => p));
      if (trusted) await this.#persist(batch.flatMap(([, p]) => p.lines));
      else this.#refuse(batch.map(([id, p]) => ({ id, label: p.label })));
      for (const [, p] of batch) p.resolve(trusted);
    } finally {
      this.#prompting = false;
      this.#opts.onPrompt?.(false);
      this.#schedule();
    }
  }

  /** Asks until a valid answer; "a" also trusts every later unknown host of this run. */
  async #ask(batch: Pending[]): Promise<boolean> {
    const io = this.#io ??= openTerminal();
    const hosts = batch.map((p) => p.label).join(",");
    while (true) {
      await io.write(`Encountered ${batch.length} unknown hosts: '${hosts}'\n${QUESTION}`);
      const answer = await io.readLine();
      if (answer === null) {
        this.#inputEnded = true;
        await io.write("\n");
        return false;
      }
      switch (answer.trim()) {
        case "y":
        case "yes":
          return true;
        case "a":
        case "all":
          this.#trustAll = true;
          return true;
        case "n":
        case "no":
          return false;
        case "d":
        case "details":
          await io.write(batch.flatMap((p) => p.lines).join("\n") + "\n");
      }
    }
  }

  #refuse(hosts: { id: string; label: string }[]): false {
    for (const { id, label } of hosts) {
      this.#refused.add(id);
      if (this.#inputEnded) {
        this.#warnOnce(
          label,
          `unknown host key for ${label}; ` +
            "run with --trustAllHosts or add it to ~/.ssh/known_hosts",
        );
      }
    }
    return false;
  }

  /** Adds lines to the file (serialised) and to the in-memory copy; a write error only warns. */
  #persist(lines: string[]): Promise<void> {
    const write = async () => {
      const file = await this.#knownHosts();
      for (const line of lines) {
        const entry = parseKnownHostsLine(line);
        if (entry !== null) file.entries.push(entry);
      }
      try {
        await persistKnownHosts(this.#opts.knownHostsPath, lines);
      } catch (e) {
        (this.#opts.warn ?? console.error)(
          `cannot remember trusted hosts: ${osReason(e)}`,
        );
      }
    };
    return this.#writes = this.#writes.then(write);
  }
}
