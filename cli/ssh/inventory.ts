/**
 * Ansible INI inventories as server lists (docs/decisions.md, "Ansible inventories as server
 * lists"): `[group]` sections of host lines, `[group:children]`, `[group:vars]`, host patterns and
 * the host vars that say where to connect (`ansible_host`, `ansible_port`, `ansible_user` and their
 * `ansible_ssh_*` forms). Every other variable is read and ignored.
 *
 * Variable precedence is Ansible's, simplified: host vars beat group vars; of two groups the
 * deeper one wins (a child beats its parent, every group beats `all`), and of two groups at the
 * same depth the one whose name sorts last. `ansible_group_priority` is not read.
 *
 * A bad line is one warning `<file>:<line>: …` and is skipped; only the limit on the number of
 * names (host_pattern.ts) ends the parse.
 */
import { countHostPattern, NameBudget } from "./host_pattern.ts";
import { parsePort, parseServerAddress } from "./server_address.ts";
import { ServerListError } from "./server_list_error.ts";

/** The variables that say where and as whom to connect. */
export interface HostVars {
  host?: string;
  port?: number;
  user?: string;
}

/** One host of an inventory: its name, and where to connect. */
export interface InventoryHost {
  /** The name in the inventory. */
  name: string;
  /** `ansible_host`, else the name. */
  host: string;
  port?: number;
  user?: string;
}

export interface InventoryOptions {
  warn: (line: string) => void;
  /** Counts the names of host patterns; a fresh one (100,000 names) by default. */
  budget?: NameBudget;
}

const VAR_NAMES: Record<string, keyof HostVars> = {
  ansible_host: "host",
  ansible_ssh_host: "host",
  ansible_port: "port",
  ansible_ssh_port: "port",
  ansible_user: "user",
  ansible_ssh_user: "user",
};

interface Group {
  hosts: Set<string>;
  children: string[];
  parents: string[];
  vars: HostVars;
}

/** A parsed inventory: its groups and the hosts each one holds. */
export class Inventory {
  constructor(
    private readonly groups: Map<string, Group>,
    private readonly hostVars: Map<string, HostVars>,
    private readonly hostGroups: Map<string, Set<string>>,
  ) {}

  /** `all`, `ungrouped`, then the groups in the order the file names them. */
  get groupNames(): string[] {
    return [...this.groups.keys()];
  }

  /** The hosts of `group` and of its children, in file order; null for an unknown group. */
  hosts(group = "all"): InventoryHost[] | null {
    if (!this.groups.has(group)) return null;
    const selected = this.#closure(group);
    const depth = new Map<string, number>();
    // Hosts of one fleet share a few group sets: their merged group vars are computed once each.
    const groupVars = new Map<string, HostVars>();
    const hosts: InventoryHost[] = [];
    for (const [name, own] of this.hostVars) {
      const groups = this.#groupsOf(name);
      if (!selected.has("all") && !groups.some((g) => selected.has(g))) continue;
      const key = groups.join("\n");
      let inherited = groupVars.get(key);
      if (inherited === undefined) groupVars.set(key, inherited = this.#varsOf(groups, depth));
      const vars = { ...inherited, ...own };
      hosts.push({ name, ...vars, host: vars.host ?? name });
    }
    return hosts;
  }

  #closure(group: string): Set<string> {
    const seen = new Set([group]);
    for (const g of seen) for (const c of this.groups.get(g)!.children) seen.add(c);
    return seen;
  }

  /** The groups that list the host itself, or `ungrouped` when there is none but those two. */
  #groupsOf(host: string): string[] {
    const own = [...this.hostGroups.get(host)!].filter((g) => g !== "all" && g !== "ungrouped");
    return own.length === 0 ? ["ungrouped"] : own;
  }

  /** The vars of these groups, their ancestors and `all`, the deepest (then last-named) winning. */
  #varsOf(own: string[], depth: Map<string, number>): HostVars {
    const depthOf = (g: string): number => {
      if (g === "all") return 0;
      if (!depth.has(g)) depth.set(g, 1 + Math.max(0, ...this.groups.get(g)!.parents.map(depthOf)));
      return depth.get(g)!;
    };
    const groups = new Set(["all", ...own]);
    for (const g of groups) for (const p of this.groups.get(g)!.parents) groups.add(p);
    const sorted = [...groups].sort((a, b) =>
      depthOf(a) - depthOf(b) || (a < b ? -1 : a > b ? 1 : 0)
    );
    const vars: HostVars = {};
    for (const g of sorted) Object.assign(vars, this.groups.get(g)!.vars);
    return vars;
  }
}

/** Whether a server file is an inventory: a `[section]` line or a `key=value` host var. */
export function looksLikeInventory(text: string): boolean {
  return text.split("\n").some((raw) => {
    const line = raw.trim();
    if (line.startsWith("#") || line.startsWith(";")) return false;
    return line.includes("=") || sectionLine(line) !== null;
  });
}

export function parseInventory(text: string, file: string, opts: InventoryOptions): Inventory {
  const parser = new Parser(file, opts.warn, opts.budget ?? new NameBudget());
  text.split("\n").forEach((line, i) => parser.line(line.trim(), i + 1));
  return parser.finish();
}

type Section = { group: string | null; kind: "hosts" | "vars" | "children" } | "skip";

class Parser {
  readonly groups = new Map<string, Group>();
  readonly hostVars = new Map<string, HostVars>();
  readonly hostGroups = new Map<string, Set<string>>();
  readonly children: { parent: string; child: string; line: number }[] = [];
  readonly warnings: { line: number; text: string }[] = [];
  section: Section = { group: null, kind: "hosts" };

  constructor(
    readonly file: string,
    readonly warnLine: (line: string) => void,
    readonly budget: NameBudget,
  ) {
    this.group("all");
    this.group("ungrouped");
  }

  warn(line: number, why: string): void {
    this.warnings.push({ line, text: `${this.file}:${line}: ${why}` });
  }

  group(name: string): Group {
    let g = this.groups.get(name);
    if (g === undefined) {
      g = { hosts: new Set(), children: [], parents: [], vars: {} };
      this.groups.set(name, g);
    }
    return g;
  }

  line(line: string, n: number): void {
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const header = sectionLine(line);
    if (header !== null) return this.header(header, line, n);
    if (this.section === "skip") return;
    const { group, kind } = this.section;
    if (kind === "hosts") this.hostLine(line, n, group);
    else if (kind === "vars") this.varLine(line, n, group!);
    else this.childLine(line, n, group!);
  }

  header(inner: string | undefined, line: string, n: number): void {
    this.section = "skip";
    if (inner === undefined) {
      return this.warn(n, `section header "${line}" has no closing "]"; its lines are skipped`);
    }
    const m = /^([^:\]\s]+)(?::(\S+))?$/.exec(inner);
    const kind = m?.[2] ?? "hosts";
    if (m === null || !["hosts", "vars", "children"].includes(kind) || m[2] === "hosts") {
      return this.warn(
        n,
        `unknown section "[${inner}]" (expected [group], [group:vars] or [group:children]); ` +
          "its lines are skipped",
      );
    }
    this.group(m[1]!);
    this.section = { group: m[1]!, kind: kind as "hosts" | "vars" | "children" };
  }

  hostLine(line: string, n: number, group: string | null): void {
    const words = tokens(line);
    if (words === null) return this.warn(n, "a quote is not closed");
    const [pattern, ...assignments] = words as [string, ...string[]];
    const vars: HostVars = {};
    for (const a of assignments) {
      const eq = a.indexOf("=");
      if (eq <= 0) return this.warn(n, `expected key=value after the host name, got "${a}"`);
      if (!this.setVar(vars, a.slice(0, eq), a.slice(eq + 1), n)) return;
    }
    try {
      countHostPattern(pattern);
    } catch (e) {
      return this.warn(n, (e as Error).message);
    }
    const names = this.budget.expand(pattern);
    const hosts: [string, HostVars][] = [];
    for (const name of names) {
      try {
        const address = parseServerAddress(name, 0);
        hosts.push([address.host, address.portGiven ? { port: address.port, ...vars } : vars]);
      } catch (e) {
        if (!(e instanceof ServerListError)) throw e;
        return this.warn(n, e.message);
      }
    }
    for (const [host, own] of hosts) {
      this.hostVars.set(host, { ...this.hostVars.get(host), ...own });
      let member = this.hostGroups.get(host);
      if (member === undefined) this.hostGroups.set(host, member = new Set());
      if (group !== null) {
        member.add(group);
        this.groups.get(group)!.hosts.add(host);
      }
    }
  }

  varLine(line: string, n: number, group: string): void {
    const eq = line.indexOf("=");
    const key = line.slice(0, Math.max(eq, 0)).trim();
    if (eq <= 0 || /\s/.test(key)) {
      return this.warn(n, `expected key=value in [${group}:vars], got "${line}"`);
    }
    const words = tokens(line.slice(eq + 1));
    if (words === null) return this.warn(n, "a quote is not closed");
    this.setVar(this.groups.get(group)!.vars, key, words.join(" "), n);
  }

  childLine(line: string, n: number, parent: string): void {
    const words = tokens(line);
    if (words === null || words.length !== 1) {
      return this.warn(n, `expected one group name in [${parent}:children], got "${line}"`);
    }
    this.children.push({ parent, child: words[0]!, line: n });
  }

  /** Sets a known variable; false (after a warning) for a value that cannot be used. */
  setVar(vars: HostVars, key: string, value: string, n: number): boolean {
    if (value === "") {
      this.warn(n, `"${key}=" has no value`);
      return false;
    }
    const name = VAR_NAMES[key];
    if (name === "port") {
      try {
        vars.port = parsePort(value, key);
      } catch {
        this.warn(n, `${key} "${value}" is not a port from 1 to 65535`);
        return false;
      }
    } else if (name !== undefined) vars[name] = value;
    return true;
  }

  finish(): Inventory {
    for (const { parent, child, line } of this.children) {
      const p = this.groups.get(parent)!;
      const c = this.groups.get(child);
      if (c === undefined) {
        this.warn(line, `[${parent}:children] names unknown group "${child}"`);
      } else if (child === "all" || this.reaches(child, parent)) {
        this.warn(line, `[${parent}:children] "${child}" would make "${parent}" contain itself`);
      } else if (!p.children.includes(child)) {
        p.children.push(child);
        c.parents.push(parent);
      }
    }
    // The warnings about children come after the whole file is read; all go out in line order.
    this.warnings.sort((a, b) => a.line - b.line).forEach((w) => this.warnLine(w.text));
    return new Inventory(this.groups, this.hostVars, this.hostGroups);
  }

  reaches(from: string, to: string): boolean {
    const seen = new Set([from]);
    for (const g of seen) for (const c of this.groups.get(g)!.children) seen.add(c);
    return seen.has(to);
  }
}

/**
 * `[text]` (with an optional `#` comment) gives "text", an unterminated `[text` gives undefined,
 * anything else (a host line, also `[::1]:2222`) null.
 */
function sectionLine(line: string): string | undefined | null {
  if (!line.startsWith("[")) return null;
  const m = /^\[([^\]]*)\]\s*(?:#.*)?$/.exec(line);
  if (m !== null) return isIpv6(m[1]!) ? null : m[1]!;
  return line.includes("]") ? null : undefined;
}

function isIpv6(text: string): boolean {
  return /^[0-9A-Fa-f.:]+(%[\w.-]+)?$/.test(text) && text.split(":").length > 2;
}

/** Splits like Ansible (Python's shlex): quotes group words, `#` outside quotes ends the line. */
function tokens(line: string): string[] | null {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | null = null;
  for (const c of line) {
    if (quote !== null) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === "#") break;
    else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) return null;
  if (inWord) words.push(word);
  return words;
}
