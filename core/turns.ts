/**
 * Sharing the event loop between synchronous stretches of work. Sync reads and matching never
 * return to the loop on their own, and signal listeners (SIGTERM, Ctrl-C), timers and a server's
 * other sessions and handshakes run only there. How long the loop has gone without a turn is one
 * number for the whole process, not per file or per session: a grep over a glob of many small
 * files must yield inside the glob as it does inside one large file.
 */

import { delay } from "./delay.ts";

const NOTHING = new Uint8Array(0);

/**
 * One turn of the event loop: an operation Deno completes on a thread of its blocking pool, so
 * that awaiting it parks the loop, which then polls sockets, signals and timers, in ~0.2 ms. A
 * timer of 0 ms waits for the timer wheel's next millisecond and took ~2.4 ms here (a quarter of a
 * dserver's busy turn); a resolved promise or a MessagePort message never parks the loop, and
 * sockets starve (docs/performance.md, "A turn of the event loop"). Where peers wait for their
 * answers, a turn is a `pollingTurn`.
 */
export function loopTurn(): Promise<unknown> {
  return crypto.subtle.digest("SHA-1", NOTHING);
}

/**
 * A turn that lets peers answer: a 0 ms timer, for which the loop waits until the timer wheel's
 * next millisecond (~2.4 ms), polling sockets all the while, so that a nearby client's exchange
 * goes many hops in one turn. A `loopTurn` returns once the loop polled once: one hop per stretch
 * of work, and a dtailhealth beside two glob explosions took ~2 s instead of ~0.4 s.
 */
function pollingTurn(): Promise<boolean> {
  return delay(0); // Deno's own timers: Node's setTimeout loads 20 modules (delay.ts)
}

/** How long work runs before it lets the event loop run. */
export const TURN_MS = 50;
/**
 * The same while other work waits: a yield that took TURN_BUSY_MS or more ran other tasks (a
 * dserver's other sessions), and shorter turns keep the server answering (a round of 5 grepping
 * sessions is then ~50 ms rather than ~250 ms).
 */
export const BUSY_TURN_MS = 10;
const TURN_BUSY_MS = 8;

let due = performance.now() + TURN_MS;
/** Whether every turn must let peers answer (a server, an SSH client); see `noSocketsWait`. */
let socketsWait = true;
/** When a turn last polled sockets and signals. */
let lastPoll = performance.now();
/** Without sockets, how often a turn still polls: Ctrl-C and a terminal's keys within this. */
const POLL_MS = 250;

/**
 * This process serves no sockets (a serverless run): its turns may be `loopTurn`s, ten times
 * cheaper, with a polling turn at least every POLL_MS for signals and the terminal.
 */
export function noSocketsWait(): void {
  socketsWait = false;
}
/** A server's connections on their way to their first command (see `arriving`): until when. */
const arrivals = new Set<{ until: number }>();
/** The longest a connection counts as arriving (one that never sends a command stops counting). */
const ARRIVAL_MS = 5000;

/**
 * A server's new connection is on its way (handshake, login, session, first command): until the
 * returned `settled` is called, turns are BUSY_TURN_MS, so that each of its dozen round trips
 * does not wait out a whole turn of other sessions' work (a dcat behind a dmap took 0.4–0.7 s
 * instead of ~0.25 s on two busy cores). Work that settled runs full turns again.
 */
export function arriving(): () => void {
  const now = performance.now();
  const arrival = { until: now + ARRIVAL_MS };
  arrivals.add(arrival);
  due = Math.min(due, now + BUSY_TURN_MS);
  return () => arrivals.delete(arrival);
}

/** Whether a connection is arriving now (those past ARRIVAL_MS are forgotten). */
function someArriving(now: number): boolean {
  for (const arrival of arrivals) {
    if (arrival.until > now) return true;
    arrivals.delete(arrival);
  }
  return false;
}

/** Whether the current stretch of work has had its turn and should call `yieldTurn`. */
export function turnIsOver(): boolean {
  return performance.now() >= due;
}

/** Lets the event loop run. The next turn is short when others were waiting. */
export function yieldTurn(): Promise<void> {
  // Everyone whose turn is over waits for the same turn: a thousand followers, one operation.
  return pending ??= (async () => {
    const start = performance.now();
    if (socketsWait || start - lastPoll >= POLL_MS) {
      lastPoll = start;
      await pollingTurn();
    } else {
      await loopTurn();
    }
    pending = null;
    const now = performance.now();
    const busy = now - start >= TURN_BUSY_MS || someArriving(now);
    due = now + (busy ? BUSY_TURN_MS : TURN_MS);
  })();
}

let pending: Promise<void> | null = null;

/** Yields when the turn is over; cheap otherwise. */
export async function maybeYield(): Promise<void> {
  if (performance.now() >= due) await yieldTurn();
}

/** Restarts the turn: for work that just got its turn from the event loop in another way. */
export function turnStarted(): void {
  due = performance.now() + TURN_MS;
}
