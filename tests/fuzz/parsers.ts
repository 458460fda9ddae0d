/**
 * In-process fuzz targets: each case, from its seed alone, builds an input for one parser and
 * runs it. A parser may only throw its own typed errors, and every call must return within
 * CALL_LIMIT_MS; anything else is a Finding. Runs as a worker (see main.ts), which reports the
 * case it is on through a SharedArrayBuffer so that a hang is caught and replayed.
 */
import { isDeepStrictEqual } from "node:util";
import { decodeFrame, encodeFrame, FrameError, FrameReader } from "../../core/protocol/frames.ts";
import {
  buildReadCommand,
  CommandError,
  parseCommand,
  type ReadVerb,
} from "../../core/protocol/commands.ts";
import {
  decodeOptions,
  encodeOptions,
  intOption,
  OptionsError,
} from "../../core/protocol/options.ts";
import { parseRegex, RegexWireError, wireRegexOf } from "../../core/protocol/regex_wire.ts";
import { compileMatcher, type Matcher, PatternError } from "../../core/matcher.ts";
import { countNewlines } from "../../core/line_batch.ts";
import { splitLines, type SplitOptions } from "../../core/lines.ts";
import { filterChunks } from "../../core/pipeline.ts";
import { RegexPool } from "../../core/regex_pool.ts";
import { LineSelector, type Selection, type SelectOptions } from "../../core/select.ts";
import { expandGlob, GlobPatternError, segmentRegExp } from "../../core/glob.ts";
import { parseQuery, QueryError, referencedVariables, tableFilter } from "../../core/mapr/query.ts";
import { parseAggregate, serializeGroups } from "../../core/mapr/aggregate_wire.ts";
import { createParser, LOG_FORMATS } from "../../core/mapr/logformat.ts";
import {
  BucketWidthError,
  parseBucketWidth,
  parseTimeSpec,
  TimeSpecError,
} from "../../core/time_spec.ts";
import { LineTimes } from "../../core/log_time.ts";
import { UsageError } from "../../core/errors.ts";
import { ControlInputError, parseControlLine } from "../../cli/interactive/control_command.ts";
import { Flags, parseFlags } from "../../app/flags.ts";
import { type Program, PROGRAMS } from "../../app/flag_table.ts";
import {
  controlTerminalOf,
  isServerless,
  loadTimeSpec,
  targetsOf,
  timeRangeOf,
} from "../../app/settings.ts";
import { ConfigError, configFromText } from "../../core/config.ts";
import { parseProxyJump, parseSshConfig, SshConfigError } from "../../cli/ssh/ssh_config.ts";
import { parseState } from "../../cli/resume/state_file.ts";
import { lookup, parseKnownHosts } from "../../cli/ssh/known_hosts.ts";
import { parseInventory } from "../../cli/ssh/inventory.ts";
import { expandHostPattern, NameBudget } from "../../cli/ssh/host_pattern.ts";
import { parseServerAddress } from "../../cli/ssh/server_address.ts";
import { ServerListError } from "../../cli/ssh/server_list_error.ts";
import { compileTimeLayout, TimeLayoutError } from "../../core/time_layout.ts";
import type { GroupSet } from "../../core/mapr/aggregate.ts";
import {
  AGGREGATES,
  caseSeed,
  commandText,
  frameBytes,
  GLOBS,
  lineText,
  mutate,
  PATTERNS,
  QUERIES,
  randomText,
  Rng,
  show,
} from "./mutate.ts";
import {
  call,
  callAsync,
  type Env,
  Failure,
  type Finding,
  type Target,
  untimed,
  untimedAsync,
} from "./checks.ts";
export { CALL_LIMIT_MS, type Finding } from "./checks.ts";
import { repliesTarget } from "./replies.ts";
import { compressedTarget } from "./compressed.ts";

await loadTimeSpec(); // what app/ loads before it resolves a --since

const COMMAND_ERRORS = [CommandError, OptionsError, RegexWireError];

const COMMANDS = [
  "cat: /var/log/x regex:noop ",
  "grep:before=2:max=3 /var/log/*.log regex:default,literal ERROR",
  "tail:quiet=true:x=base64%YTpi /x regex:invert a.*b",
  "map:plain=true select count($line) from STATS group by $hostname",
  "timeout 5 grep /etc/hostname regex:default a",
  "health",
  ".ack close connection",
  "AUTHKEY ssh-ed25519 AAAA",
];

/** Lines of each log format (and a CSV header) that the logformat target mutates. */
const FORMAT_LINES = [
  "INFO|1203-101010|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS|currentConnections=1|host=a",
  "WARN|20261203-101010|web01|x.go:1|message with = and | bars",
  'time,host,"a,b",n',
  '2026-12-03T10:00:00Z,web01,"x, ""y""",1.5',
  '{"time":"2026-12-03T10:00:00Z","a":"x\\u00e9","n":1.5,"o":{"k":[1,{"z":null}]},"b":true}',
  'time=2026-12-03T10:00:00Z level=info msg="a \\"b\\" c" n=3 empty= x',
  "Dec  3 10:00:00 host app[12]: k=v other=x",
  "",
];

/** `--since` values, bucket widths and time layouts the times target mutates. */
const TIME_SPECS = [
  "15m",
  "1h30m",
  "1d",
  "now",
  "2026-12-03T10:00:00Z",
  "2026-12-03T10:00:00.123+05:30",
  "2026-12-03 10:00",
  "2026-12-03",
  "20261203-100000",
  "1203-100000",
  "%Y-%m-%dT%H:%M:%S%z",
  "%d/%b/%Y:%H:%M:%S %z",
  "%b %e %H:%M:%S.%f",
];

/** Log lines with a time in each layout log_time.ts reads. */
const TIMED_LINES = [
  "2026-12-03T10:00:00.123Z web01 ERROR x",
  "2026/12/03 10:00:00,123 INFO y",
  "INFO|20261203-101010|1|x.go:1|m",
  "WARN|1203-101010|web|m",
  "Dec  3 10:00:00 host app[1]: m",
  "<34>Dec 03 10:00:00 host m",
  '127.0.0.1 - - [03/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200',
  '{"ts":1733220000123,"a":1}',
  '{"time":"2026-12-03T10:00:00Z","level":"info"}',
  "level=info time=2026-12-03T10:00:00+01:00 msg=x",
  "no time here",
];

const CONFIG_TEXTS = [
  '{"Common":{"SSHPort":2222,"LogLevel":"info","CacheDir":"cache"},"Client":{"TermColorsEnable":true}}',
  '{"Server":{"Permissions":{"Default":["^/var/log/.*"],"Users":{"alice":["readfiles:^/x","!^/x/s"]}},"MaxLineLength":1048576}}',
  '{"Server":{"Schedule":[{"Name":"n","Enable":true,"TimeRange":[1,6],"Files":"/x-$yesterday*","Query":"select count($line) group by $hostname","Outfile":"/r/x.csv"}]}}',
  '{"Client":{"TermColors":{"Remote":{"Text":{"Fg":"White","Bg":"Black","Attr":"Bold"}}}}}',
];

const SSH_TEXTS = [
  "Host web*\n  HostName %h.example.com\n  Port 2223\n  User alice\n  IdentityFile ~/.ssh/id_%r\n",
  "Host *\n  ProxyJump bastion:22,alice@jump2\n  StrictHostKeyChecking accept-new\nInclude conf.d/*\n",
  'Match host web1 user alice\n  Port=2222\nHost "a b" !c\n  UserKnownHostsFile "/x y" /z\n',
];

const KNOWN_HOSTS_TEXTS = [
  "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC80HaZNvNSVpOTp92ttIZNz+7c1t2pHgklO6WkSTXYw\n",
  "|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ssh-rsa AAAAB3NzaC1yc2E=\n",
  "@revoked web*,!web2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==\n@cert-authority *.example ssh-ed25519 AAAA\n",
];

const SERVER_TEXTS = [
  "web[01-12].example.com:2223\ndb1\n# comment\nbastion:22,alice@jump2:2200",
  "[web]\nweb1 ansible_host=10.0.0.1 ansible_port=2222\nweb[2:9]\n[prod:children]\nweb\n[prod:vars]\nansible_user=ops",
  "[::1]:2222\nuser@host\nweb{a,b}",
];

const STATE_TEXTS = [
  '{"kind":"dtail-resume-state","version":1,"saved":"2026-12-05T11:34:40.394Z","servers":{"serverless":{"/a.log":[{"path":"/a.log","dev":65024,"ino":2171771,"offset":14,"mark":"c643a020"}]}}}',
  "",
];

const ARGV_FLAGS = [
  "--grep",
  "-regex",
  "--since",
  "--until",
  "--before",
  "--max",
  "--servers",
  "--files",
  "--query",
  "--plain",
  "--json",
  "--interactive-query",
  "--control-tty",
  "--port",
  "--timeout",
  "--",
  "-h",
  "--noColor=false",
];
const CONTROL_LINES = [
  ":reload --grep ERROR",
  ':reload --query "select count(status) from stats" --plain',
  ":reload --grep 'a b' --before 2 \\\"x",
  ":show",
  ":quit",
  ":help",
];
const ARGV_VALUES = [
  "ERROR",
  "15m",
  "2026-12-03T10:00:00Z",
  "3",
  "-1",
  "web1:2222,web2",
  "true",
  "",
];

/** The seeds of each kind of file the files target mutates. */
const FILE_TEXTS = {
  config: CONFIG_TEXTS,
  ssh: SSH_TEXTS,
  state: STATE_TEXTS,
  known_hosts: KNOWN_HOSTS_TEXTS,
  servers: SERVER_TEXTS,
};

/** Fields a query may need (the parsers fill only those when given a set). */
const FORMAT_FIELDS = ["a", "n", "host", "msg", "$time", "$line", "$hostname", "time", "o", "k"];

const TARGETS: Target[] = [
  {
    // Bytes as a client sends them, in random reads, through every server-side frame stage.
    name: "frames",
    input(rng) {
      const parts: Uint8Array[] = [];
      for (let n = 1 + rng.int(4); n > 0; n--) parts.push(frameBytes(rng, commandText(rng, GLOBS)));
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
      const cuts = Array.from({ length: rng.int(6) }, () => rng.int(bytes.length + 1));
      return { maxFrameSize: rng.pick([16, 100, 4096, 1 << 20]), bytes, cuts: cuts.sort() };
    },
    run(
      { maxFrameSize, bytes, cuts }: { maxFrameSize: number; bytes: Uint8Array; cuts: number[] },
    ) {
      const reader = new FrameReader(maxFrameSize);
      let from = 0;
      for (const to of [...cuts, bytes.length]) {
        const frames = call("FrameReader.push", [FrameError], () => {
          return reader.push(bytes.subarray(from, Math.max(from, to)));
        });
        if (frames === null) return; // the session is closed
        from = Math.max(from, to);
        for (const frame of frames) {
          const text = call("decodeFrame", [FrameError], () => decodeFrame(frame));
          if (text !== null) commandStages(text);
        }
      }
    },
  },
  {
    name: "command",
    input: (rng) =>
      mutate(rng, rng.chance(0.5) ? rng.pick(COMMANDS) : commandText(rng, GLOBS), [
        ...COMMANDS,
        ...QUERIES,
        ...PATTERNS,
      ]),
    run(text: string) {
      commandStages(text);
      call("decodeOptions", [OptionsError], () => decodeOptions(text));
      call("parseRegex", [RegexWireError], () => parseRegex(text));
    },
  },
  {
    // What a dserver does with a pattern: filterChunks, whose re2js matching runs on the regex
    // pool (slow is fine there), must never block the event loop and must select the lines the
    // synchronous matcher selects.
    name: "matcher",
    input: (rng) => ({
      pattern: rng.chance(0.7) ? mutate(rng, rng.pick(PATTERNS), PATTERNS) : rng.pick(PATTERNS),
      text: lineText(rng),
    }),
    async run({ pattern, text }: { pattern: string; text: string }) {
      const m = call("compileMatcher", [PatternError], () => compileMatcher(pattern));
      if (m === null) return;
      const bytes = new TextEncoder().encode(text);
      const options = { ...MATCH_VARIANTS[text.length % MATCH_VARIANTS.length]!, ...MATCH_SPLIT };
      const got = await offloadedLines(m, bytes, options);
      const want = await syncLines(checkedMatcher(compileMatcher(pattern)), bytes, options);
      // Either may have stopped at its time budget: the shorter must begin the longer.
      const n = Math.min(got.length, want.length);
      for (let i = 0; i < n; i++) {
        if (got[i] !== want[i]) {
          throw new Failure(
            `filterChunks selected ${show(got[i])} where the matcher selects ${show(want[i])} ` +
              `(line ${i}, ${JSON.stringify(options)})`,
          );
        }
      }
      if (got.complete && want.complete && got.length !== want.length) {
        throw new Failure(
          `filterChunks selected ${got.length} lines, the matcher ${want.length} ` +
            `(${JSON.stringify(options)})`,
        );
      }
    },
  },
  {
    name: "glob",
    input: (rng) => rng.chance(0.7) ? mutate(rng, rng.pick(GLOBS), GLOBS) : rng.pick(GLOBS),
    async run(glob: string, env) {
      for (const segment of glob.split("/")) {
        call("segmentRegExp", [GlobPatternError], () => segmentRegExp(segment));
      }
      const pattern = glob.startsWith("/") ? env.tree + glob : `${env.tree}/${glob}`;
      await callAsync("expandGlob", [GlobPatternError], async () => {
        const found: unknown = await expandGlob(pattern, { maxTargets: 100, maxDirs: 50 });
        const paths = Array.isArray(found) ? found : (found as { paths: string[] }).paths;
        if (paths.length > 101) throw new Failure(`expandGlob returned ${paths.length} paths`);
      });
    },
  },
  {
    name: "query",
    input: (rng) => rng.chance(0.8) ? mutate(rng, rng.pick(QUERIES), QUERIES) : randomText(rng, 40),
    run(text: string) {
      const q = call("parseQuery", [QueryError], () => parseQuery(text));
      if (q === null) return;
      call("referencedVariables", [], () => referencedVariables(q));
      call("compileMatcher(tableFilter)", [PatternError], () => compileMatcher(tableFilter(q)));
    },
  },
  {
    // Every log format's parser on mutated lines of its kind: a line is parsed, skipped or
    // malformed, never an exception (a dserver's map stage runs them on anything a file holds).
    name: "logformat",
    input: (rng) => {
      const format = rng.pick([...LOG_FORMATS]);
      const needed = rng.chance(0.5) ? null : FORMAT_FIELDS.filter(() => rng.chance(0.3));
      const lines = Array.from(
        { length: 1 + rng.int(6) },
        () =>
          rng.chance(0.85)
            ? mutate(rng, rng.pick(FORMAT_LINES), FORMAT_LINES)
            : randomText(rng, rng.size(200)),
      );
      return { format, needed, lines };
    },
    run({ format, needed, lines }: { format: string; needed: string[] | null; lines: string[] }) {
      const parser = createParser(format, {
        hostname: "h",
        needed: needed === null ? null : new Set(needed),
      });
      lines.forEach((line, i) => {
        const result = call(`${format} parse`, [], () => parser.parse(line, `s${i % 2}`));
        if (result !== "skip" && result !== "malformed" && !(result instanceof Map)) {
          throw new Failure(`${format} parse returned ${String(result)}`);
        }
      });
    },
  },
  {
    // `--since`/`--until` values and bucket widths a user types, and the times of log lines (read
    // for every line of a ranged read): a value or an error of their kind, never an exception.
    name: "times",
    input: (rng) => ({
      spec: rng.chance(0.8) ? mutate(rng, rng.pick(TIME_SPECS), TIME_SPECS) : randomText(rng, 20),
      lines: Array.from(
        { length: 1 + rng.int(5) },
        () =>
          rng.chance(0.85)
            ? mutate(rng, rng.pick(TIMED_LINES), TIMED_LINES)
            : randomText(rng, rng.size(120)),
      ),
    }),
    run({ spec, lines }: { spec: string; lines: string[] }) {
      const now = 1_764_758_400_000;
      const t = call(
        "parseTimeSpec",
        [TimeSpecError],
        () => parseTimeSpec("--since", spec, { now }),
      );
      // A time a Date can hold, or no bound at all (±Infinity: a duration further back than that).
      if (t !== null && (Number.isNaN(t) || (Number.isFinite(t) && Math.abs(t) > 8.64e15))) {
        throw new Failure(`parseTimeSpec gave ${t}`);
      }
      call("parseBucketWidth", [BucketWidthError], () => parseBucketWidth(spec));
      // A configured layout (`timelayout "…"`) reads the same lines, when it compiles.
      const layout = call("compileTimeLayout", [TimeLayoutError], () => compileTimeLayout(spec));
      const readers = [new LineTimes({ now }), ...(layout ? [new LineTimes({ now, layout })] : [])];
      const encoder = new TextEncoder();
      for (const times of readers) {
        for (const line of lines) {
          const bytes = encoder.encode(line);
          const ms = call("LineTimes.timeOf", [], () => times.timeOf(bytes, 0, bytes.length));
          if (typeof ms !== "number") throw new Failure(`timeOf gave ${String(ms)}`);
        }
      }
    },
  },
  {
    // The files a user or an admin writes: dtail.json, an OpenSSH client config, a resume state
    // file. A config or its error (one line), never an exception.
    name: "files",
    input: (rng) => {
      const kind = rng.pick(["config", "ssh", "state", "known_hosts", "servers"] as const);
      const seeds = FILE_TEXTS[kind];
      return {
        kind,
        text: rng.chance(0.9) ? mutate(rng, rng.pick(seeds), seeds) : randomText(rng, 80),
      };
    },
    run({ kind, text }: { kind: keyof typeof FILE_TEXTS; text: string }) {
      if (kind === "config") {
        call(
          "configFromText",
          [ConfigError],
          () => configFromText(text, "dtail.json", () => undefined),
        );
      } else if (kind === "ssh") {
        const opts = {
          warn: () => {},
          home: "/nonexistent",
          readFile: () => null,
          listDir: () => null,
        };
        const config = call(
          "parseSshConfig",
          [SshConfigError],
          () => parseSshConfig(text, "config", opts),
        );
        const ctx = { home: "/nonexistent", localUser: "alice" };
        call("SshConfig.resolve", [SshConfigError], () => config?.resolve("web1", ctx));
      } else if (kind === "state") {
        call("parseState", [], () => parseState(text));
      } else if (kind === "known_hosts") {
        const file = call("parseKnownHosts", [], () => parseKnownHosts(text));
        const blob = new Uint8Array([0, 0, 0, 11, ...new TextEncoder().encode("ssh-ed25519"), 1]);
        if (file !== null) call("known_hosts lookup", [], () => lookup(file, "web1", 2222, blob));
      } else {
        // A --servers file: an inventory, or one server (or host pattern) a line.
        const opts = { warn: () => {}, budget: new NameBudget(10_000) };
        const inventory = call(
          "parseInventory",
          [ServerListError],
          () => parseInventory(text, "f", opts),
        );
        call("Inventory.hosts", [ServerListError], () => inventory?.hosts());
        for (const line of text.split("\n")) {
          call("expandHostPattern", [ServerListError], () => expandHostPattern(line, 10_000));
          call("parseServerAddress", [ServerListError], () => parseServerAddress(line, 2222));
          call("parseProxyJump", [], () => parseProxyJump(line));
        }
      }
    },
  },
  {
    // A command line as a user types it: each program's flags and their values, resolved as
    // app/ resolves them before a run. A usage error (exit 2), never an exception.
    name: "argv",
    input: (rng) => {
      const args: string[] = [];
      for (let n = rng.int(6); n > 0; n--) {
        const flag = rng.pick(ARGV_FLAGS);
        args.push(rng.chance(0.9) ? flag : mutate(rng, flag, ARGV_FLAGS));
        if (rng.chance(0.7)) {
          args.push(rng.chance(0.7) ? mutate(rng, rng.pick(ARGV_VALUES), ARGV_VALUES) : "");
        }
      }
      if (rng.chance(0.5)) args.push("a.log");
      const control = mutate(rng, rng.pick(CONTROL_LINES), CONTROL_LINES);
      return { program: rng.pick(PROGRAMS), args, control };
    },
    run({ program, args, control }: { program: Program; args: string[]; control: string }) {
      // What is typed on an --interactive-query terminal, split as a :reload's flags are.
      const command = call(
        "parseControlLine",
        [ControlInputError],
        () => parseControlLine(control),
      );
      if (command?.kind === "reload") {
        call("parseFlags(:reload)", [UsageError], () => parseFlags(program, [...command.args]));
      }
      const parsed = call("parseFlags", [UsageError], () => parseFlags(program, args));
      if (parsed === null || parsed.help) return;
      const flags = new Flags(parsed);
      if (program === "dserver" || program === "dtailhealth") return; // no files, no range
      call("targetsOf", [UsageError], () => targetsOf(flags));
      call("timeRangeOf", [UsageError], () => timeRangeOf(program, flags, 1_764_758_400_000));
      call("controlTerminalOf", [UsageError], () => controlTerminalOf(flags));
      call("isServerless", [], () => isServerless(flags));
    },
  },
  {
    name: "aggregate",
    input: (rng) => ({
      query: rng.pick([QUERIES[2]!, QUERIES[4]!, "select last($line) group by $line"]),
      message: mutate(rng, rng.pick(AGGREGATES), AGGREGATES),
    }),
    run({ query, message }: { query: string; message: string }) {
      const q = parseQuery(query);
      const set = call("parseAggregate", [], () => parseAggregate(message, q));
      if (set === null) return;
      const rows = call("GroupSet.rows", [], () => plainRows(set))!;
      // What a server sends for this group reads back as the same group.
      const [again, ...more] = serializeGroups(set, "host");
      const back = again === undefined ? null : parseAggregate(again, q);
      const lost = again !== undefined && back === null;
      if (more.length > 0 || lost || !isDeepStrictEqual(back ? plainRows(back) : [], rows)) {
        throw new Failure(`AGGREGATE round trip changed the group: ${show(again)}`);
      }
    },
  },
  {
    // What a client encodes, the server decodes to the same command.
    name: "roundtrip",
    input(rng) {
      const text = (max: number) => randomText(rng, rng.size(max)).toWellFormed();
      const options: Record<string, string> = {};
      for (let n = rng.int(4); n > 0; n--) options[rng.pick(["a", "max", "quiet", "z"])] = text(20);
      return {
        verb: rng.pick(["cat", "grep", "tail"]),
        options,
        path: text(30).replace(/\s/g, "") || "/x",
        pattern: rng.chance(0.5) ? rng.pick(PATTERNS) : text(30),
        invert: rng.chance(0.3),
        timeout: rng.chance(0.2) ? 1 + rng.int(100) : 0,
      };
    },
    run(c: {
      verb: ReadVerb;
      options: Record<string, string>;
      path: string;
      pattern: string;
      invert: boolean;
      timeout: number;
    }) {
      const sent = { ...c, regex: wireRegexOf(c.pattern, c.invert) };
      const text = call("buildReadCommand", [], () => buildReadCommand(sent))!;
      const [frame] = call(
        "FrameReader.push",
        [],
        () => new FrameReader(1 << 20).push(encodeFrame(text)),
      )!;
      const got = call("parseCommand", [], () => parseCommand(decodeFrame(frame!)))!;
      const expected = {
        kind: "read",
        verb: c.verb,
        options: c.timeout ? {} : c.options,
        path: c.path,
        regex: sent.regex,
        timeout: c.timeout,
      };
      if (!isDeepStrictEqual({ ...got }, expected)) {
        throw new Failure(`round trip changed the command: ${show(text)} → ${show(got)}`);
      }
      const options = call("decodeOptions", [], () => decodeOptions(encodeOptions(c.options)));
      if (!isDeepStrictEqual(options, c.options)) {
        throw new Failure(`options round trip: ${show(c.options)} → ${show(options)}`);
      }
    },
  },
  repliesTarget,
  compressedTarget,
];

/** The selections' lines as "number:line", and whether the input was read to its end. */
type Lines = string[] & { complete?: boolean };

/** Context, invert and max, one set per case (picked by the text's length). */
const MATCH_VARIANTS = [
  {},
  { invert: true },
  { before: 1, after: 2 },
  { max: 2 },
  { invert: true, max: 3, after: 1 },
];
/** Small chunks and a short MaxLineLength bound one batch's synchronous work (the reference). */
const MATCH_SPLIT = { numbered: true, maxLineLength: 8192 };
const MATCH_CHUNK = 16 * 1024;
/** Each side matches this long at most (the case must end well within main.ts's HANG_MS). */
const MATCH_BUDGET_MS = 1000;
/** The longest the event loop may wait while filterChunks runs. */
export const LOOP_STALL_LIMIT_MS = 100;

const regexPool = new RegexPool({ size: 2 });

async function* chunksOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += MATCH_CHUNK) {
    yield bytes.slice(at, at + MATCH_CHUNK);
  }
}

function addLines(out: Lines, sel: Selection, decoder: TextDecoder): void {
  for (let i = 0; i < sel.regions.length; i += 2) {
    const [start, end] = [sel.regions[i]!, sel.regions[i + 1]!];
    let lineNo = sel.batch.firstLineNo + countNewlines(sel.batch, 0, start);
    for (const line of decoder.decode(sel.batch.bytes.subarray(start, end)).split(/(?<=\n)/)) {
      out.push(`${lineNo++}:${line}`);
    }
  }
}

/**
 * filterChunks with the regex pool, as a dserver runs it, while a timer ticks: a tick that
 * comes more than LOOP_STALL_LIMIT_MS late is a Failure. Stops after MATCH_BUDGET_MS.
 */
async function offloadedLines(
  matcher: Matcher,
  bytes: Uint8Array,
  options: SelectOptions & SplitOptions,
): Promise<Lines> {
  const out: Lines = [];
  const stop = AbortSignal.timeout(MATCH_BUDGET_MS);
  const filter = { ...options, matcher, signal: stop, offload: true, pool: regexPool };
  const decoder = new TextDecoder();
  let last = performance.now();
  let worst = 0;
  const tick = () => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  };
  const timer = setInterval(tick, 1);
  try {
    await untimedAsync("filterChunks", [], async () => {
      for await (const sel of filterChunks(chunksOf(bytes), filter)) addLines(out, sel, decoder);
    });
    tick();
  } finally {
    clearInterval(timer);
  }
  if (worst > LOOP_STALL_LIMIT_MS) {
    throw new Failure(`filterChunks blocked the event loop: a timer tick took ${worst | 0} ms`);
  }
  out.complete = !stop.aborted;
  return out;
}

/** The synchronous selector over the same batches (blocking is harmless in this worker). */
async function syncLines(
  matcher: Matcher,
  bytes: Uint8Array,
  options: SelectOptions & SplitOptions,
): Promise<Lines> {
  const out: Lines = [];
  const selector = new LineSelector(matcher, options);
  const decoder = new TextDecoder();
  const started = performance.now();
  out.complete = false;
  for await (const batch of splitLines(chunksOf(bytes), options)) {
    if (performance.now() - started > MATCH_BUDGET_MS) return out;
    for (const sel of selector.select(batch)) addLines(out, sel, decoder);
    if (selector.done) break;
  }
  out.complete = true;
  return out;
}

/** A matcher whose findLine must return a line start at or after `from`, or -1. */
function checkedMatcher(matcher: Matcher): Matcher {
  return {
    kind: matcher.kind,
    pattern: matcher.pattern,
    get engine() {
      return matcher.engine;
    },
    findLine(text, from) {
      const at = untimed("findLine", [], () => matcher.findLine(text, from))!;
      if (at !== -1 && (at < from || (at > 0 && text[at - 1] !== "\n"))) {
        throw new Failure(`findLine(text, ${from}) returned ${at}, not a line start >= from`);
      }
      return at;
    },
    test: (line) => untimed("test", [], () => matcher.test(line))!,
  };
}

/** A set's result rows as plain data. */
function plainRows(set: GroupSet): [string, [string, number | string][]][] {
  return set.rows().map((r) => [r.groupKey, [...r.cells]]);
}

/** What the server does with a decoded frame, up to the parsers' end. */
function commandStages(text: string): void {
  const command = call("parseCommand", COMMAND_ERRORS, () => parseCommand(text));
  if (command?.kind === "read") {
    for (const key of ["before", "after", "max"]) {
      call("intOption", [OptionsError], () => intOption(command.options, key));
    }
  }
  if (command?.kind === "map") call("parseQuery", [QueryError], () => parseQuery(command.query));
}

/** The target and input of a case, without running it (to replay or report a case). */
export function caseInput(seed: number): { target: Target; input: unknown } {
  const rng = new Rng(seed);
  const target = rng.pick(TARGETS);
  return { target, input: target.input(rng) };
}

/**
 * Runs one case: the target's name when every check held, else the Finding. A case that only
 * failed by time runs up to twice more, and counts only when it is slow every time (the machine
 * may be busy), unless a problem of its kind is in `known` already.
 */
export async function runCase(
  seed: number,
  env: Env,
  known: ReadonlySet<string> = new Set(),
): Promise<Finding | string> {
  const { target, input } = caseInput(seed);
  for (let attempt = 0;; attempt++) {
    try {
      await target.run(caseInput(seed).input as never, env);
      return target.name;
    } catch (err) {
      if (!(err instanceof Failure)) throw err;
      const finding = { seed, target: target.name, problem: err.message, input: show(input) };
      const slow = / took \d+ ms$/.test(err.message);
      if (!slow || attempt === 2 || known.has(findingKey(finding))) return finding;
    }
  }
}

/**
 * The glob target's tree, two levels below a directory of its own: a pattern's `..` (the seed
 * globs have one, mutations add more) then lists the fuzz's own directories, not the machine's
 * /tmp, whose size would decide whether expandGlob is "slow". `removeTree` removes it all.
 */
export async function makeTree(): Promise<string> {
  const tree = `${await Deno.makeTempDir({ prefix: "dtail-fuzz-" })}/up/tree`;
  for (const dir of ["a/b", "a/c", "a/d/e", "b", "[x]", "st*r"]) {
    await Deno.mkdir(`${tree}/${dir}`, { recursive: true });
  }
  for (const file of ["a/b/c1.log", "a/c/c2.log", "a/d/e/x", "b/y.log", "[x]/z", "st*r/q"]) {
    await Deno.writeTextFile(`${tree}/${file}`, "x\n");
  }
  await Deno.symlink("..", `${tree}/a/loop`);
  return tree;
}

export async function removeTree(tree: string): Promise<void> {
  await Deno.remove(tree.slice(0, -"/up/tree".length), { recursive: true });
}

/** Findings that differ only in numbers (times, positions) are the same problem. */
export function findingKey(f: Finding): string {
  const line = f.problem.split("\n")[0]!;
  const general = line.replace(/"(?:[^"\\]|\\.)*"/g, "…").replace(/ \/.*\/[a-z]*:/, " /…/:");
  return `${f.target}: ${general.replace(/\d+/g, "N")}`;
}

export const TARGET_NAMES = TARGETS.map((t) => t.name);

export interface WorkerStart {
  readonly seed: number;
  /** The index of the first case to run. */
  readonly first: number;
  readonly deadline: number;
  /**
   * Int32Array: [0] the index of the case running now, [1 + i] the cases run of TARGETS[i].
   */
  readonly progress: SharedArrayBuffer;
}

export type WorkerReport = { kind: "finding"; finding: Finding } | { kind: "done" };

/** The worker's loop: cases from `first` on until the deadline; each new problem is reported. */
async function work(start: WorkerStart, report: (r: WorkerReport) => void): Promise<void> {
  const progress = new Int32Array(start.progress);
  const tree = await makeTree();
  const seen = new Set<string>();
  try {
    for (let i = start.first; Date.now() < start.deadline; i++) {
      Atomics.store(progress, 0, i);
      const result = await runCase(caseSeed(start.seed, i), { tree }, seen);
      const name = typeof result === "string" ? result : result.target;
      Atomics.add(progress, 1 + TARGET_NAMES.indexOf(name), 1);
      if (typeof result !== "string" && !seen.has(findingKey(result))) {
        seen.add(findingKey(result));
        report({ kind: "finding", finding: result });
      }
    }
  } finally {
    await removeTree(tree);
  }
  report({ kind: "done" });
}

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
if (typeof scope.WorkerGlobalScope !== "undefined" && scope instanceof scope.WorkerGlobalScope) {
  scope.onmessage = (e: MessageEvent<WorkerStart>) => {
    work(e.data, (r) => scope.postMessage(r));
  };
}
