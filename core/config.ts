/**
 * `dtail.json` (docs/compatibility.md#configuration): the same keys, defaults and search order as
 * the Go DTail. Keys match case-insensitively and unknown keys are ignored; a value of the wrong
 * type is an error.
 */
import {
  colorNames,
  defaultTermColors,
  isColorName,
  type Style,
  type TermColors,
} from "./color.ts";
import { SetupError } from "./errors.ts";
import { readSmallTextFileSync } from "./small_file.ts";
import { osReason } from "./source_error.ts";
import { MAX_TIMER_MS } from "./delay.ts";

export interface CommonConfig {
  SSHPort: number;
  SSHConnectTimeoutMs: number;
  LogDir: string;
  Logger: string;
  LogLevel: string;
  LogRotation: string;
  CacheDir: string;
}

export interface ServerConfig {
  SSHBindAddress: string;
  MaxConnections: number;
  MaxConcurrentCats: number;
  MaxConcurrentTails: number;
  MaxLineLength: number;
  Permissions: { Default: string[]; Users: Record<string, string[]> };
  MapreduceLogFormat: string;
  HostKeyFile: string;
  HostKeyBits: number;
  AuthKeyEnabled: boolean;
  AuthKeyTTLSeconds: number;
  AuthKeyMaxPerUser: number;
  ReadGlobRetryIntervalMs: number;
  ReadRetryIntervalMs: number;
  MaxCommandFrameSize: number;
  MaxGlobTargets: number;
  /** Directories one glob expansion may visit before it stops (a bound on deep `*` patterns). */
  MaxGlobDirs: number;
  /** Sockets still in their SSH handshake, counted apart from MaxConnections. */
  MaxPreAuthConnections: number;
  /** How long a socket may take to authenticate. */
  PreAuthTimeoutMs: number;
  /** How long a MaxConcurrentCats/Tails slot may be held while the client takes no output. */
  ReadStallTimeoutSeconds: number;
  /** How long a user's groups are cached (a group removal applies after at most this). */
  UserCacheTTLSeconds: number;
  /** The most a followed file is read back on resume (docs/protocol.md#resume); more is skipped. */
  ResumeMaxGapBytes: number;
  KeyExchanges: string[];
  Ciphers: string[];
  MACs: string[];
  /** Scheduled MapReduce jobs (docs/server.md#scheduled-and-continuous-jobs). */
  Schedule: JobConfig[];
  /** Continuous MapReduce jobs (docs/server.md#scheduled-and-continuous-jobs). */
  Continuous: JobConfig[];
}

/**
 * One `Server.Schedule` or `Server.Continuous` entry. A wrongly typed field does not fail the
 * whole config: it becomes the entry's `problem`, and dserver reports and skips that job alone.
 */
export interface JobConfig {
  Name: string;
  Enable: boolean;
  /** Comma list of files and globs, with date placeholders. */
  Files: string;
  /** The query, without an outfile clause. */
  Query: string;
  /** `PATH` or `append PATH`, with date placeholders. */
  Outfile: string;
  Discovery: string;
  /** Empty: this server itself. */
  Servers: string[];
  /** Go DTail's password-login allow list; parsed, unused (docs/decisions.md). */
  AllowFrom: string[];
  /** Schedule only: `[startHour, endHour)`, local time. */
  TimeRange: number[];
  /** Continuous only: restart the job when the local day changes. */
  RestartOnDayChange: boolean;
  /** The first wrongly typed field ("" if none). */
  problem: string;
}

export interface ClientConfig {
  TermColorsEnable: boolean;
  TermColors: TermColors;
  AuthKeyPath: string;
  AuthKeyDisable: boolean;
  LogPayload: boolean;
  /** SSH keepalive requests to each server this often; 3 unanswered end the connection; 0 = none. */
  SSHKeepaliveIntervalMs: number;
}

export interface Config {
  Common: CommonConfig;
  Server: ServerConfig;
  Client: ClientConfig;
  /** Where the config came from ("" for built-in defaults). */
  source: string;
}

export class ConfigError extends SetupError {
  override name = "ConfigError";
}

export function defaultConfig(env: (name: string) => string | undefined = getEnv): Config {
  const testMode = env("DTAIL_INTEGRATION_TEST_RUN_MODE") === "yes";
  return {
    Common: {
      SSHPort: 2222,
      SSHConnectTimeoutMs: 2000,
      LogDir: "log",
      Logger: "stdout",
      LogLevel: "info",
      LogRotation: "daily",
      CacheDir: "cache",
    },
    Server: {
      SSHBindAddress: "0.0.0.0",
      MaxConnections: 10,
      MaxConcurrentCats: 2,
      MaxConcurrentTails: 50,
      MaxLineLength: testMode ? 1024 : 1_048_576,
      Permissions: { Default: ["^/.*"], Users: {} },
      MapreduceLogFormat: "default",
      HostKeyFile: testMode ? "./ssh_host_key" : "./cache/ssh_host_key",
      HostKeyBits: 4096,
      AuthKeyEnabled: true,
      AuthKeyTTLSeconds: 86400,
      AuthKeyMaxPerUser: 5,
      ReadGlobRetryIntervalMs: 5000,
      ReadRetryIntervalMs: 2000,
      MaxCommandFrameSize: 1_048_576,
      MaxGlobTargets: 1000,
      MaxGlobDirs: 10_000,
      MaxPreAuthConnections: 200,
      PreAuthTimeoutMs: 5000,
      ReadStallTimeoutSeconds: 60,
      UserCacheTTLSeconds: 5,
      ResumeMaxGapBytes: 256 * 1024 * 1024,
      KeyExchanges: [],
      Ciphers: [],
      MACs: [],
      Schedule: [],
      Continuous: [],
    },
    Client: {
      TermColorsEnable: true,
      TermColors: defaultTermColors(),
      AuthKeyPath: "",
      AuthKeyDisable: false,
      LogPayload: false,
      SSHKeepaliveIntervalMs: 15_000,
    },
    source: "",
  };
}

function getEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * The config file to load: `--cfg` value, or the first existing file of the
 * docs/compatibility.md#config-file-search search.
 */
export function findConfigFile(cfgFlag: string, home: string | undefined): string | null {
  if (cfgFlag.toLowerCase() === "none") return null;
  if (cfgFlag !== "") return cfgFlag;
  if (!home) return null;
  for (const candidate of [`${home}/.config/dtail/dtail.conf`, `${home}/.dtail.conf`]) {
    try {
      Deno.statSync(candidate);
      return candidate;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        throw new ConfigError(`${candidate}: ${osReason(err)}`);
      }
    }
  }
  return null;
}

/** Loads the configuration for a run (`cfgFlag` is the value of `--cfg`). */
export function loadConfig(cfgFlag: string, env = getEnv): Config {
  const path = findConfigFile(cfgFlag, env("HOME"));
  if (path === null) return defaultConfig(env);
  let text: string;
  try {
    text = readSmallTextFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read config ${path}: ${osReason(err)}`);
  }
  return configFromText(text, path, env);
}

/** The config a file's text makes (`path` names it in errors); throws ConfigError. */
export function configFromText(text: string, path: string, env = getEnv): Config {
  const config = defaultConfig(env);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(json)) throw new ConfigError(`config ${path}: top level must be an object`);
  merge(config as unknown as Record<string, unknown>, json, path, "");
  validate(config, path);
  if (env("DTAIL_INTEGRATION_TEST_RUN_MODE") === "yes") config.Server.MaxLineLength = 1024;
  config.source = path;
  return config;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Copies known keys (matched case-insensitively) from `from` into `into`, checking types. */
function merge(
  into: Record<string, unknown>,
  from: Record<string, unknown>,
  file: string,
  at: string,
): void {
  const keys = new Map(Object.keys(into).map((k) => [k.toLowerCase(), k]));
  for (const [rawKey, value] of Object.entries(from)) {
    const key = keys.get(rawKey.toLowerCase());
    if (key === undefined && value !== null && at.startsWith("Client.TermColors.")) {
      mergeFlatColor(into, rawKey, value, file, at);
      continue;
    }
    if (key === undefined || key === "source" || value === null) continue; // Go ignores null
    const path = at ? `${at}.${key}` : key;
    const current = into[key];
    const bad = (want: string) =>
      new ConfigError(`config ${file}: ${path} must be ${want}, got ${shown(value)}`);
    if (path === "Server.Permissions.Users") {
      if (!isObject(value)) throw bad("an object of user → rule list");
      const users: Record<string, string[]> = {};
      for (const [user, rules] of Object.entries(value)) {
        if (!isStringArray(rules)) throw bad("an object of user → rule list");
        users[user] = rules;
      }
      into[key] = users;
    } else if (path === "Server.Schedule" || path === "Server.Continuous") {
      if (!Array.isArray(value)) throw bad("a list of job objects");
      into[key] = value.map((entry) => parseJob(entry));
    } else if (typeof current === "number") {
      if (typeof value !== "number" || !Number.isInteger(value)) throw bad("an integer");
      into[key] = value;
    } else if (typeof current === "boolean") {
      if (typeof value !== "boolean") throw bad("true or false");
      into[key] = value;
    } else if (typeof current === "string") {
      if (typeof value !== "string") throw bad("a string");
      into[key] = value;
    } else if (Array.isArray(current)) {
      if (!isStringArray(value)) throw bad("a list of strings");
      into[key] = value;
    } else if (isObject(current)) {
      if (!isObject(value)) throw bad("an object");
      merge(current, value, file, path);
    }
  }
}

/**
 * A color in the Go config's form, one key per part of an item (`"DelimiterFg": "Red"` in
 * `Client.TermColors.Remote`), beside ours (`"Delimiter": {"Fg": "Red"}`). Other keys are ignored,
 * as Go ignores them.
 */
function mergeFlatColor(
  styles: Record<string, unknown>,
  rawKey: string,
  value: unknown,
  file: string,
  at: string,
): void {
  const m = /^(.+?)(fg|bg|attr)$/i.exec(rawKey);
  if (m === null) return;
  const item = Object.keys(styles).find((k) => k.toLowerCase() === m[1]!.toLowerCase());
  // Only an item's style takes the flat form: inside a style (`"Text": {"BgBg": …}`) the key
  // names no item, and is ignored as any unknown key.
  const style = item === undefined ? undefined : styles[item];
  if (!isObject(style)) return;
  const field = m[2]!.toLowerCase();
  if (typeof value !== "string") {
    throw new ConfigError(`config ${file}: ${at}.${rawKey} must be a string, got ${shown(value)}`);
  }
  style[field] = value;
}

/** A config value as a message quotes it (JSON, but Infinity and NaN as themselves). */
function shown(value: unknown): string {
  return typeof value === "number" && !Number.isFinite(value)
    ? String(value)
    : JSON.stringify(value);
}

/** The highest TCP port. */
export const MAX_PORT = 65535;

/**
 * Server integer keys and their smallest allowed value: a count, size or time that must be
 * positive (only the user cache TTL may be 0, which turns that cache off). Anything smaller is a
 * ConfigError naming the key, so no negative limit reaches the code that uses it.
 */
const SERVER_MINIMUMS: readonly (readonly [keyof ServerConfig, number])[] = [
  ["MaxConnections", 1],
  ["MaxPreAuthConnections", 1],
  ["PreAuthTimeoutMs", 1],
  ["MaxConcurrentCats", 1],
  ["MaxConcurrentTails", 1],
  ["MaxLineLength", 1],
  ["MaxCommandFrameSize", 1],
  ["MaxGlobTargets", 1],
  ["MaxGlobDirs", 1],
  ["ReadStallTimeoutSeconds", 1],
  ["UserCacheTTLSeconds", 0],
  ["ResumeMaxGapBytes", 1],
];

/** Checks what the types alone do not: the ranges above and the `Client.TermColors` names. */
function validate(config: Config, file: string): void {
  const port = config.Common.SSHPort;
  if (!Number.isInteger(port) || port < 1 || port > MAX_PORT) {
    throw new ConfigError(
      `config ${file}: Common.SSHPort must be a port from 1 to ${MAX_PORT}, got ${port}`,
    );
  }
  for (const [key, min] of SERVER_MINIMUMS) {
    const value = config.Server[key] as number;
    if (value < min) {
      const want = min === 0 ? "0 or more" : `at least ${min}`;
      throw new ConfigError(`config ${file}: Server.${key} must be ${want}, got ${value}`);
    }
  }
  // A timer of more milliseconds than 32 bits hold fires after 1 ms: every login would be cut.
  const timers = [
    ["Server.PreAuthTimeoutMs", config.Server.PreAuthTimeoutMs],
    ["Common.SSHConnectTimeoutMs", config.Common.SSHConnectTimeoutMs],
  ] as const;
  for (const [key, ms] of timers) {
    if (ms >= 1 && ms <= MAX_TIMER_MS) continue;
    throw new ConfigError(
      `config ${file}: ${key} must be from 1 to ${MAX_TIMER_MS} (~24.8 days), got ${ms}`,
    );
  }
  const keepalive = config.Client.SSHKeepaliveIntervalMs;
  if (!(keepalive >= 0 && keepalive <= MAX_TIMER_MS)) {
    throw new ConfigError(
      `config ${file}: Client.SSHKeepaliveIntervalMs must be from 0 (none) to ${MAX_TIMER_MS}, ` +
        `got ${keepalive}`,
    );
  }
  const colors = config.Client.TermColors as unknown as Record<string, Record<string, Style>>;
  for (const [group, styles] of Object.entries(colors)) {
    for (const [name, style] of Object.entries(styles)) {
      for (const field of ["fg", "bg", "attr"] as const) {
        if (isColorName(field, style[field])) continue;
        throw new ConfigError(
          `config ${file}: Client.TermColors.${group}.${name}.${field} must be one of ` +
            `${colorNames(field).join(", ")}, got ${JSON.stringify(style[field])}`,
        );
      }
    }
  }
}

/** A job entry as far as its types allow (see JobConfig.problem). */
export function parseJob(entry: unknown): JobConfig {
  const job: JobConfig = {
    Name: "",
    Enable: false,
    Files: "",
    Query: "",
    Outfile: "",
    Discovery: "",
    Servers: [],
    AllowFrom: [],
    TimeRange: [],
    RestartOnDayChange: false,
    problem: "",
  };
  if (!isObject(entry)) {
    job.problem = `must be an object, got ${JSON.stringify(entry)}`;
    return job;
  }
  const fields = job as unknown as Record<string, unknown>;
  const keys = new Map(Object.keys(job).map((k) => [k.toLowerCase(), k]));
  for (const [rawKey, value] of Object.entries(entry)) {
    const key = keys.get(rawKey.toLowerCase());
    if (key === undefined || key === "problem" || value === null) continue;
    const current = fields[key];
    const ok = key === "TimeRange"
      ? Array.isArray(value) && value.every((n) => typeof n === "number")
      : Array.isArray(current)
      ? isStringArray(value)
      : typeof value === typeof current;
    if (ok) fields[key] = value;
    else if (job.problem === "") {
      const want = key === "TimeRange"
        ? "a list of numbers"
        : Array.isArray(current)
        ? "a list of strings"
        : typeof current === "boolean"
        ? "true or false"
        : "a string";
      job.problem = `${key} must be ${want}, got ${JSON.stringify(value)}`;
    }
  }
  return job;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

export type { Style };
