/** Golden tests against the Go DTail's integration test data (tests/testdata/dtail-upstream). */
import assert from "node:assert/strict";
import { assertNoStackTrace, bytesEqual, run, tempDir, UPSTREAM } from "./helpers.ts";

const read = (name: string) => Deno.readFileSync(`${UPSTREAM}/${name}`);

for (const name of ["dcat1a.txt", "dcat1b.txt", "dcat1c.txt"]) {
  Deno.test(`dcat --plain reproduces ${name} byte for byte`, async () => {
    const r = await run("dcat", ["--plain", "--cfg", "none", `${UPSTREAM}/${name}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(bytesEqual(r.stdout, read(name)));
  });
}

Deno.test("dcat of the same file given 100 times prints it 100 times", async () => {
  const file = `${UPSTREAM}/dcat2.txt`;
  const r = await run("dcat", [
    "--plain",
    "--cfg",
    "none",
    "--files",
    Array(100).fill(file).join(","),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const content = new TextDecoder().decode(read("dcat2.txt"));
  assert.equal(r.text, content.repeat(100));
});

Deno.test("dcat splits lines longer than MaxLineLength into 1024-byte pieces in test mode", async () => {
  const r = await run("dcat", ["--plain", "--cfg", "none", `${UPSTREAM}/dcat3.txt`], {
    env: { DTAIL_INTEGRATION_TEST_RUN_MODE: "yes" },
  });
  assert.equal(r.code, 0);
  assert.ok(bytesEqual(r.stdout, read("dcat3.txt.expected")));
  assert.match(r.stderr, /long log line, splitting into multiple lines/);
  assert.equal(r.stderr.trim().split("\n").length, 1, "one notice per long line");
});

Deno.test("dcat honours MaxLineLength from the config file", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/cfg.json`, JSON.stringify({ Server: { maxlinelength: 1024 } }));
  const r = await run("dcat", ["--plain", "--cfg", `${dir}/cfg.json`, `${UPSTREAM}/dcat3.txt`]);
  assert.ok(bytesEqual(r.stdout, read("dcat3.txt.expected")));
});

const grepCases: [string, string[], string][] = [
  ["a literal", ["--grep", "1002-071947"], "dgrep1.txt.expected"],
  ["a regex", ["--grep", "1002-07194[789]"], "dgrep2.txt.expected"],
  [
    "context",
    ["--grep", "1002-071947", "--before", "2", "--after", "3"],
    "dgrepcontext1.txt.expected",
  ],
  [
    "inverted context",
    ["--grep", "1002-071947", "--invert", "--before", "2", "--after", "3"],
    "dgrepcontext2.txt.expected",
  ],
];
for (const [what, args, expected] of grepCases) {
  Deno.test(`dgrep with ${what} matches ${expected}`, async () => {
    const r = await run("dgrep", [
      "--plain",
      "--cfg",
      "none",
      ...args,
      `${UPSTREAM}/mapr_testdata.log`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.text, new TextDecoder().decode(read(expected)));
  });
}

Deno.test("dgrep reads standard input when no file is given", async () => {
  const r = await run("dgrep", ["--plain", "--cfg", "none", "--grep", "1002-071947"], {
    stdin: read("mapr_testdata.log"),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.text, new TextDecoder().decode(read("dgrep1.txt.expected")));
});

Deno.test("dcat colors its output like the Go DTail's serverless mode", async () => {
  const r = await run("dcat", ["--cfg", "none", `${UPSTREAM}/dcatcolors.txt`], {
    env: { DTAIL_HOSTNAME_OVERRIDE: "integrationtest" },
  });
  assert.ok(bytesEqual(r.stdout, read("dcatcolors.expected")));
});

Deno.test("dcat --noColor prints the labelled REMOTE format without escapes", async () => {
  const r = await run("dcat", ["--noColor", "--cfg", "none", `${UPSTREAM}/dcatcolors.txt`], {
    env: { DTAIL_HOSTNAME_OVERRIDE: "integrationtest" },
  });
  assert.ok(bytesEqual(r.stdout, read("dcatcolors.server.expected")));
});

Deno.test("the NO_COLOR environment variable turns colors off like --noColor", async () => {
  const r = await run("dcat", ["--cfg", "none", `${UPSTREAM}/dcatcolors.txt`], {
    env: { DTAIL_HOSTNAME_OVERRIDE: "integrationtest", NO_COLOR: "1" },
  });
  assert.ok(bytesEqual(r.stdout, read("dcatcolors.server.expected")));
});

Deno.test("dtail --colorTable prints the color matrix", async () => {
  const r = await run("dtail", ["--colorTable"]);
  assert.equal(r.code, 0);
  assert.ok(bytesEqual(r.stdout, read("dtailcolortable.expected")));
});

Deno.test("dtailhealth without a server warns that it only checked serverless mode", async () => {
  const r = await run("dtailhealth", []);
  assert.equal(r.code, 1);
  assert.equal(r.text, new TextDecoder().decode(read("dtailhealth1.expected")));
});

Deno.test("dtailhealth against an unreachable server is CRITICAL with exit 2", async () => {
  const r = await run("dtailhealth", ["--server", "127.0.0.1:1"]);
  assert.equal(r.code, 2);
  // dtailhealth2.expected is the same line for the server "example:1".
  const expected = new TextDecoder().decode(read("dtailhealth2.expected")).replace(
    "example:1",
    "127.0.0.1:1",
  );
  assert.equal(r.text, expected);
});

for (const [ext, cmd] of [["gz", ["gzip", "-c"]], ["zst", ["zstd", "-q", "-c"]]] as const) {
  Deno.test(`dcat --plain of a .${ext} copy is byte-identical to the original`, async () => {
    const dir = await tempDir();
    const original = read("dcatcolors.txt");
    const out = await new Deno.Command(cmd[0], {
      args: [...cmd.slice(1), `${UPSTREAM}/dcatcolors.txt`],
      stdout: "piped",
    }).output();
    await Deno.writeFile(`${dir}/copy.${ext}`, out.stdout);
    // Also without the extension: the magic bytes alone are enough.
    await Deno.writeFile(`${dir}/copy-no-extension`, out.stdout);
    for (const name of [`copy.${ext}`, "copy-no-extension"]) {
      const r = await run("dcat", ["--plain", "--cfg", "none", `${dir}/${name}`]);
      assert.equal(r.code, 0, r.stderr);
      assertNoStackTrace(r.stderr);
      assert.ok(bytesEqual(r.stdout, original), `${name} differs`);
    }
  });
}

Deno.test("dcat labels lines of a glob with the matched part of the path as source id", async () => {
  const dir = await tempDir();
  for (const sub of ["web", "db"]) {
    await Deno.mkdir(`${dir}/${sub}`);
    await Deno.writeTextFile(`${dir}/${sub}/app.log`, `hello from ${sub}\n`);
  }
  const r = await run("dcat", ["--noColor", "--cfg", "none", `${dir}/*/app.log`], {
    env: { DTAIL_HOSTNAME_OVERRIDE: "box.example.com" },
  });
  assert.equal(
    r.text,
    "REMOTE|box|100|1|db|hello from db\nREMOTE|box|100|1|web|hello from web\n",
  );
});
