/**
 * A configured time layout for logs whose times no built-in layout reads (log_time.ts), in
 * strftime's notation: `%Y-%m-%d %H:%M:%S`, `%d.%m.%Y %T`, `%b %e %T %Y`, `%s`.
 */
import {
  dig,
  monthAt,
  MS_PER_SECOND,
  num2,
  type TimeZone,
  wallMs,
  wallWithoutYear,
} from "./civil_time.ts";
import { SetupError } from "./errors.ts";

/** What a layout needs of the parsers that call it (core/log_time.ts's TimeParsers). */
export interface TimeParsers {
  /** Where the time just read ends. */
  end: number;
  /** Now as a wall clock reading: the year of times that have none. */
  readonly nowWall: number;
  /** The zone of times that name none. */
  readonly zone: TimeZone;
}

/** A layout that cannot be used, with why. */
export class TimeLayoutError extends SetupError {
  override name = "TimeLayoutError";
}

/** A compiled layout: `parse` reads a time at p (epoch ms or NaN) and sets `parsers.end`. */
export interface TimeLayout {
  readonly text: string;
  parse(b: Uint8Array, p: number, limit: number, parsers: TimeParsers): number;
}

const DIRECTIVES = "%Y %y %m %d %e %b %H %M %S %f %z %s %T %F %%";
/** Directive → [part, digits]; digits 0: not a fixed-width number. */
const NUMBERS: Record<string, readonly [Part, number]> = {
  Y: ["year", 4],
  y: ["year2", 2],
  m: ["month", 2],
  d: ["day", 2],
  H: ["hour", 2],
  M: ["minute", 2],
  S: ["second", 2],
};
const EXPANSIONS: Record<string, string> = { T: "%H:%M:%S", F: "%Y-%m-%d" };

type Part = "year" | "year2" | "month" | "day" | "hour" | "minute" | "second";
type Op =
  | { readonly kind: "number"; readonly part: Part; readonly digits: number }
  | { readonly kind: "spaceDay" | "monthName" | "fraction" | "zone" | "epoch" }
  | { readonly kind: "literal"; readonly bytes: Uint8Array };

/** Compiles a layout; throws TimeLayoutError for an unknown directive or a layout with no date. */
export function compileTimeLayout(text: string): TimeLayout {
  const fail = (why: string) => new TimeLayoutError(`time layout ${JSON.stringify(text)}: ${why}`);
  let source = text;
  for (const [d, expansion] of Object.entries(EXPANSIONS)) {
    source = source.replaceAll(`%${d}`, expansion);
  }
  const ops: Op[] = [];
  let literal = "";
  const flush = () => {
    if (literal !== "") ops.push({ kind: "literal", bytes: new TextEncoder().encode(literal) });
    literal = "";
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c !== "%") {
      literal += c;
      continue;
    }
    const d = source[++i];
    if (d === "%") {
      literal += "%";
      continue;
    }
    if (d === undefined) throw fail(`a lone % at the end (known: ${DIRECTIVES})`);
    flush();
    const number = NUMBERS[d];
    if (number !== undefined) ops.push({ kind: "number", part: number[0], digits: number[1] });
    else if (d === "e") ops.push({ kind: "spaceDay" });
    else if (d === "b" || d === "h") ops.push({ kind: "monthName" });
    else if (d === "f") ops.push({ kind: "fraction" });
    else if (d === "z") ops.push({ kind: "zone" });
    else if (d === "s") ops.push({ kind: "epoch" });
    else throw fail(`unknown directive %${d} (known: ${DIRECTIVES})`);
  }
  flush();
  const has = (part: Part) => ops.some((o) => o.kind === "number" && o.part === part);
  const epoch = ops.some((o) => o.kind === "epoch");
  const month = has("month") || ops.some((o) => o.kind === "monthName");
  const day = has("day") || ops.some((o) => o.kind === "spaceDay");
  if (!epoch && !(month && day)) throw fail("needs a month (%m or %b) and a day (%d or %e), or %s");
  return { text, parse: (b, p, limit, parsers) => parseOps(ops, b, p, limit, parsers) };
}

function parseOps(
  ops: readonly Op[],
  b: Uint8Array,
  p: number,
  limit: number,
  parsers: TimeParsers,
): number {
  let year = -1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let ms = 0;
  let offset: number | null = null;
  let epoch = NaN;
  let q = p;
  for (const op of ops) {
    switch (op.kind) {
      case "literal":
        if (q + op.bytes.length > limit) return NaN;
        for (let i = 0; i < op.bytes.length; i++) if (b[q + i] !== op.bytes[i]) return NaN;
        q += op.bytes.length;
        break;
      case "number": {
        if (q + op.digits > limit) return NaN;
        let v = 0;
        for (let i = 0; i < op.digits; i++) {
          const d = dig(b, q + i);
          if (d < 0) return NaN;
          v = v * 10 + d;
        }
        q += op.digits;
        if (op.part === "year") year = v;
        else if (op.part === "year2") year = 2000 + v;
        else if (op.part === "month") month = v;
        else if (op.part === "day") day = v;
        else if (op.part === "hour") hour = v;
        else if (op.part === "minute") minute = v;
        else second = v;
        break;
      }
      case "spaceDay": {
        // " 3", "03" or "3"
        const first = b[q] === 32 && q + 1 < limit ? dig(b, q + 1) : dig(b, q);
        if (first < 0 || q >= limit) return NaN;
        if (b[q] === 32) {
          day = first;
          q += 2;
        } else if (q + 1 < limit && dig(b, q + 1) >= 0) {
          day = first * 10 + dig(b, q + 1);
          q += 2;
        } else {
          day = first;
          q += 1;
        }
        break;
      }
      case "monthName":
        if (q + 3 > limit || (month = monthAt(b, q)) < 0) return NaN;
        q += 3;
        break;
      case "fraction": {
        const start = q;
        ms = 0;
        for (; q < limit && dig(b, q) >= 0; q++) if (q - start < 3) ms = ms * 10 + dig(b, q);
        if (q === start) return NaN;
        for (let n = q - start; n < 3; n++) ms *= 10;
        break;
      }
      case "zone": {
        const c = b[q];
        if (q < limit && (c === 90 || c === 122)) {
          offset = 0;
          q++;
          break;
        }
        if (q + 5 > limit || (c !== 43 && c !== 45)) return NaN;
        const h = num2(b, q + 1);
        let e = q + 3;
        if (b[e] === 58) e++;
        const m = num2(b, e);
        if (h < 0 || h > 23 || m < 0 || m > 59 || e + 2 > limit) return NaN;
        offset = (c === 43 ? 1 : -1) * (h * 60 + m) * 60 * MS_PER_SECOND;
        q = e + 2;
        break;
      }
      case "epoch": {
        // Whole seconds, as strftime's %s; a fraction is %f's.
        const start = q;
        epoch = 0;
        for (; q < limit && dig(b, q) >= 0; q++) epoch = epoch * 10 + dig(b, q);
        if (q === start) return NaN;
        epoch *= MS_PER_SECOND;
        break;
      }
    }
  }
  parsers.end = q;
  if (epoch === epoch) return epoch + ms;
  const wall = year < 0
    ? wallWithoutYear(parsers.nowWall, month, day, hour, minute, second, ms)
    : wallMs(year, month, day, hour, minute, second, ms);
  return offset === null ? parsers.zone.toEpoch(wall) : wall - offset;
}
