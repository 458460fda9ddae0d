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
 */
import { compileRegex, PatternError, type RegexMatcher } from "../../core/matcher.ts";
import { SetupError } from "../../core/errors.ts";

export interface ServerAddress {
  host: string;
  port: number;
  /** `host:port`, or `[v6addr]:port`. */
  label: string;
}

export class ServerListError extends SetupError {
  override name = "ServerListError";
}

export interface ServerListOptions {
  /** `--servers`: a comma list, a file with one server per line, or a `/regex/` filter. */
  servers?: string;
  /** `--discovery`: `MODULE` or `MODULE:options`; built-ins `COMMA` and `FILE`. */
  discovery?: string;
  /** `--port` / `Common.SSHPort`, used for entries without a port. */
  defaultPort: number;
  /** Shuffle like the Go client (default false: keep the input order). */
  shuffle?: boolean;
  /** For tests of `shuffle`: a `Math.random` replacement. */
  random?: () => number;
}

type Module = (input: string) => string[];

const MODULES: Record<string, Module> = {
  COMMA: (input) => input.split(","),
  FILE: (path) => readServerFile(path),
};

/** Evaluates `--servers` / `--discovery` into the list of addresses to connect to. */
export function serverList(opts: ServerListOptions): ServerAddress[] {
  const servers = opts.servers ?? "";
  const filter = regexFilter(servers);
  const discovery = opts.discovery ?? "";
  let entries: string[];
  if (discovery !== "") {
    const { module, options } = splitDiscovery(discovery);
    const input = servers !== "" && filter === null ? servers : options;
    if (input === "") {
      throw new ServerListError(
        `--discovery ${module} needs servers: use ${module}:<list or file> or --servers`,
      );
    }
    entries = module(input);
  } else if (filter !== null) {
    throw new ServerListError(
      `--servers ${servers} is a regex filter, which needs a --discovery list`,
    );
  } else if (servers !== "" && isFile(servers)) {
    entries = readServerFile(servers);
  } else {
    entries = servers.split(",");
  }
  const unique = [...new Set(entries.map((e) => e.trim()).filter((e) => e !== ""))];
  const kept = filter === null ? unique : unique.filter((e) => filter.test(e));
  const list = kept.map((e) => parseServerAddress(e, opts.defaultPort));
  if (opts.shuffle) shuffleInPlace(list, opts.random ?? Math.random);
  return list;
}

/** Parses `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal. */
export function parseServerAddress(entry: string, defaultPort: number): ServerAddress {
  let host: string;
  let portText: string | undefined;
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if (entry.indexOf(":") !== entry.lastIndexOf(":")) {
    host = entry; // a bare IPv6 literal; it has no port
  } else {
    const colon = entry.indexOf(":");
    host = colon < 0 ? entry : entry.slice(0, colon);
    portText = colon < 0 ? undefined : entry.slice(colon + 1);
  }
  if (host === "") throw new ServerListError(`server "${entry}": empty host name`);
  const port = portText === undefined ? defaultPort : parsePort(portText, entry);
  return { host, port, label: addressLabel(host, port) };
}

/** `host:port`, with brackets around an IPv6 literal. */
export function addressLabel(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function parsePort(text: string, entry: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new ServerListError(`server "${entry}": port must be a number from 1 to 65535`);
  }
  return port;
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

function regexFilter(servers: string): RegexMatcher | null {
  if (servers.length < 2 || !servers.startsWith("/") || !servers.endsWith("/")) return null;
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

function readServerFile(path: string): string[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new ServerListError(`cannot read server list ${path}: ${(e as Error).message}`);
  }
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

function shuffleInPlace<T>(list: T[], random: () => number): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
}
