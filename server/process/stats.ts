/**
 * The server's self-monitoring line (docs/compatibility.md#server-log), logged every 10 s and
 * whenever the connection count changes, so that `from STATS` queries over dserver logs work:
 *
 *   INFO|MMDD-HHMMSS|<pid>|<file:line>|<numCPU>|<goroutines>|<cgocalls>|<loadavg 1m>|<uptime>|
 *   MAPREDUCE:STATS|currentConnections=N|lifetimeConnections=N|preAuthConnections=N
 *
 * Go-only fields get stand-ins: `<file:line>` is the fixed `stats.ts:1`; `<goroutines>` is the
 * number of open connections plus one (the event loop), the closest thing to "concurrent tasks"
 * a Deno process can count cheaply; `<cgocalls>` is always 0 (there is no cgo). The keys are
 * written in a fixed order (Go's order is random). `<uptime>` is the host's uptime
 * (/proc/uptime) in Go duration format (`471h0m21s`), as in Go.
 */
import { cpus } from "node:os";
import type { ServerLog } from "./server_log.ts";

export interface ConnectionCounts {
  /** Open connections, including those still in the handshake or authentication. */
  current: number;
  /** Connections accepted since start (excess ones closed by MaxConnections not included). */
  lifetime: number;
  /** Open connections not authenticated yet. */
  preAuth: number;
}

export const STATS_INTERVAL_MS = 10_000;

/** Go's `time.Duration.String()` for whole seconds: `0s`, `21s`, `3m5s`, `471h0m21s`. */
export function goDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

function readFirstField(path: string, sep: RegExp): string {
  try {
    return Deno.readTextFileSync(path).split(sep)[0] ?? "";
  } catch {
    return "";
  }
}

/** The CPU count, read once: node:os's cpus() parses /proc/cpuinfo (~1 ms) at every call. */
let cpuCount = 0;

/** The fields of a stats line after the level and time stamp. */
export function statsFields(counts: ConnectionCounts): string[] {
  const uptime = readFirstField("/proc/uptime", /[ .]/);
  return [
    String(Deno.pid),
    "stats.ts:1",
    String(cpuCount ||= cpus().length || 1),
    String(counts.current + 1),
    "0",
    readFirstField("/proc/loadavg", / /),
    uptime === "" ? "" : goDuration(Number(uptime)),
    "MAPREDUCE:STATS",
    `currentConnections=${counts.current}`,
    `lifetimeConnections=${counts.lifetime}`,
    `preAuthConnections=${counts.preAuth}`,
  ];
}

/** Logs the stats line periodically and on demand (`changed()`). */
export class StatsReporter {
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly log: ServerLog,
    private readonly counts: () => ConnectionCounts,
    private readonly intervalMs = STATS_INTERVAL_MS,
  ) {}

  start(): void {
    this.stop();
    this.#timer = setInterval(() => this.report(), this.intervalMs);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Logs one stats line now; returns it ("" when INFO is filtered out). */
  report(): string {
    return this.log.info(...statsFields(this.counts()));
  }

  /** Call when the connection count changed. */
  changed(): void {
    this.report();
  }
}
