/**
 * Server discovery (docs/compatibility.md#server-discovery): `--servers` and `--discovery` become a
 * list of `host:port` addresses.
 *
 * Differences from the Go DTail, on purpose:
 * - A server file may hold blank lines and `#` comments, and every entry is trimmed (Go takes each
 *   line verbatim, so a blank line became a server with an empty name).
 * - A bracketed IPv6 literal `[::1]:2222` (or a bare `::1`) is accepted.
 * - A bad port or an unknown module is a `ServerListError` with a one-line message, not a panic.
 * - `--discovery MODULE:options` uses the options as the module's input when `--servers` is empty
 *   or a `/regex/` (Go ignores the options): `COMMA:a,b` lists servers, `FILE:path` names a file.
 * - The list keeps its input order unless `shuffle` is set: Go shuffles it, which made the output
 *   order (and any test of it) differ from run to run.
 * - An entry may be a host pattern (`web[01-40].example.com`, host_pattern.ts), and a server file
 *   may be an Ansible INI inventory (inventory.ts); `FILE:group` takes one group of it.
 */
import type { RegexMatcher } from "../../core/matcher.ts";
import { PatternError } from "../../core/pattern_error.ts";
import { NameBudget } from "./host_pattern.ts";
import { looksLikeInventory, parseInventory } from "./inventory.ts";
import { addressLabel, parseServerAddress, type ServerAddress } from "./server_address.ts";
import { ServerListError } from "./server_list_error.ts";
import { readSmallTextFileSync } from "../../core/small_file.ts";
import { osReason } from "../../core/source_error.ts";

export { addressLabel, parseServerAddress, type ServerAddress, ServerListError };

export interface ServerListOptions {
  /**
   * `--servers`: a comma list of servers or host patterns, a server file (one server per line, or
   * an Ansible INI inventory), `FILE:group`, or a `/regex/` filter.
   */
  servers?: string;
  /** `--discovery`: `MODULE` or `MODULE:options`; built-ins `COMMA` and `FILE`. */
  discovery?: string;
  /** `--port` / `Common.SSHPort`, used for entries without a port. */
  defaultPort: number;
  /** Shuffle like the Go client (default false: keep the input order). */
  shuffle?: boolean;
  /** For tests of `shuffle`: a `Math.random` replacement. */
  random?: () => number;
  /** Gets one line `<file>:<line>: …` per bad inventory line (default: dropped). */
  warn?: (line: string) => void;
  /** The most servers the list may name (default 100,000). */
  limit?: number;
  /**
   * Compiles a `/regex/` filter: core/matcher.ts's `compileRegex`, handed in by a caller that has
   * a filter to compile (`isServerRegex`), so that the other runs do not load the regex engine.
   */
  compileRegex?: (pattern: string) => RegexMatcher;
}

/** `--servers /regex/`: a filter of the discovered servers, not a list. */
export function isServerRegex(servers: string): boolean {
  return servers.length >= 2 && servers.startsWith("/") && servers.endsWith("/");
}

/**
 * One server before the regex filter: `key` is what the filter matches and what duplicates share
 * (the entry as written, or the inventory's host name); inventory hosts come with their address.
 */
interface Entry {
  key: string;
  address?: ServerAddress;
}

interface Context {
  defaultPort: number;
  warn: (line: string) => void;
  budget: NameBudget;
}

type Module = (input: string, ctx: Context) => Entry[];

const MODULES: Record<string, Module> = {
  COMMA: (input, ctx) => commaEntries(input, ctx),
  FILE: (spec, ctx) => fileEntries(fileSpec(spec) ?? { path: spec, group: null }, ctx),
};

/** Evaluates `--servers` / `--discovery` into the list of addresses to connect to. */
export function serverList(opts: ServerListOptions): ServerAddress[] {
  const servers = opts.servers ?? "";
  const filter = regexFilter(servers, opts.compileRegex);
  const discovery = opts.discovery ?? "";
  const ctx: Context = {
    defaultPort: opts.defaultPort,
    warn: opts.warn ?? (() => {}),
    budget: new NameBudget(opts.limit),
  };
  let entries: Entry[];
  if (discovery !== "") {
    const { module, options } = splitDiscovery(discovery);
    const input = servers !== "" && filter === null ? servers : options;
    if (input === "") {
      throw new ServerListError(
        `--discovery ${module} needs servers: use ${module}:<list or file> or --servers`,
      );
    }
    entries = module(input, ctx);
  } else if (filter !== null) {
    throw new ServerListError(
      `--servers ${servers} is a regex filter, which needs a --discovery list`,
    );
  } else {
    const file = servers === "" ? null : fileSpec(servers);
    entries = file === null ? commaEntries(servers, ctx) : fileEntries(file, ctx);
  }
  const seen = new Set<string>();
  const unique = entries.filter((e) => !seen.has(e.key) && seen.add(e.key));
  const kept = filter === null ? unique : unique.filter((e) => filter.test(e.key));
  const list = kept.map((e) => e.address ?? parseServerAddress(e.key, opts.defaultPort));
  if (opts.shuffle) shuffleInPlace(list, opts.random ?? Math.random);
  return list;
}

function commaEntries(input: string, ctx: Context): Entry[] {
  return lineEntries(input.split(","), ctx);
}

/** Entries as written, each host pattern expanded (blank ones dropped). */
function lineEntries(lines: string[], ctx: Context): Entry[] {
  return lines.map((l) => l.trim()).filter((l) => l !== "").flatMap((l) =>
    ctx.budget.expand(l).map((key) => ({ key }))
  );
}

interface FileSpec {
  path: string;
  /** `FILE:group`: the inventory group to take. */
  group: string | null;
}

/** `FILE`, or `FILE:group` when FILE is a file and `FILE:group` is not; else null. */
function fileSpec(spec: string): FileSpec | null {
  if (isFile(spec)) return { path: spec, group: null };
  const m = /^(.+):([A-Za-z_][\w-]*)$/.exec(spec);
  return m !== null && isFile(m[1]!) ? { path: m[1]!, group: m[2]! } : null;
}

function fileEntries({ path, group }: FileSpec, ctx: Context): Entry[] {
  let text: string;
  try {
    text = readSmallTextFileSync(path);
  } catch (e) {
    throw new ServerListError(`cannot read server list ${path}: ${osReason(e)}`);
  }
  if (!looksLikeInventory(text)) {
    if (group !== null && group !== "all" && group !== "ungrouped") {
      throw new ServerListError(
        `${path}:${group}: ${path} is a plain server list, not an inventory with groups ` +
          "(known: all, ungrouped)",
      );
    }
    // A comment runs from "#" to the end of its line (no host name holds a "#").
    return lineEntries(text.split("\n").map((l) => l.replace(/#.*$/, "")), ctx);
  }
  const inventory = parseInventory(text, path, { warn: ctx.warn, budget: ctx.budget });
  const hosts = inventory.hosts(group ?? "all");
  if (hosts === null) {
    const names = inventory.groupNames;
    const known = names.slice(0, 10).join(", ") +
      (names.length > 10 ? `, … (${names.length - 10} more)` : "");
    throw new ServerListError(`${path}: no group "${group}" (known: ${known})`);
  }
  return hosts.map((h) => {
    const port = h.port ?? ctx.defaultPort;
    const address: ServerAddress = {
      host: h.host,
      port,
      portGiven: h.port !== undefined,
      label: addressLabel(h.host, port),
    };
    if (h.user !== undefined) address.user = h.user;
    return { key: h.name, address };
  });
}

function splitDiscovery(discovery: string): { module: Module; options: string } {
  const colon = discovery.indexOf(":");
  const name = (colon < 0 ? discovery : discovery.slice(0, colon)).toUpperCase();
  const options = colon < 0 ? "" : discovery.slice(colon + 1);
  if (name === "" || (colon >= 0 && options === "")) {
    throw new ServerListError(`--discovery "${discovery}": expected MODULE or MODULE:options`);
  }
  const module = MODULES[name];
  if (module === undefined) {
    const known = Object.keys(MODULES).join(", ");
    throw new ServerListError(`--discovery: unknown module "${name}" (known: ${known})`);
  }
  return { module, options };
}

function regexFilter(
  servers: string,
  compileRegex: ((pattern: string) => RegexMatcher) | undefined,
): RegexMatcher | null {
  if (!isServerRegex(servers)) return null;
  if (compileRegex === undefined) {
    throw new Error("serverList: a /regex/ filter needs compileRegex");
  }
  try {
    return compileRegex(servers.slice(1, -1));
  } catch (e) {
    const why = e instanceof PatternError ? e.message : String(e);
    throw new ServerListError(`--servers ${servers}: bad regex: ${why}`);
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function shuffleInPlace<T>(list: T[], random: () => number): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
}
