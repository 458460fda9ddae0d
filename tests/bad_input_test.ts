/**
 * Bad input gets one clear line and the right exit status, never a stack trace
 * (docs/compatibility.md#exit-status).
 */
import assert from "node:assert/strict";
import {
  assertNoStackTrace,
  bytesEqual,
  DENO_DIR,
  ROOT,
  run,
  spawn,
  tempDir,
  UPSTREAM,
} from "./helpers.ts";
import { summaryLines, withoutSummary } from "./summary_lines.ts";

function assertOneLine(stderr: string, pattern: RegExp): void {
  assertNoStackTrace(stderr);
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, pattern);
}

const usageCases: [string, string, string[], RegExp][] = [
  ["an unknown flag", "dcat", ["--bogus", "x"], /^dcat: unknown flag -bogus/],
  ["a flag without its value", "dgrep", ["--grep"], /^dgrep: flag -grep needs a value/],
  [
    "a non-numeric integer",
    "dgrep",
    ["--max", "ten", "x"],
    /^dgrep: invalid value "ten" for flag -max/,
  ],
  ["a bad boolean", "dcat", ["--plain=maybe", "x"], /^dcat: invalid boolean value "maybe"/],
  [
    "an invalid regex",
    "dgrep",
    ["--grep", "a(b", "x"],
    /^dgrep: invalid regular expression "a\(b"/,
  ],
  [
    "a negative context",
    "dgrep",
    ["--before", "-1", "--grep", "a", "x"],
    /^dgrep: -before must not be negative/,
  ],
  ["a flag of another program", "dcat", ["--grep", "x"], /^dcat: unknown flag -grep/],
];
for (const [what, program, args, pattern] of usageCases) {
  Deno.test(`${program} rejects ${what} with one line and exit 2`, async () => {
    const r = await run(program, ["--cfg", "none", ...args]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, pattern);
    assert.equal(r.stdout.length, 0);
  });
}

Deno.test("query misuse and unbuilt modes say so in one line and exit 2", async () => {
  const cases: [string, string[], RegExp][] = [
    [
      "dmap",
      ["--cfg", "none", "--servers", "127.0.0.1:1", "select count($line)"],
      /no files given/,
    ],
    ["dmap", ["--cfg", "none", "x.log"], /no query given/],
    ["dcat", ["--cfg", "none", "select count($line)", "x"], /takes no query/],
    [
      "dtail",
      [
        "--cfg",
        "none",
        "--interactive-query",
        "--control-tty",
        "/nonexistent/tty",
        "--query",
        "select count($line)",
        "x",
      ],
      /cannot open the control terminal \/nonexistent\/tty/,
    ],
  ];
  for (const [program, args, pattern] of cases) {
    const r = await run(program, args);
    assert.equal(r.code, 2, `${program} ${args.join(" ")}`);
    assertOneLine(r.stderr, pattern);
  }
});

Deno.test("a config file that is not JSON is a usage error naming the file", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/bad.json`, "{ not json");
  const r = await run("dcat", ["--cfg", `${dir}/bad.json`, `${UPSTREAM}/dcat1c.txt`]);
  assert.equal(r.code, 2);
  assertOneLine(r.stderr, /config .*bad\.json is not valid JSON/);
});

Deno.test("an endless file named as config or ssh config is one line, not a full memory", async () => {
  // /dev/zero read whole would grow until the kernel kills the process (exit 137).
  const cfg = await run("dcat", ["--cfg", "/dev/zero", `${UPSTREAM}/dcat1c.txt`]);
  assert.equal(cfg.code, 2);
  assertOneLine(cfg.stderr, /^dcat: cannot read config \/dev\/zero: larger than 16 MiB$/);
  const home = await homeWithKey();
  const ssh = await run(
    "dcat",
    ["--cfg", "none", "--servers", "127.0.0.1:1", "--ssh-config", "/dev/zero", "x.log"],
    { env: { HOME: home } },
  );
  assert.equal(ssh.code, 2);
  assertOneLine(ssh.stderr, /^dcat: cannot read ssh config \/dev\/zero: larger than 16 MiB$/);
});

Deno.test("a config value of the wrong type names the key", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ Server: { MaxLineLength: "big" } }));
  const r = await run("dcat", ["--cfg", `${dir}/c.json`, `${UPSTREAM}/dcat1c.txt`]);
  assert.equal(r.code, 2);
  assertOneLine(r.stderr, /Server\.MaxLineLength must be an integer/);
});

Deno.test("a missing file fails the run with exit 1", async () => {
  const r = await run("dcat", ["--plain", "--cfg", "none", "/nonexistent/file.log"]);
  assert.equal(r.code, 1);
  assertOneLine(r.stderr, /^dcat: \/nonexistent\/file\.log: no such file or directory$/);
});

Deno.test("an empty file name is no such file, not the current directory", async () => {
  const r = await run("dcat", ["--plain", "--cfg", "none", ""]);
  assert.equal(r.code, 1);
  assertOneLine(r.stderr, /^dcat: "": no such file or directory$/);
});

Deno.test("a file name too long for the system says so, not that the file is missing", async () => {
  const long = `/tmp/${"x".repeat(300)}.log`;
  const r = await run("dcat", ["--plain", "--cfg", "none", long]);
  assert.equal(r.code, 1);
  assertOneLine(r.stderr, /: file name too long$/);
});

Deno.test({
  name: "a file in a directory the user may not search is refused, not called missing",
  ignore: Deno.uid() !== 0, // runs the launcher as the test user dtail-alice
  fn: async () => {
    const dir = await tempDir();
    try {
      await Deno.chmod(dir, 0o700);
      await Deno.writeTextFile(`${dir}/app.log`, "a line\n");
      const r = await new Deno.Command("runuser", {
        args: [
          "-u",
          "dtail-alice",
          "--",
          `${ROOT}/bin/dcat`,
          "--plain",
          "--cfg",
          "none",
          `${dir}/app.log`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(r.code, 1);
      assertOneLine(new TextDecoder().decode(r.stderr), /app\.log: permission denied$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("dgrep with a pattern typed as its first file says how a pattern is given", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/app.log`, "one ERROR\ntwo\n");
  const r = await run("dgrep", ["--plain", "--cfg", "none", "ERROR", `${dir}/app.log`]);
  assert.equal(r.code, 3, "a file failed, another was read");
  assert.equal(new TextDecoder().decode(r.stdout), "one ERROR\ntwo\n", "every line matches");
  assertOneLine(
    r.stderr,
    /^dgrep: ERROR: no such file or directory; without --grep every line matches \(to search for it: dgrep --grep ERROR FILE\.\.\.\)$/,
  );
  const quoted = await run("dgrep", ["--plain", "--cfg", "none", "disk full", `${dir}/app.log`]);
  assertOneLine(quoted.stderr, /dgrep --grep 'disk full' FILE/);
  // With a pattern, or for a later file, a missing file is just missing.
  const given = await run("dgrep", ["--plain", "--cfg", "none", "--grep", "x", "ERROR"]);
  assertOneLine(given.stderr, /^dgrep: ERROR: no such file or directory$/);
  const later = await run("dgrep", ["--plain", "--cfg", "none", `${dir}/app.log`, "ERROR"]);
  assertOneLine(later.stderr, /^dgrep: ERROR: no such file or directory$/);
});

Deno.test("a glob matching nothing fails the run with exit 1", async () => {
  const dir = await tempDir();
  const r = await run("dcat", ["--plain", "--cfg", "none", `${dir}/*.log`]);
  assert.equal(r.code, 1);
  assertOneLine(r.stderr, /no file matches/);
});

Deno.test("one bad file among good ones: the others are printed and the exit status is 3", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/a.log`, "first\n");
  await Deno.writeTextFile(`${dir}/corrupt.gz`, "this is not gzip\n");
  const broken = new Uint8Array(Deno.readFileSync(`${UPSTREAM}/dcat1a.txt`));
  const gz = await new Deno.Command("gzip", {
    args: ["-c", `${UPSTREAM}/dcat1a.txt`],
    stdout: "piped",
  })
    .output();
  await Deno.writeFile(`${dir}/truncated.gz`, gz.stdout.subarray(0, gz.stdout.length >> 1));
  await Deno.writeFile(`${dir}/b.log`, broken.subarray(0, 10));
  await Deno.mkdir(`${dir}/adir`);
  const files = ["a.log", "corrupt.gz", "truncated.gz", "adir", "missing.log", "b.log"]
    .map((f) => `${dir}/${f}`);
  const r = await run("dcat", ["--plain", "--cfg", "none", ...files]);
  assert.equal(r.code, 3);
  assertNoStackTrace(r.stderr);
  const errors = r.stderr.trimEnd().split("\n");
  assert.equal(errors.length, 4, r.stderr);
  assert.match(errors[0]!, /corrupt\.gz: not in gzip format/);
  assert.match(errors[1]!, /truncated\.gz: corrupt gzip data/);
  assert.match(errors[2]!, /adir: is a directory/);
  assert.match(errors[3]!, /missing\.log: no such file or directory/);
  assert.ok(r.text.startsWith("first\n"));
  assert.ok(r.text.endsWith(new TextDecoder().decode(broken.subarray(0, 10)) + "\n"));
});

Deno.test("binary content passes through --plain byte for byte", async () => {
  const dir = await tempDir();
  const bytes = new Uint8Array(70_000);
  let seed = 7;
  for (let i = 0; i < bytes.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    bytes[i] = seed >>> 24;
  }
  bytes[bytes.length - 1] = 10;
  await Deno.writeFile(`${dir}/bin.dat`, bytes);
  const r = await run("dcat", ["--plain", "--cfg", "none", `${dir}/bin.dat`]);
  assert.equal(r.code, 0);
  assert.ok(bytesEqual(r.stdout, bytes));
  const inverted = await run("dgrep", [
    "--plain",
    "--cfg",
    "none",
    "--invert",
    "--grep",
    "NOPE",
    `${dir}/bin.dat`,
  ]);
  assert.ok(bytesEqual(inverted.stdout, bytes));
});

Deno.test("dgrep finds a literal in lines with invalid UTF-8 and prints their original bytes", async () => {
  const dir = await tempDir();
  const line = new Uint8Array([0xff, 0xfe, 0x41, 0x42, 0x00, 0xc3, 0x28, 0x0a]); // "\xff\xfeAB\0\xc3(\n"
  const other = new TextEncoder().encode("nothing here\n");
  const content = new Uint8Array([...other, ...line, ...other]);
  await Deno.writeFile(`${dir}/mixed.dat`, content);
  const r = await run("dgrep", ["--plain", "--cfg", "none", "--grep", "AB", `${dir}/mixed.dat`]);
  assert.equal(r.code, 0);
  assert.ok(bytesEqual(r.stdout, line));
});

Deno.test("help is printed with -h and --help and exits 0", async () => {
  for (const flag of ["-h", "--help", "-help"]) {
    const r = await run("dgrep", [flag]);
    assert.equal(r.code, 0);
    assert.match(r.text, /^Usage: dgrep/);
    assert.match(r.text, /--grep re/);
    assert.doesNotMatch(r.text, /--query/);
  }
});

Deno.test("output closed early by the reader ends the run quietly", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/big.log`, "a line of text\n".repeat(500_000));
  const out = await inShell("dcat", [`${dir}/big.log`], "| head -n 1");
  assert.equal(out.stdout, "a line of text\n");
  assert.equal(out.stderr, "");
});

Deno.test("a flag after a file name is a usage error instead of a file name", async () => {
  const r = await run("dgrep", ["--cfg", "none", `${UPSTREAM}/dcat1c.txt`, "--grep", "x"]);
  assert.equal(r.code, 2);
  assertOneLine(r.stderr, /--grep comes after a file name; put flags before the files/);
});

Deno.test("-- ends the flags, so a file may be named like a flag", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/-odd`, "odd name\n");
  const r = await run("dcat", ["--plain", "--cfg", "none", "--", "-odd"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.text, "odd name\n");
});

Deno.test("--version prints one line and exits 0", async () => {
  const r = await run("dcat", ["--version"]);
  assert.equal(r.code, 0);
  assert.match(r.text, /^DTail for Deno \S+ Protocol 4\.1 .*\(launcher, Deno \d+\.\d+\.\d+/);
  assert.equal(r.text.split("\n").length, 2);
});

Deno.test("SIGTERM stops a long dcat promptly, after whole lines", async () => {
  const dir = await tempDir();
  const line = "0123456789".repeat(10) + "\n";
  await Deno.writeTextFile(`${dir}/big.log`, line.repeat(200_000));
  const child = spawn("dcat", ["--plain", "--cfg", "none", ...Array(50).fill(`${dir}/big.log`)]);
  const reader = child.stdout.getReader();
  let received = "";
  const first = await reader.read(); // it is running
  received += new TextDecoder().decode(first.value);
  child.kill("SIGTERM");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    received += new TextDecoder().decode(value);
  }
  const status = await child.status;
  assert.equal(status.code, 0);
  assert.ok(received.length < line.length * 200_000 * 50, "stopped before the end");
  assert.equal(received.length % line.length, 0, "only whole lines");
  await child.stderr.cancel();
});

async function homeWithKey(): Promise<string> {
  const home = await tempDir("dtail-home-");
  await Deno.mkdir(`${home}/.ssh`, { mode: 0o700 });
  const gen = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", "ed25519", "-N", "", "-f", `${home}/.ssh/id_ed25519`],
  }).output();
  assert.ok(gen.success);
  return home;
}

Deno.test("unreachable servers get one line each, then the summary, and exit 1", async () => {
  const home = await homeWithKey();
  const r = await run("dcat", ["--cfg", "none", "--servers", "127.0.0.1:1,127.0.0.1:2", "/x.log"], {
    env: { HOME: home },
  });
  assert.equal(r.code, 1);
  assertNoStackTrace(r.stderr);
  const lines = withoutSummary(r.stderr).trimEnd().split("\n").sort();
  assert.deepEqual(lines, [
    "dcat: 127.0.0.1:1: connection refused",
    "dcat: 127.0.0.1:2: connection refused",
  ]);
  assert.deepEqual(summaryLines(r.stderr), [
    "dcat: 0 of 2 servers answered",
    "dcat: 2 servers: connection refused: 127.0.0.1:[1-2]",
  ]);
});

Deno.test("a port that answers but is no SSH server is named so, with what it sent", async () => {
  const home = await homeWithKey();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      held.push(conn);
      await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
    }
  })();
  try {
    const server = `127.0.0.1:${listener.addr.port}`;
    const r = await run("dcat", ["--cfg", "none", "--servers", server, "/x.log"], {
      env: { HOME: home },
    });
    assert.equal(r.code, 1);
    assertNoStackTrace(r.stderr);
    assert.deepEqual(withoutSummary(r.stderr).trimEnd().split("\n"), [
      `dcat: ${server}: not an SSH server: it sent "HTTP/1.1 400 Bad Request"`,
    ]);
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await serving.catch(() => {});
  }
});

Deno.test("without any SSH key a remote run says so in one line and exits 2", async () => {
  const home = await tempDir("dtail-home-");
  const r = await run("dgrep", ["--cfg", "none", "--servers", "127.0.0.1:1", "--grep", "x", "/x"], {
    env: { HOME: home, SSH_AUTH_SOCK: "" },
  });
  assert.equal(r.code, 2);
  assertOneLine(r.stderr, /no SSH private key found/);
});

Deno.test("a remote run needs files: standard input cannot be read on servers", async () => {
  const r = await run("dcat", ["--cfg", "none", "--servers", "127.0.0.1:1"]);
  assert.equal(r.code, 2);
  assertOneLine(r.stderr, /no files given/);
});

Deno.test("a file name with white space cannot be sent to servers: one line naming a glob", async () => {
  const runs: [string, string[]][] = [["dcat", []], ["dmap", ["--query", "select count($line)"]]];
  for (const [program, extra] of runs) {
    const files = ["--files", "/l/ok.log,/l/x y\n.log"];
    const r = await run(program, ["--cfg", "none", "--servers", "127.0.0.1:1", ...extra, ...files]);
    assert.equal(r.code, 2, program);
    assertOneLine(r.stderr, /"\/l\/x y\\n\.log": .*cannot hold white space.*"\/l\/x\?y\?\.log"/);
  }
});

Deno.test({
  name: "dserver refuses to run as root in one line",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const r = await run("dserver", ["--cfg", "none", "--port", "0"]);
    assert.equal(r.code, 1);
    assertOneLine(r.stderr, /^dserver: refusing to run as root; start it as an unprivileged user$/);
  },
});

Deno.test("a file that is also standard output is refused, and the other files are read", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/a.log`, "1\n2\n");
  await Deno.writeTextFile(`${dir}/b.log`, "3\n");
  for (const [program, extra] of [["dcat", []], ["dgrep", ["--grep", "."]]] as const) {
    const out = await inShell(program, [...extra, `${dir}/a.log`, `${dir}/b.log`], '>> "$OUT"', {
      OUT: `${dir}/a.log`,
    });
    const stderr = out.stderr;
    assert.equal(out.code, 3, stderr);
    assertOneLine(stderr, /a\.log: input file is also the output$/);
    assertNoStackTrace(stderr);
  }
  // a.log grew by b.log's line from each run, not by its own lines over and over.
  assert.equal(await Deno.readTextFile(`${dir}/a.log`), "1\n2\n3\n3\n");
});

Deno.test("a dmap outfile that is one of its logs stops the run before the log is replaced", async () => {
  const dir = await tempDir();
  const log = "1\n2\n3\n";
  await Deno.writeTextFile(`${dir}/a.log`, log);
  await Deno.writeTextFile(`${dir}/b.log`, log);
  for (const targets of [[`${dir}/b.log`, `${dir}/a.log`], [`${dir}/*.log`]]) {
    for (const outfile of [`${dir}/a.log`, `append ${dir}/a.log`]) {
      const r = await run("dmap", [
        "--cfg",
        "none",
        "--query",
        `select count($line) logformat generic outfile ${outfile}`,
        ...targets,
      ]);
      assert.equal(r.code, 2, r.stderr);
      assertOneLine(
        r.stderr,
        /cannot write outfile ".*a\.log": it is .*a\.log, a file the query reads/,
      );
      assert.equal(await Deno.readTextFile(`${dir}/a.log`), log);
    }
  }
});

Deno.test(
  "output that cannot be written (a full disk) is one line and exit 1, not an internal error",
  {
    ignore: !isCharDevice("/dev/full"),
  },
  async () => {
    const dir = await tempDir();
    await Deno.writeTextFile(`${dir}/a.log`, "1\n2\n".repeat(50_000));
    for (const [program, extra] of [["dcat", []], ["dgrep", ["--grep", "."]]] as const) {
      const out = await inShell(program, [...extra, `${dir}/a.log`], "> /dev/full");
      const stderr = out.stderr;
      assert.equal(out.code, 1, stderr);
      assert.equal(stderr, `${program}: write error: no space left on device\n`);
    }
  },
);

function isCharDevice(path: string): boolean {
  try {
    return Deno.statSync(path).isCharDevice === true;
  } catch {
    return false;
  }
}

Deno.test("a huge flag, pattern or query in an error is quoted by its start: one short line", async () => {
  // Just within a query's 16,384 characters.
  const nested = "maskdigits(".repeat(1300) + "$line" + ")".repeat(1300);
  const cases: [string, string[], RegExp][] = [
    ["dgrep", ["--" + "x".repeat(20_000)], /^dgrep: unknown flag -x+\.\.\. \(see dgrep --help\)$/],
    [
      "dgrep",
      ["--grep", "a(".repeat(5_000), "x.log"],
      /^dgrep: invalid regular expression "(a\()+a?\.\.\.": error parsing regexp: missing closing \): `(a\()+a?\.\.\.$/,
    ],
    [
      "dmap",
      ["--query", `select count(${nested}) logformat generic`, "x.log"],
      /^dmap: cannot parse select aggregation "count\((maskdigits\()+m?a?s?k?d?i?g?\.\.\." at position 7$/,
    ],
    [
      "dmap",
      ["--query", `select count(${nested}${nested}) logformat generic`, "x.log"],
      /^dmap: the query is longer than 16384 characters$/,
    ],
  ];
  for (const [program, args, pattern] of cases) {
    const r = await run(program, ["--cfg", "none", ...args]);
    assert.equal(r.code, 2, r.stderr);
    assertOneLine(r.stderr, pattern);
    assert.ok(r.stderr.length < 500, `${program}: ${r.stderr.length} characters`);
  }
});

Deno.test("standard input that is the output file is refused, read or followed", async () => {
  const dir = await tempDir();
  const log = "1\n2\n".repeat(1000);
  await Deno.writeTextFile(`${dir}/a.log`, log);
  for (const program of ["dcat", "dtail"]) {
    const out = await inShell(program, ["-"], '< "$OUT" >> "$OUT"', { OUT: `${dir}/a.log` });
    const stderr = out.stderr;
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, new RegExp(`^${program}: stdin: input file is also the output$`, "m"));
    assertNoStackTrace(stderr);
    assert.doesNotMatch(stderr, /internal error/);
    assert.equal(await Deno.readTextFile(`${dir}/a.log`), log);
  }
});

/**
 * Runs `program --plain --cfg none ARGS` from source in bash with `redirect` after it (`$OUT` and
 * the other `env` names may be used there). A run that writes its own input feeds itself: it gets
 * at most 10 MB and 30 s of that. A write past the 10 MB fails (EFBIG) instead of killing the
 * process: Deno's own caches in DENO_DIR (its V8 code cache grows past 10 MB on a machine that
 * has run many revisions) are written by the same process, and a failed cache write is ignored.
 */
async function inShell(
  program: string,
  args: readonly string[],
  redirect: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -f 10240; trap "" XFSZ; timeout 30 "$0" run -A --frozen --cached-only app/main.ts --plain ` +
      `--cfg none "$@" ${redirect}`,
      Deno.execPath(),
      ...args,
    ],
    env: { DTAIL_PROGRAM: program, DENO_DIR, ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}
