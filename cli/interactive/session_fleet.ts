/**
 * The sessions of an interactive run over SSH (docs/usage.md#interactive-query-reload): the job
 * every server should run, its generation, and the reload protocol across all connections
 * (docs/protocol.md#session). A reload is sent to every connection at once; when any of them fails
 * it, the connections that took it (or may have: no ack in time) are given the previous job back,
 * and the error names each server and why.
 */
import { missingCapabilityReason } from "../../core/protocol/query_capabilities.ts";
import type { RemoteJob } from "../session/command_frames.ts";
import { SessionLink, SessionRequestError } from "../session/session_link.ts";

export interface ReloadHooks {
  /** Before the updates go out: output of `job` may arrive from now on. */
  begin?(job: RemoteJob): void;
  /** After the reload: `committed` is what runs now (the new job, or the old one on failure). */
  settle?(committed: RemoteJob): Promise<void> | void;
}

export class SessionFleet {
  /** The job every server runs (new connections start with it). */
  job: RemoteJob;
  /** The generation of `job`: 1 at the start, one more per reload (two after a rollback). */
  generation = 1;
  /** Every server of the run, in order (`:show` lists them). */
  servers: readonly string[] = [];
  readonly #links = new Set<SessionLink>();
  /** Each server's last link, also once its connection ended (`:show`, and reloads refused). */
  readonly #last = new Map<string, SessionLink>();
  #reloading = false;

  constructor(job: RemoteJob) {
    this.job = job;
  }

  /** A link for a connection just made; it takes part in reloads until dropped. */
  link(label: string): SessionLink {
    const link = new SessionLink(label);
    this.#links.add(link);
    this.#last.set(label, link);
    return link;
  }

  drop(link: SessionLink): void {
    this.#links.delete(link);
  }

  /** Replaces the job on every connected server, or on none (see the file comment). */
  async reload(next: RemoteJob, hooks: ReloadHooks = {}): Promise<void> {
    if (this.#reloading) throw new Error("a reload is under way");
    this.#reloading = true;
    try {
      await this.#reload(next, hooks);
    } finally {
      this.#reloading = false;
    }
  }

  async #reload(next: RemoteJob, hooks: ReloadHooks): Promise<void> {
    let links = [...this.#links];
    if (links.length === 0) throw new Error("no active connections");
    // A connection still starting has 2 s to say what it supports (as in Go).
    await Promise.all(links.map((l) => l.settled(2000)));
    // In the order of --servers, so that the error names them in that order.
    const order = (l: SessionLink) => this.servers.indexOf(l.label);
    links = links.filter((l) => this.#links.has(l)).sort((a, b) => order(a) - order(b));
    // A server that got the commands cannot take the new job, also once it is done with them.
    const unsupported = this.servers.filter((label) => this.#last.get(label)?.state === "legacy");
    if (unsupported.length > 0) {
      throw new Error(`runtime query updates unsupported by server: ${unsupported.join(", ")}`);
    }
    const lacking = links.filter((l) =>
      (next.needs ?? []).some((c) => !l.capabilities.includes(c))
    );
    if (lacking.length > 0) {
      const missing = (next.needs ?? []).filter((c) =>
        lacking.some((l) => !l.capabilities.includes(c))
      );
      throw new Error(
        `${missingCapabilityReason(missing)}: not on ${lacking.map((l) => l.label).join(", ")}`,
      );
    }
    if (links.length === 0) throw new Error("no active connections");
    const previous = this.job;
    const generation = this.generation + 1;
    hooks.begin?.(next);
    const outcomes = await Promise.allSettled(links.map((l) => l.update(next, generation)));
    const failures: string[] = [];
    const rollBack: SessionLink[] = [];
    outcomes.forEach((outcome, i) => {
      const link = links[i]!;
      if (outcome.status === "fulfilled") {
        rollBack.push(link);
        return;
      }
      const err = outcome.reason;
      // A connection that ended meanwhile starts with the job of then when it comes back.
      if (err instanceof SessionRequestError && err.why === "closed") return;
      failures.push(`${link.label}: ${err instanceof Error ? err.message : String(err)}`);
      // No ack in time, or not the one expected: the server may run the new job all the same.
      if (
        err instanceof SessionRequestError && (err.why === "timeout" || err.why === "unexpected")
      ) {
        rollBack.push(link);
      }
    });
    if (failures.length === 0) {
      this.job = next;
      this.generation = generation;
      await hooks.settle?.(next);
      this.#catchUp(links);
      return;
    }
    if (rollBack.length > 0) {
      const back = generation + 1;
      const undone = await Promise.allSettled(rollBack.map((l) => l.update(previous, back)));
      undone.forEach((outcome, i) => {
        if (outcome.status === "rejected") {
          const err = outcome.reason;
          failures.push(
            `${rollBack[i]!.label}: rollback session spec: ${
              err instanceof Error ? err.message : String(err)
            }`,
          );
        }
      });
      this.generation = back;
    }
    await hooks.settle?.(previous);
    throw new Error(failures.join("; "));
  }

  /**
   * Connections made while the reload was under way started with the job of then: they get the
   * job of now (best effort; a failure shows in `:show`).
   */
  #catchUp(reloaded: readonly SessionLink[]): void {
    const done = new Set(reloaded);
    for (const link of this.#links) {
      if (!done.has(link) && link.state === "session" && link.job !== this.job) {
        link.update(this.job, this.generation).catch(() => {});
      }
    }
  }

  /** How many connections take reloads, of all servers. */
  get capable(): number {
    let n = 0;
    for (const link of this.#links) if (link.state === "session") n++;
    return n;
  }

  /** One line per server for `:show`: connected or not, its session, its last ack. */
  serverLines(): string[] {
    const byLabel = new Map<string, SessionLink>();
    for (const link of this.#links) byLabel.set(link.label, link);
    return this.servers.map((label) => {
      const link = byLabel.get(label) ?? this.#last.get(label);
      if (link === undefined) return `  ${label}: not connected`;
      const state = link.state === "session"
        ? `capable generation=${link.generation}`
        : link.state === "legacy"
        ? "not capable (legacy commands, no reload)"
        : link.state === "failed"
        ? "session not started"
        : "starting";
      const ack = link.lastAck === "" ? "" : ` last-ack="${link.lastAck}"`;
      const gone = byLabel.has(label) ? "" : " (disconnected)";
      return `  ${label}: ${state}${ack}${gone}`;
    });
  }
}
