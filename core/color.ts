/**
 * ANSI colors: names → SGR codes (docs/compatibility.md#smaller-fixes: config color names work),
 * and the docs/compatibility.md#term-colors defaults.
 */
import { SetupError } from "./errors.ts";

const FG: Record<string, number> = {
  black: 30,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  white: 37,
  default: 39,
};
const ATTR: Record<string, number | null> = {
  none: null,
  bold: 1,
  dim: 2,
  italic: 3,
  underline: 4,
  blink: 5,
  slowblink: 5,
  rapidblink: 6,
  reverse: 7,
  hidden: 8,
};

export interface Style {
  readonly fg: string;
  readonly bg: string;
  readonly attr: string;
}

export class ColorNameError extends SetupError {
  override name = "ColorNameError";
}

function code(table: Record<string, number | null>, name: string, kind: string): number | null {
  const key = name.toLowerCase().replace(/^(fg|bg|attr)/, "");
  if (!Object.hasOwn(table, key)) {
    throw new ColorNameError(`unknown ${kind} color name ${JSON.stringify(name)}`);
  }
  return table[key]!;
}

/** The names a style field accepts, lower case (any case and an `fg`/`bg`/`attr` prefix work). */
export function colorNames(field: keyof Style): string[] {
  return Object.keys(field === "attr" ? ATTR : FG);
}

/** Whether `name` is a valid value of the style field `field` (as Paint reads it). */
export function isColorName(field: keyof Style, name: string): boolean {
  try {
    code(field === "attr" ? ATTR : FG, name, field);
    return true;
  } catch {
    return false;
  }
}

/** A compiled style: the escape sequences around a painted text. */
export class Paint {
  readonly open: string;
  readonly close: string;
  constructor(style: Style) {
    const fg = code(FG, style.fg, "foreground")!;
    const bg = code(FG, style.bg, "background")! + 10;
    const attr = code(ATTR, style.attr, "attribute");
    this.open = `\x1b[${fg}m\x1b[${bg}m` + (attr === null ? "" : `\x1b[${attr}m`);
    this.close = (attr === null ? "" : "\x1b[0m") + "\x1b[49m\x1b[39m";
  }
  paint(text: string): string {
    return this.open + text + this.close;
  }
}

const s = (fg: string, bg: string, attr: string): Style => ({ fg, bg, attr });

/**
 * `Client.TermColors` defaults (docs/compatibility.md#term-colors); the config may override any
 * entry by name.
 */
export const DEFAULT_TERM_COLORS = {
  Remote: {
    Remote: s("White", "Blue", "Dim"),
    Delimiter: s("Cyan", "Blue", "Dim"),
    Hostname: s("White", "Blue", "Bold"),
    StatsOk: s("Black", "Green", "None"),
    StatsWarn: s("White", "Red", "None"),
    Count: s("White", "Blue", "Dim"),
    ID: s("White", "Blue", "Dim"),
    Text: s("White", "Black", "None"),
  },
  Client: {
    Client: s("Black", "Yellow", "Dim"),
    Delimiter: s("Black", "Yellow", "Dim"),
    Hostname: s("Black", "Yellow", "Dim"),
    Text: s("White", "Black", "None"),
  },
  Server: {
    Server: s("Black", "Cyan", "Dim"),
    Delimiter: s("Black", "Cyan", "Dim"),
    Hostname: s("Black", "Cyan", "Bold"),
    Text: s("White", "Black", "None"),
  },
  Common: {
    SeverityWarn: s("White", "Black", "Bold"),
    SeverityError: s("White", "Red", "Bold"),
    SeverityFatal: s("White", "Magenta", "Bold"),
  },
  MaprTable: {
    Data: s("White", "Blue", "None"),
    Delimiter: s("White", "Blue", "Dim"),
    Header: s("White", "Blue", "Bold"),
    HeaderDelimiter: s("White", "Blue", "Dim"),
    RawQuery: s("Cyan", "Black", "Dim"),
  },
};

export type TermColors = typeof DEFAULT_TERM_COLORS;

/**
 * A copy of DEFAULT_TERM_COLORS for a config to change. Not `structuredClone`: its first call
 * loads Deno's message-port code, ~0.25 ms of every start (docs/performance.md#start-up).
 */
export function defaultTermColors(): TermColors {
  const copy: Record<string, Record<string, Style>> = {};
  for (const [group, styles] of Object.entries(DEFAULT_TERM_COLORS)) {
    const own: Record<string, Style> = {};
    for (const [name, style] of Object.entries(styles)) own[name] = { ...style };
    copy[group] = own;
  }
  return copy as TermColors;
}
