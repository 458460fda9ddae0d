/**
 * The per-server outcome of a run over SSH (docs/usage.md#the-outcome-summary): each server either
 * answered or did not, with why. A later outcome of a server replaces its earlier one (`dtail`
 * reconnects). The summary is one line of how many answered, then one line per cause, the cause
 * shared by the most servers first, its servers compressed into ranges (host_groups.ts):
 *
 *     3 of 5 servers answered
 *     1 server: connection refused: 127.0.0.1:4001
 *     1 server: authentication failed for user bob (keys offered: /root/.ssh/id_ed25519): db1:2222
 */
import { lastBarField } from "../core/protocol/messages.ts";
import { groupHostNames, naturalCompare } from "./host_groups.ts";
import { isGlobLimitNotice } from "../core/glob.ts";

/** Causes longer than this are cut (a server's notice can be long). */
const MAX_CAUSE = 200;

export class OutcomeBook {
  /** Every server of the run, in order. */
  #servers: readonly string[] = [];
  /** Per server: null when it answered, else why it did not. */
  readonly #outcomes = new Map<string, string | null>();

  /** The servers of the run: those without an outcome yet are counted as pending. */
  expect(labels: readonly string[]): void {
    this.#servers = [...labels];
  }

  /** The server ran the job (or, following, is following) with nothing missing. */
  answered(label: string): void {
    this.#outcomes.set(label, null);
  }

  /** It did not answer, or only in part: `cause` is the text after `<label>: ` of its error. */
  failed(label: string, cause: string): void {
    this.#outcomes.set(label, clip(cause));
  }

  /** The outcome of a server, or undefined while it has none. */
  outcome(label: string): { answered: true } | { answered: false; cause: string } | undefined {
    if (!this.#outcomes.has(label)) return undefined;
    const cause = this.#outcomes.get(label)!;
    return cause === null ? { answered: true } : { answered: false, cause };
  }

  /**
   * `N of M servers answered`, then `K server(s): <cause>: <servers>` per cause, most servers
   * first. Servers without an outcome yet have the cause `pending`.
   */
  summaryLines(pending = "no answer yet"): string[] {
    const labels = [...new Set([...this.#servers, ...this.#outcomes.keys()])];
    const byCause = new Map<string, string[]>();
    let answered = 0;
    for (const label of labels) {
      const cause = this.#outcomes.has(label) ? this.#outcomes.get(label)! : pending;
      if (cause === null) {
        answered++;
        continue;
      }
      const list = byCause.get(cause);
      if (list === undefined) byCause.set(cause, [label]);
      else list.push(label);
    }
    const causes = [...byCause].sort(([causeA, a], [causeB, b]) =>
      b.length - a.length || naturalCompare(a[0]!, b[0]!) || (causeA < causeB ? -1 : 1)
    );
    return [
      `${answered} of ${labels.length} servers answered`,
      ...causes.map(([cause, list]) =>
        `${list.length} ${list.length === 1 ? "server" : "servers"}: ${cause}: ${
          groupHostNames(list)
        }`
      ),
    ];
  }
}

/** The cause of a ConnectError (`<label>: <cause>`), or its whole message. */
export function causeOf(message: string, label: string): string {
  return message.startsWith(`${label}: `) ? message.slice(label.length + 2) : message;
}

/**
 * The cause for a server's notice of a file it could not read (cli/remote_session.ts tells which
 * notices those are), without the `SERVER|host|LEVEL|…` frame: `file unreadable: Unable to read
 * file(s), check server logs`.
 */
export function unreadableCause(notice: string): string {
  // The message is the last field (Go's notice has its time and our connection before it).
  const message = lastBarField(notice.trimEnd()).trim();
  return isGlobLimitNotice(message)
    ? `not every file read: ${message}`
    : `file unreadable: ${message}`;
}

function clip(text: string): string {
  const line = text.replaceAll("\n", " ");
  return line.length > MAX_CAUSE ? `${line.slice(0, MAX_CAUSE - 3)}...` : line;
}
