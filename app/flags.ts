/**
 * Go `flag` package parsing (docs/compatibility.md#argument-parsing): `-name` and `--name` are the
 * same; values as `-name v` or `-name=v`; booleans only as `-name` or `-name=false`; parsing stops
 * at the first positional argument (or after `--`). node:util parseArgs cannot express these rules
 * (single-dash long names, `-flag=false`, stop-at-positional), so this small parser reads the flag
 * table instead.
 */
import { clip } from "../core/clip.ts";
import { UsageError } from "../core/errors.ts";
import {
  defaultOf,
  type FlagName,
  type FlagNameOf,
  flagsOf,
  type FlagSpec,
  type FlagValue,
  type FlagValues,
  type Program,
} from "./flag_table.ts";

export interface ParsedArgs {
  readonly program: Program;
  /** The program's flags (the others are absent): given values, else the program's defaults. */
  readonly values: Partial<FlagValues>;
  /** Names of the flags given on the command line. */
  readonly given: ReadonlySet<FlagName>;
  readonly positionals: string[];
  readonly help: boolean;
  /** True when `--` ended the flags: every positional is then a file name, whatever it looks like. */
  readonly dashDash: boolean;
}

/**
 * `flags`: the flags to know (default: the program's); a `:reload` line (app/reload.ts) is parsed
 * with all of them, defaults unset, so that it can say which one it does not take.
 */
export function parseFlags(
  program: Program,
  args: readonly string[],
  flags: { readonly specs: readonly FlagSpec[]; readonly defaults: boolean } = {
    specs: flagsOf(program),
    defaults: true,
  },
): ParsedArgs {
  const specs = new Map(flags.specs.map((f) => [f.name, f]));
  const values: Record<string, FlagValue> = {};
  if (flags.defaults) { for (const f of specs.values()) values[f.name] = defaultOf(f, program); }
  const given = new Set<string>();
  let help = false;
  let dashDash = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      i++;
      dashDash = true;
      break;
    }
    if (arg.length < 2 || arg[0] !== "-") break;
    const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
    if (body === "" || body[0] === "-" || body[0] === "=") {
      throw new UsageError(`bad flag syntax: ${arg}`);
    }
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (name === "h" || name === "help") {
      help = true;
      continue;
    }
    const spec = specs.get(name);
    if (spec === undefined) throw new UsageError(`unknown flag -${clip(name)}`);
    given.add(name);
    if (spec.type === "bool") {
      values[name] = inline === undefined ? true : parseBool(spec, inline);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      if (i + 1 >= args.length) throw new UsageError(`flag -${name} needs a value`);
      raw = args[++i]!;
    }
    values[name] = spec.type === "int" ? parseInt(spec, raw) : raw;
  }
  // The table's names and types are what was parsed: the shape FlagValues describes.
  return {
    program,
    values: values as Partial<FlagValues>,
    given: given as Set<FlagName>,
    positionals: args.slice(i),
    help,
    dashDash,
  };
}

function parseBool(spec: FlagSpec, raw: string): boolean {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(raw)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(raw)) return false;
  throw new UsageError(`invalid boolean value ${JSON.stringify(raw)} for flag -${spec.name}`);
}

function parseInt(spec: FlagSpec, raw: string): number {
  // Go's strconv.ParseInt(raw, 0, 64): decimal, 0x…, 0o…, 0b… and 0… (octal).
  const m = /^([+-]?)(0x[0-9a-f]+|0o?[0-7]+|0b[01]+|[1-9][0-9]*|0)$/i.exec(raw);
  const n = m ? Number(m[2]!.replace(/^0(?=[0-7])/, "0o")) * (m[1] === "-" ? -1 : 1) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new UsageError(
      `invalid value ${JSON.stringify(raw)} for flag -${spec.name}: not an integer`,
    );
  }
  return n;
}

/**
 * Typed access to parsed values: a name that is not in the table, or not of that type, does not
 * compile. A flag of another program reads as undefined.
 */
export class Flags {
  constructor(readonly parsed: ParsedArgs) {}
  str(name: FlagNameOf<"string">): string {
    return this.parsed.values[name]!;
  }
  int(name: FlagNameOf<"int">): number {
    return this.parsed.values[name]!;
  }
  bool(name: FlagNameOf<"bool">): boolean {
    return this.parsed.values[name]!;
  }
  get<N extends FlagName>(name: N): FlagValues[N] {
    return this.parsed.values[name]!;
  }
  given(name: FlagName): boolean {
    return this.parsed.given.has(name);
  }
}
