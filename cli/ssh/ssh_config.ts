/**
 * The OpenSSH client config (ssh_config(5)) as DTail uses it (docs/usage.md#openssh-client-config):
 * `Host`/`Match` blocks, `Include`, and the keywords that say where and how to connect
 * (`HostName`, `Port`, `User`, `IdentityFile`, `IdentitiesOnly`, `UserKnownHostsFile`,
 * `StrictHostKeyChecking`, `ProxyJump`). Every other keyword OpenSSH knows is read and ignored.
 *
 * Files are parsed once into a list of settings, each with the block conditions it sits under;
 * `resolve` walks that list for one alias, first obtained value wins (`IdentityFile` accumulates),
 * exactly as `ssh` reads its files. A bad line is one warning naming file and line at load time
 * and is skipped; nothing here throws except a missing or unreadable `-F` file.
 */
import { SetupError } from "../../core/errors.ts";
import { readSmallTextFileSync } from "../../core/small_file.ts";
import {
  compileMatch,
  type Condition,
  globSegmentMatcher,
  holds,
  type MatchState,
  NEVER,
  PatternList,
} from "./ssh_config_match.ts";

/** A `-F` file that cannot be read. */
export class SshConfigError extends SetupError {
  override name = "SshConfigError";
}

export interface JumpHost {
  host: string;
  port: number | null;
  user: string | null;
}

export type StrictHostKeyChecking = "yes" | "no" | "accept-new" | "ask";

export interface SshHostConfig {
  /** HostName with `%h` expanded; the alias itself when not set. */
  hostName: string;
  /** null: not set. */
  port: number | null;
  user: string | null;
  /** Every IdentityFile that applies, in order, without duplicates, `~` and %-tokens expanded. */
  identityFiles: string[];
  identitiesOnly: boolean | null;
  /** The files of the first UserKnownHostsFile that applies, expanded ("none" is /dev/null); [] = not set. */
  userKnownHostsFiles: string[];
  strictHostKeyChecking: StrictHostKeyChecking | null;
  /** null: not set, or "none" (or an unsupported ProxyCommand came first). */
  proxyJump: JumpHost[] | null;
}

export interface SshConfigContext {
  home: string;
  localUser: string;
}

export interface SshConfig {
  /** The settings for `alias` (the name as the user typed it), first obtained value wins. */
  resolve(alias: string, ctx: SshConfigContext): SshHostConfig;
  /** The files read, in the order read. */
  readonly files: readonly string[];
}

/** Reads a file: its text, null when it does not exist; throws when it cannot be read. */
export type ReadFile = (path: string) => string | null;
/** The names in a directory, null when it cannot be listed. */
export type ListDir = (dir: string) => string[] | null;

export interface ParseOptions {
  warn: (line: string) => void;
  /** For `~` in Include paths. */
  home: string;
  /** Where relative Include paths start: ~/.ssh for a user file (the default), /etc/ssh for the system file. */
  includeDir?: string;
  readFile?: ReadFile;
  listDir?: ListDir;
}

export interface LoadOptions {
  /** `-F FILE`; null reads ~/.ssh/config then /etc/ssh/ssh_config; "none" reads nothing. */
  path: string | null;
  home: string;
  warn: (line: string) => void;
  readFile?: ReadFile;
  listDir?: ListDir;
  /** The system-wide file, /etc/ssh/ssh_config by default; its Includes start in its folder. */
  systemPath?: string;
}

const SYSTEM_CONFIG = "/etc/ssh/ssh_config";
/** OpenSSH's READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;
/** Files read by one load, so that a pathological Include tree cannot run for long. */
const MAX_FILES = 1000;
/** The port `%p` stands for when no Port applies (OpenSSH's default). */
const DEFAULT_SSH_PORT = 22;

type Setting =
  | { key: "hostName" | "user" | "identityFile"; value: string }
  | { key: "port"; value: number }
  | { key: "identitiesOnly"; value: boolean }
  | { key: "userKnownHostsFiles"; value: string[] }
  | { key: "strictHostKeyChecking"; value: StrictHostKeyChecking }
  /** ProxyJump and ProxyCommand share one slot, as in OpenSSH: the first one given wins. */
  | { key: "proxy"; value: JumpHost[] | null };

interface Directive {
  /** The conditions of the enclosing blocks, outermost first (Include nests them). */
  readonly conds: readonly Condition[];
  readonly setting: Setting;
}

/** The keywords DTail reads, by lower-case name. */
const USED: Record<string, string> = {
  host: "Host",
  match: "Match",
  include: "Include",
  hostname: "HostName",
  port: "Port",
  user: "User",
  identityfile: "IdentityFile",
  identitiesonly: "IdentitiesOnly",
  userknownhostsfile: "UserKnownHostsFile",
  stricthostkeychecking: "StrictHostKeyChecking",
  proxyjump: "ProxyJump",
  proxycommand: "ProxyCommand",
  ignoreunknown: "IgnoreUnknown",
};

/**
 * Every other keyword of OpenSSH 9/10's ssh_config (with the old names it still accepts, Debian's
 * GSSAPI and keep-alive additions, and Apple's UseKeychain): accepted and ignored.
 */
const IGNORED = new Set(
  `addkeystoagent addressfamily batchmode bindaddress bindinterface canonicaldomains
  canonicalizefallbacklocal canonicalizehostname canonicalizemaxdots canonicalizepermittedcnames
  casignaturealgorithms certificatefile channeltimeout checkhostip ciphers clearallforwardings
  compression connectionattempts connecttimeout controlmaster controlpath controlpersist
  dynamicforward enableescapecommandline enablesshkeysign escapechar exitonforwardfailure
  fingerprinthash forkafterauthentication forwardagent forwardx11 forwardx11timeout
  forwardx11trusted gatewayports globalknownhostsfile gssapiauthentication gssapiclientidentity
  gssapidelegatecredentials gssapikeyexchange gssapirenewalforcesrekey gssapiserveridentity
  gssapitrustdns gssapikexalgorithms hashknownhosts hostbasedacceptedalgorithms
  hostbasedauthentication hostkeyalgorithms hostkeyalias identityagent ipqos kbdinteractiveauthentication
  kbdinteractivedevices kexalgorithms knownhostscommand localcommand localforward loglevel
  logverbose macs nohostauthenticationforlocalhost numberofpasswordprompts
  obscurekeystroketiming passwordauthentication permitlocalcommand permitremoteopen
  pkcs11provider preferredauthentications proxyusefdpass pubkeyacceptedalgorithms
  pubkeyauthentication refuseconnection rekeylimit remotecommand remoteforward requesttty
  requiredrsasize revokedhostkeys securitykeyprovider sendenv serveralivecountmax
  serveraliveinterval sessiontype setenv stdinnull streamlocalbindmask streamlocalbindunlink
  syslogfacility tag tcpkeepalive tunnel tunneldevice updatehostkeys verifyhostkeydns
  versionaddendum visualhostkey warnweakcrypto xauthlocation
  afstokenpassing challengeresponseauthentication cipher compressionlevel dsaauthentication
  fallbacktorsh globalknownhostsfile2 hostbasedkeytypes hostbasedacceptedkeytypes keepalive
  kerberosauthentication kerberostgtpassing protocol pubkeyacceptedkeytypes
  rhostsauthentication rhostsrsaauthentication rsaauthentication skeyauthentication
  smartcarddevice tisauthentication useprivilegedport useroaming usersh userknownhostsfile2
  protocolkeepalives setuptimeout usekeychain`.split(/\s+/),
);

/** The %-tokens each expanded keyword accepts (a subset of OpenSSH's, see docs/decisions.md). */
const HOSTNAME_TOKENS = "h%";
const PATH_TOKENS = "dhnpru%";

/**
 * Parses one config text (`file` names it in warnings and resolves nothing by itself). Includes
 * are read through `opts.readFile`.
 */
export function parseSshConfig(text: string, file: string, opts: ParseOptions): SshConfig {
  const reader = new Reader(opts);
  reader.text(text, file, opts.includeDir ?? `${trimSlash(opts.home)}/.ssh`, [], 0, [file]);
  return new ParsedConfig(reader.directives, reader.files);
}

/**
 * Loads `-F path`, or ~/.ssh/config then the system file (a missing one is fine, an unreadable
 * one is a warning). Throws SshConfigError when the `-F` file cannot be read.
 */
export function loadSshConfig(opts: LoadOptions): SshConfig {
  if (opts.path === "none") return NO_SSH_CONFIG;
  const readFile = opts.readFile ?? readFileOrNull;
  const reader = new Reader({ ...opts, readFile });
  const userDir = `${trimSlash(opts.home)}/.ssh`;
  if (opts.path !== null) {
    let text: string | null;
    try {
      text = readFile(opts.path);
    } catch (e) {
      throw new SshConfigError(`cannot read ssh config ${opts.path}: ${reason(e)}`);
    }
    if (text === null) {
      throw new SshConfigError(`cannot read ssh config ${opts.path}: no such file`);
    }
    reader.text(text, opts.path, userDir, [], 0, [opts.path]);
  } else {
    const system = opts.systemPath ?? SYSTEM_CONFIG;
    reader.file(`${userDir}/config`, userDir, [], 0, [], null);
    reader.file(system, dirname(system), [], 0, [], null);
  }
  return new ParsedConfig(reader.directives, reader.files);
}

/** Consecutive settings under the same conditions, which are then decided once. */
interface Run {
  /** Indexes into the config's conditions, outermost first. */
  readonly conds: readonly number[];
  readonly settings: Setting[];
}

class ParsedConfig implements SshConfig {
  readonly #conditions: Condition[] = [];
  readonly #runs: Run[] = [];

  constructor(directives: readonly Directive[], readonly files: readonly string[]) {
    const index = new Map<Condition, number>();
    let last: readonly Condition[] | null = null;
    for (const d of directives) {
      if (d.conds !== last) {
        const conds = d.conds.map((c) => {
          let i = index.get(c);
          if (i === undefined) index.set(c, i = this.#conditions.push(c) - 1);
          return i;
        });
        this.#runs.push({ conds, settings: [] });
        last = d.conds;
      }
      this.#runs[this.#runs.length - 1]!.settings.push(d.setting);
    }
  }

  resolve(alias: string, ctx: SshConfigContext): SshHostConfig {
    let hostName: string | null = null;
    let port: number | null = null;
    let user: string | null = null;
    const identityFiles: string[] = [];
    let identitiesOnly: boolean | null = null;
    let knownHosts: string[] | null = null;
    let strict: StrictHostKeyChecking | null = null;
    let proxy: JumpHost[] | null | undefined = undefined;
    const state: MatchState = {
      alias,
      localUser: ctx.localUser,
      hostSoFar: () => hostName === null ? alias : expandHostName(hostName, alias),
      userSoFar: () => user ?? ctx.localUser,
    };
    // A block's condition is decided once, when its first line is reached (OpenSSH decides at the
    // Host/Match line; no setting can come in between). 0: not yet, 1: holds, 2: does not.
    const decided = new Uint8Array(this.#conditions.length);
    next: for (const run of this.#runs) {
      for (const c of run.conds) {
        if (decided[c] === 0) decided[c] = holds(this.#conditions[c]!, state) ? 1 : 2;
        if (decided[c] === 2) continue next;
      }
      for (const s of run.settings) {
        switch (s.key) {
          case "hostName":
            hostName ??= s.value;
            break;
          case "port":
            port ??= s.value;
            break;
          case "user":
            user ??= s.value;
            break;
          case "identityFile":
            identityFiles.push(s.value);
            break;
          case "identitiesOnly":
            identitiesOnly ??= s.value;
            break;
          case "userKnownHostsFiles":
            knownHosts ??= s.value;
            break;
          case "strictHostKeyChecking":
            strict ??= s.value;
            break;
          case "proxy":
            if (proxy === undefined) proxy = s.value;
            break;
        }
      }
    }
    const host = hostName === null ? alias : expandHostName(hostName, alias);
    const home = trimSlash(ctx.home);
    const tokens: Record<string, string> = {
      d: home,
      h: host,
      n: alias,
      p: String(port ?? DEFAULT_SSH_PORT),
      r: user ?? ctx.localUser,
      u: ctx.localUser,
      "%": "%",
    };
    const path = (v: string) => expandTokens(expandTilde(v, home), tokens);
    return {
      hostName: host,
      port,
      user,
      identityFiles: [...new Set(identityFiles.filter((f) => f !== "none").map(path))],
      identitiesOnly,
      userKnownHostsFiles: (knownHosts ?? []).map((f) => f === "none" ? "/dev/null" : path(f)),
      strictHostKeyChecking: strict,
      proxyJump: proxy ?? null,
    };
  }
}

/** `--ssh-config none`: every alias resolves to itself and nothing else is set. */
export const NO_SSH_CONFIG: SshConfig = new ParsedConfig([], []);

/** Reads files into directives, warning once per bad line. */
class Reader {
  readonly directives: Directive[] = [];
  readonly files: string[] = [];
  readonly #warned = new Set<string>();
  readonly #ignoreUnknown: PatternList[] = [];
  readonly #readFile: ReadFile;
  readonly #listDir: ListDir;
  #filesRead = 0;

  constructor(private readonly opts: ParseOptions) {
    this.#readFile = opts.readFile ?? readFileOrNull;
    this.#listDir = opts.listDir ?? listDirOrNull;
  }

  warn(line: string): void {
    if (this.#warned.has(line)) return;
    this.#warned.add(line);
    this.opts.warn(line);
  }

  /** Reads one file; `where` is the Include line that named it (null for a top-level file). */
  file(
    path: string,
    includeDir: string,
    outer: readonly Condition[],
    depth: number,
    stack: readonly string[],
    where: string | null,
  ): void {
    if (stack.includes(path)) {
      this.warn(`${where}: Include loop, ${path} is not read again`);
      return;
    }
    if (depth > MAX_INCLUDE_DEPTH) {
      this.warn(
        `${where}: Include nested deeper than ${MAX_INCLUDE_DEPTH} files, ${path} is not read`,
      );
      return;
    }
    if (++this.#filesRead > MAX_FILES) {
      this.warn(`${where}: more than ${MAX_FILES} ssh config files, ${path} is not read`);
      return;
    }
    let text: string | null;
    try {
      text = this.#readFile(path);
    } catch (e) {
      this.warn(`${path}: cannot read ssh config: ${reason(e)}`);
      return;
    }
    if (text !== null) this.text(text, path, includeDir, outer, depth, [...stack, path]);
  }

  text(
    text: string,
    file: string,
    includeDir: string,
    outer: readonly Condition[],
    depth: number,
    stack: readonly string[],
  ): void {
    if (!this.files.includes(file)) this.files.push(file);
    let conds = outer;
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = splitKeyword(lines[i]!);
      if (line === null) continue;
      const where = `${file}:${i + 1}`;
      const key = line.keyword.toLowerCase();
      if (key === "host" || key === "match") {
        conds = [...outer, this.#block(key, line.rest, where)];
        continue;
      }
      if (key === "include") {
        for (const path of this.#includePaths(line.rest, includeDir, where)) {
          this.file(path, includeDir, conds, depth + 1, stack, where);
        }
        continue;
      }
      const setting = this.#setting(key, line.keyword, line.rest, where);
      if (setting !== null) this.directives.push({ conds, setting });
    }
  }

  #block(key: "host" | "match", rest: string, where: string): Condition {
    const args = this.#args(rest, USED[key]!, where);
    if (args === null) return NEVER;
    if (key === "host") return { kind: "host", list: new PatternList(args, false) };
    const match = compileMatch(args);
    if ("error" in match) {
      this.warn(`${where}: ${match.error}`);
      return NEVER;
    }
    return match;
  }

  /** The arguments of a line, or null (and a warning) when there are none or a quote is open. */
  #args(rest: string, name: string, where: string): string[] | null {
    const args = splitArgs(rest);
    if (args === null) {
      this.warn(`${where}: unterminated quote in ${name} value`);
      return null;
    }
    if (args.length === 0) {
      this.warn(`${where}: missing ${name} value`);
      return null;
    }
    return args;
  }

  #includePaths(rest: string, includeDir: string, where: string): string[] {
    const args = this.#args(rest, "Include", where);
    if (args === null) return [];
    const home = trimSlash(this.opts.home);
    return args.flatMap((arg) => {
      let path = arg === "~" || arg.startsWith("~/") ? home + arg.slice(1) : arg;
      if (!path.startsWith("/")) path = `${includeDir}/${path}`;
      return expandGlob(path, this.#listDir);
    });
  }

  /** The setting of one keyword line, or null when it sets nothing we use (or is bad). */
  #setting(key: string, keyword: string, rest: string, where: string): Setting | null {
    const name = USED[key];
    if (name === undefined) {
      if (IGNORED.has(key)) {
        if (splitArgs(rest)?.length === 0) this.warn(`${where}: missing ${keyword} value`);
      } else if (!this.#ignoreUnknown.some((list) => list.test(key))) {
        this.warn(`${where}: unknown keyword "${keyword}"`);
      }
      return null;
    }
    if (key === "proxycommand") {
      if (rest.trim().toLowerCase() === "none") return { key: "proxy", value: null };
      if (rest.trim() === "" || rest.trim().startsWith("#")) {
        this.warn(`${where}: missing ProxyCommand value`);
        return null;
      }
      this.warn(`${where}: ProxyCommand is not supported, use ProxyJump`);
      return { key: "proxy", value: null };
    }
    const args = this.#args(rest, name, where);
    if (args === null) return null;
    if (key === "ignoreunknown") {
      this.#ignoreUnknown.push(new PatternList(args.join(",").split(","), true));
      return null;
    }
    const setting = settingOf(key, args);
    if (setting === null) this.warn(`${where}: bad ${name} value "${args.join(" ")}"`);
    return setting;
  }
}

/** The setting of a used keyword from its arguments, or null when the value is bad. */
function settingOf(key: string, args: string[]): Setting | null {
  if (key === "userknownhostsfile") {
    if (!args.every((a) => a !== "" && validPath(a))) return null;
    return { key: "userKnownHostsFiles", value: args };
  }
  const [value] = args;
  if (args.length !== 1 || value === undefined || value === "") return null;
  switch (key) {
    case "hostname":
      return validTokens(value, HOSTNAME_TOKENS) ? { key: "hostName", value } : null;
    case "port": {
      const port = /^[0-9]{1,5}$/.test(value) ? Number(value) : 0;
      return port >= 1 && port <= 65535 ? { key: "port", value: port } : null;
    }
    case "user":
      return { key: "user", value };
    case "identityfile":
      return validPath(value) ? { key: "identityFile", value } : null;
    case "identitiesonly": {
      const flag = YES_NO[value.toLowerCase()];
      return flag === undefined ? null : { key: "identitiesOnly", value: flag };
    }
    case "stricthostkeychecking": {
      const mode = STRICT[value.toLowerCase()];
      return mode === undefined ? null : { key: "strictHostKeyChecking", value: mode };
    }
    case "proxyjump": {
      if (value.toLowerCase() === "none") return { key: "proxy", value: null };
      const jumps = parseProxyJump(value);
      return jumps === null ? null : { key: "proxy", value: jumps };
    }
  }
  return null;
}

const YES_NO: Record<string, boolean> = { yes: true, true: true, no: false, false: false };
const STRICT: Record<string, StrictHostKeyChecking> = {
  yes: "yes",
  true: "yes",
  no: "no",
  off: "no",
  false: "no",
  ask: "ask",
  "accept-new": "accept-new",
};

/**
 * A ProxyJump list: `[user@]host[:port]` or `ssh://[user@]host[:port]` entries separated by
 * commas, IPv6 addresses in brackets. null when an entry is malformed.
 */
export function parseProxyJump(value: string): JumpHost[] | null {
  const jumps: JumpHost[] = [];
  for (const entry of value.split(",")) {
    const jump = entry.startsWith("ssh://") ? parseUri(entry.slice(6)) : parseUserHostPort(entry);
    if (jump === null) return null;
    jumps.push(jump);
  }
  return jumps;
}

function parseUserHostPort(entry: string): JumpHost | null {
  const at = entry.lastIndexOf("@");
  const user = at < 0 ? null : entry.slice(0, at);
  if (user === "") return null;
  return withUser(parseHostPort(entry.slice(at + 1)), user);
}

/** `ssh://[user[;params]@]host[:port][/]`, the user percent-decoded (RFC 4248 style). */
function parseUri(rest: string): JumpHost | null {
  const authority = rest.endsWith("/") ? rest.slice(0, -1) : rest;
  if (authority.includes("/")) return null;
  const at = authority.lastIndexOf("@");
  let user: string | null = null;
  if (at >= 0) {
    try {
      user = decodeURIComponent(authority.slice(0, at).split(";")[0]!);
    } catch {
      return null;
    }
    if (user === "") return null;
  }
  return withUser(parseHostPort(authority.slice(at + 1)), user);
}

function withUser(hp: { host: string; port: number | null } | null, user: string | null) {
  return hp === null ? null : { host: hp.host, port: hp.port, user };
}

function parseHostPort(text: string): { host: string; port: number | null } | null {
  let host: string;
  let portText: string | null = null;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return null;
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) return null;
    if (after !== "") portText = after.slice(1);
    if (!/^[0-9A-Za-z:.%_-]+$/.test(host)) return null;
  } else {
    const colon = text.indexOf(":");
    host = colon < 0 ? text : text.slice(0, colon);
    if (colon >= 0) portText = text.slice(colon + 1);
    if (!/^[^\s/@[\]:]+$/.test(host)) return null;
  }
  if (portText === null || portText === "") return { host, port: null };
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : 0;
  return port >= 1 && port <= 65535 ? { host, port } : null;
}

/** A keyword and the rest of its line, or null for a blank or comment line. */
function splitKeyword(raw: string): { keyword: string; rest: string } | null {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  let i = 0;
  while (i < line.length && isSpace(line[i]!)) i++;
  if (i === line.length || line[i] === "#") return null;
  const start = i;
  while (i < line.length && !isSpace(line[i]!) && line[i] !== "=") i++;
  const keyword = line.slice(start, i);
  while (i < line.length && isSpace(line[i]!)) i++;
  if (line[i] === "=") i++;
  return { keyword, rest: line.slice(i) };
}

/**
 * The arguments of a line as OpenSSH splits them: whitespace-separated, "double" or 'single'
 * quotes group, a backslash escapes a quote, a backslash or a space, and a word starting with `#`
 * starts a comment. null when a quote is not closed.
 */
export function splitArgs(rest: string): string[] | null {
  const args: string[] = [];
  let i = 0;
  for (;;) {
    while (i < rest.length && isSpace(rest[i]!)) i++;
    if (i >= rest.length || rest[i] === "#") return args;
    let arg = "";
    let quote: string | null = null;
    for (; i < rest.length; i++) {
      const c = rest[i]!;
      if (quote === null && isSpace(c)) break;
      const n = rest[i + 1];
      if (c === "\\" && (n === '"' || n === "'" || n === "\\" || (quote === null && n === " "))) {
        arg += n;
        i++;
      } else if (quote === null && (c === '"' || c === "'")) quote = c;
      else if (c === quote) quote = null;
      else arg += c;
    }
    if (quote !== null) return null;
    args.push(arg);
  }
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v";
}

/** Whether every `%x` in `value` is one of `allowed` (OpenSSH refuses unknown tokens). */
function validTokens(value: string, allowed: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== "%") continue;
    const t = value[++i];
    if (t === undefined || !allowed.includes(t)) return false;
  }
  return true;
}

/** A file path value: known %-tokens only, and `~` only as `~` or `~/…` (not `~user`). */
function validPath(value: string): boolean {
  if (value.startsWith("~") && value !== "~" && !value.startsWith("~/")) return false;
  return validTokens(value, PATH_TOKENS);
}

function expandTokens(value: string, tokens: Record<string, string>): string {
  if (!value.includes("%")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    out += c === "%" ? tokens[value[++i]!] ?? "" : c;
  }
  return out;
}

function expandHostName(hostName: string, alias: string): string {
  return expandTokens(hostName, { h: alias, "%": "%" });
}

function expandTilde(value: string, home: string): string {
  return value === "~" || value.startsWith("~/") ? home + value.slice(1) : value;
}

/** The paths an Include pattern names, sorted; `*`, `?` and `[…]` in any segment. */
function expandGlob(path: string, listDir: ListDir): string[] {
  if (!/[*?[]/.test(path)) return [path];
  const segments = path.split("/").filter((s, i) => i === 0 || s !== "");
  let bases = [segments[0]!];
  for (const segment of segments.slice(1)) {
    if (!/[*?[]/.test(segment)) {
      bases = bases.map((b) => `${b}/${segment}`);
      continue;
    }
    const matches = globSegmentMatcher(segment);
    bases = bases.flatMap((b) =>
      (listDir(b === "" ? "/" : b) ?? []).filter(matches).map((name) => `${b}/${name}`)
    );
  }
  return bases.sort();
}

function readFileOrNull(path: string): string | null {
  try {
    return readSmallTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

function listDirOrNull(dir: string): string[] | null {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch {
    return null;
  }
}

/** An OS error as a few words ("permission denied"), without Deno's "(os error 13)" suffix. */
function reason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const short = message.replace(/ \(os error \d+\).*$/s, "").replace(/:.*$/s, "");
  return short.charAt(0).toLowerCase() + short.slice(1);
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}
