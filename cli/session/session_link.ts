/**
 * One connection's side of the SESSION protocol (docs/protocol.md#session): what its server runs
 * (the job of the last acknowledged START or UPDATE, and that generation), and the requests sent
 * to it, each answered by a hidden `.syn session …` ack within SESSION_ACK_TIMEOUT_MS. The
 * session's receive loop hands the acks over in stream order, so the output that follows an ack
 * belongs to the job it acknowledged.
 */
import { concatBytes } from "../../core/bytes.ts";
import { encodeFrame } from "../../core/protocol/frames.ts";
import { buildSessionCommand, type SessionAck } from "../../core/protocol/session_spec.ts";
import { type RemoteJob, sessionSpecFor, type Wire } from "./command_frames.ts";

/** How long a START or UPDATE may wait for its ack (the Go client's bound). */
export const SESSION_ACK_TIMEOUT_MS = 2000;

/** Why a request failed, with the Go client's wording. */
export class SessionRequestError extends Error {
  override name = "SessionRequestError";
  constructor(
    /** rejected: the server said no (nothing changed there); the others may have applied it. */
    readonly why: "rejected" | "timeout" | "unexpected" | "closed",
    message: string,
  ) {
    super(message);
  }
}

export type LinkState =
  /** Connected; capabilities and the start not settled yet. */
  | "starting"
  /** A session runs: reloads can reach it. */
  | "session"
  /** The server has no SESSION support: legacy commands were sent. */
  | "legacy"
  /** The connection ended before its session started. */
  | "failed";

interface Waiter {
  readonly action: "start" | "update";
  readonly generation: number | null;
  readonly job: RemoteJob;
  resolve(ack: SessionAck | null): void;
}

export class SessionLink {
  state: LinkState = "starting";
  /** The job the server runs now; null before the first ack (or on legacy commands). */
  job: RemoteJob | null = null;
  generation = 0;
  /** The last ack, as `:show` prints it ("" before any). */
  lastAck = "";
  #write: ((bytes: Uint8Array) => Promise<void>) | null = null;
  #waiter: Waiter | null = null;
  /** How the server frames its replies (its options are those of this wire). */
  wire: Wire = "go";
  /** What the server announced (a reload needing more is refused, cli/interactive/session_fleet.ts). */
  capabilities: readonly string[] = [];
  #settled: (() => void)[] = [];

  constructor(readonly label: string) {}

  /** The session writes through this from now on. */
  attach(
    write: (bytes: Uint8Array) => Promise<void>,
    wire: Wire,
    capabilities: readonly string[] = [],
  ): void {
    this.#write = write;
    this.wire = wire;
    this.capabilities = capabilities;
  }

  /** Replaces the job the server runs: `SESSION UPDATE <generation>` with the job's spec. */
  update(job: RemoteJob, generation: number): Promise<number> {
    const command = buildSessionCommand("update", sessionSpecFor(job, this.wire), generation);
    return this.request("update", command, job, generation);
  }

  /** The connection ended: a request under way fails. */
  detach(): void {
    this.#write = null;
    this.#waiter?.resolve(null);
    this.#waiter = null;
    this.settle(this.state === "starting" ? "failed" : this.state);
  }

  settle(state: LinkState): void {
    this.state = state;
    if (state === "starting") return;
    for (const wake of this.#settled.splice(0)) wake();
  }

  /** Resolves once the link is no longer starting, or after `ms`. */
  settled(ms: number): Promise<void> {
    if (this.state !== "starting") return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#settled.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** An ack from the server (called by the receive loop, in stream order). */
  receive(ack: SessionAck): void {
    this.lastAck = ack.ok ? `${ack.action} ok ${ack.generation}` : `err ${ack.reason}`;
    if (ack.ok) this.generation = ack.generation;
    const waiter = this.#waiter;
    if (waiter === null) return;
    // The late ack of a request that timed out is not the answer to the one under way.
    if (ack.ok && waiter.generation !== null && ack.generation < waiter.generation) return;
    if (ack.ok && ack.action === waiter.action) {
      if (waiter.generation === null || waiter.generation === ack.generation) {
        this.job = waiter.job;
      }
    }
    this.#waiter = null;
    waiter.resolve(ack);
  }

  /**
   * Sends `command` (a SESSION START or UPDATE for `job`; `extra` frames follow in the same write)
   * and waits for its ack; resolves with the acknowledged generation. An UPDATE with a generation
   * must be acknowledged with exactly that one.
   */
  async request(
    action: "start" | "update",
    command: string,
    job: RemoteJob,
    generation: number | null,
    extra: readonly Uint8Array[] = [],
  ): Promise<number> {
    const write = this.#write;
    if (write === null) throw new SessionRequestError("closed", "connection closed");
    let resolve!: (ack: SessionAck | null) => void;
    const answered = new Promise<SessionAck | null>((r) => (resolve = r));
    this.#waiter?.resolve(null);
    this.#waiter = { action, generation, job, resolve };
    const frame = encodeFrame(command);
    await write(extra.length === 0 ? frame : concatBytes(frame, ...extra));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ack = await Promise.race([
      answered,
      new Promise<"timeout">((
        r,
      ) => (timer = setTimeout(() => r("timeout"), SESSION_ACK_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (ack === "timeout") {
      if (this.#waiter?.resolve === resolve) this.#waiter = null;
      this.lastAck = "timeout";
      throw new SessionRequestError("timeout", "timed out waiting for session acknowledgement");
    }
    if (ack === null) throw new SessionRequestError("closed", "connection closed");
    if (!ack.ok) {
      throw new SessionRequestError("rejected", `session request rejected: ${ack.reason}`);
    }
    if (ack.action !== action) {
      throw new SessionRequestError(
        "unexpected",
        `unexpected session acknowledgement: got action "${ack.action}" want "${action}"`,
      );
    }
    if (ack.generation === 0) {
      throw new SessionRequestError(
        "unexpected",
        "unexpected session acknowledgement: missing generation",
      );
    }
    if (generation !== null && ack.generation !== generation) {
      throw new SessionRequestError(
        "unexpected",
        `unexpected session acknowledgement: got generation ${ack.generation} want ${generation}`,
      );
    }
    return ack.generation;
  }
}
