/**
 * The install story of docs/server.md and docs/packaging.md, performed: packaging/install-dserver.sh
 * (the exact steps of a first-time admin) and packaging/ansible/dserver.yml install dist/dserver
 * into a temporary root, the installed dserver is started as the script says (as the service
 * user, through setpriv, with the installed config) and dist/dcat reads a file through it over
 * SSH. packaging/dserver.service and packaging/dtail.json are checked against the script.
 *
 * Needs root (the script refuses anything else; the service user is the test user dtail-srv) and
 * dist/ (`make dist`); the Ansible test needs ansible-playbook. Each says so in one line when it
 * cannot run.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, ROOT } from "./helpers.ts";
import { SERVER_USER, TestClient } from "./ssh_env.ts";
import { freePort } from "./local_port.ts";

const SCRIPT = `${ROOT}/packaging/install-dserver.sh`;
const UNIT = `${ROOT}/packaging/dserver.service`;
const CONFIG = `${ROOT}/packaging/dtail.json`;
const TASKS = `${ROOT}/packaging/ansible/dserver.yml`;
/** `make dist`'s output; DTAIL_TEST_DIST=<dir> tests files built elsewhere. */
const DIST = Deno.env.get("DTAIL_TEST_DIST") ?? `${ROOT}/dist`;
const SSH_USER = "dtail-alice";

const decoder = new TextDecoder();

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string): boolean {
  return new Deno.Command("sh", { args: ["-c", `command -v ${command}`], stdout: "null" })
    .outputSync().success;
}

const installSkip = Deno.uid() !== 0
  ? "install_test: not root, the install tests are skipped (the script and setpriv need root)"
  : !exists(`${DIST}/dserver`) || !exists(`${DIST}/dcat`)
  ? "install_test: dist/dserver or dist/dcat is missing, the install tests are skipped " +
    "(run make dist)"
  : null;
const ansibleSkip = installSkip ??
  (onPath("ansible-playbook")
    ? null
    : "install_test: ansible-playbook is missing, the Ansible test is skipped " +
      "(apt-get install ansible-core)");
for (const line of new Set([installSkip, ansibleSkip])) if (line !== null) console.log(line);

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function sh(args: string[], env: Record<string, string> = {}): Promise<Output> {
  const out = await new Deno.Command("sh", { args, env, stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function script(...args: string[]): Promise<Output> {
  return await sh([SCRIPT, ...args]);
}

/** `Key=value` lines of a unit file (the last one wins, as in systemd for these keys). */
function parseUnit(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) keys.set(m[1]!, m[2]!);
  }
  return keys;
}

/** The paths the config names, each made relative to the install root. */
function underRoot(value: unknown, root: string): unknown {
  return JSON.parse(JSON.stringify(value), (_k, v) => {
    if (typeof v !== "string") return v;
    if (v.startsWith(root + "/")) return v.slice(root.length);
    if (v.startsWith("^" + root + "/")) return "^" + v.slice(root.length + 1);
    return v;
  });
}

Deno.test("packaging/dserver.service and dtail.json are what install-dserver.sh installs", async () => {
  const unitText = await Deno.readTextFile(UNIT);
  const printed = await script("--print-unit");
  assert.equal(printed.code, 0, printed.stderr);
  assert.equal(printed.stdout, unitText, "packaging/dserver.service differs from the script's");
  const config = JSON.parse(await Deno.readTextFile(CONFIG));
  const printedConfig = await script("--print-config");
  assert.equal(printedConfig.stdout, await Deno.readTextFile(CONFIG));
  assert.deepEqual(JSON.parse(printedConfig.stdout), config);

  // The unit names the script's layout: binary, config, user, and the directories of the config.
  const unit = parseUnit(unitText);
  assert.equal(unit.get("User"), "dserver");
  assert.equal(unit.get("ExecStart"), "/usr/local/bin/dserver --cfg /etc/dserver/dtail.json");
  assert.equal(unit.get("WorkingDirectory"), "/var/lib/dserver");
  assert.deepEqual(unit.get("StateDirectory")?.split(" "), ["dserver", "dserver/cache"]);
  assert.equal(config.Common.CacheDir, "/var/lib/dserver/cache");
  assert.equal(config.Server.HostKeyFile, "/var/lib/dserver/ssh_host_key");
  assert.equal(unit.get("LogsDirectory"), "dserver");
  assert.equal(config.Common.LogDir, "/var/log/dserver");
  assert.equal(unit.get("CacheDirectory"), "dserver");
  assert.equal(unit.get("Environment"), "DTAIL_SFX_CACHE=/var/cache/dserver/sfx");
  assert.equal(unit.get("ExecReload"), "/bin/kill -HUP $MAINPID");
  assert.equal(unit.get("ProtectSystem"), "strict");
  assert.equal(unit.get("ProtectHome"), "read-only");
  // Options that would hide users, their files or break V8 (docs/server.md, "Security model").
  for (const key of ["PrivateUsers", "PrivateTmp", "MemoryDenyWriteExecute", "DynamicUser"]) {
    assert.equal(unit.has(key), false, `${key} must not be set`);
  }
  // --user changes the User= line only.
  const other = await script("--print-unit", "--user", SERVER_USER);
  assert.equal(other.stdout, unitText.replace(/^User=dserver$/m, `User=${SERVER_USER}`));

  if (onPath("systemd-analyze")) {
    // systemd's own parser: unknown keys and bad values are reported. Only the binary may be
    // missing (it is not installed on the machine that runs the tests).
    const verify = await new Deno.Command("systemd-analyze", {
      args: ["verify", UNIT],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const complaints = decoder.decode(verify.stderr).split("\n").filter((l) =>
      l !== "" && !(!exists("/usr/local/bin/dserver") &&
        l === "dserver.service: Command /usr/local/bin/dserver is not executable: " +
            "No such file or directory")
    );
    assert.deepEqual(complaints, []);
  } else {
    console.log("install_test: systemd-analyze is missing, the unit is not verified by systemd");
  }
});

/**
 * A temporary root with what every system has (/etc, /usr/local/bin, /var/lib, /var/log,
 * /var/cache, mode 0755, root's), a log file the SSH user may read, and a download directory
 * with dist/dserver and dist/SHA256SUMS as an admin fetches them.
 */
async function installRoot(): Promise<{ dir: string; root: string; dl: string; log: string }> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-install-" });
  await Deno.chmod(dir, 0o755);
  const root = `${dir}/root`;
  for (const d of ["etc", "usr/local/bin", "var/lib", "var/log/app", "var/cache"]) {
    await Deno.mkdir(`${root}/${d}`, { recursive: true });
  }
  await new Deno.Command("chmod", { args: ["-R", "0755", root] }).output();
  const log = `${root}/var/log/app/app.log`;
  await Deno.writeTextFile(log, "line one\nline two ERROR\n");
  await Deno.chmod(log, 0o644);
  const dl = `${dir}/download`;
  await Deno.mkdir(dl);
  await Deno.copyFile(`${DIST}/dserver`, `${dl}/dserver`);
  await Deno.chmod(`${dl}/dserver`, 0o755);
  await Deno.copyFile(`${DIST}/SHA256SUMS`, `${dl}/SHA256SUMS`);
  return { dir, root, dl, log };
}

interface Server {
  port: number;
  output: () => string;
  stop: () => Promise<number>;
}

/** Runs a start command as the script prints it, until it says it listens (or ends). */
async function startServer(command: string): Promise<Server | Output> {
  const child = new Deno.Command("sh", {
    args: ["-c", `exec ${command}`],
    cwd: "/",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  let stderr = "";
  const pump = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const d = new TextDecoder();
    for await (const chunk of stream) add(d.decode(chunk, { stream: true }));
  };
  const pumped = Promise.all([
    pump(child.stdout, (s) => stdout += s),
    pump(child.stderr, (s) => stderr += s),
  ]);
  let ended: Deno.CommandStatus | null = null;
  child.status.then((s) => ended = s);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /listening on port (\d+)/.exec(stdout);
    if (m) {
      return {
        port: Number(m[1]),
        output: () => stdout + stderr,
        stop: async () => {
          child.kill("SIGTERM");
          const status = await child.status;
          await pumped;
          return status.code;
        },
      };
    }
    if (ended !== null) {
      await pumped;
      return { code: (ended as Deno.CommandStatus).code, stdout, stderr };
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await pumped;
      throw new Error(`dserver did not start in 30 s:\n${stdout}${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

function isServer(s: Server | Output): s is Server {
  return "port" in s;
}

/** dist/dcat as SSH user dtail-alice, with the client's key, trusting the new host key. */
async function distCat(client: TestClient, port: number, file: string): Promise<Output> {
  const out = await new Deno.Command(`${DIST}/dcat`, {
    args: [
      ...["--cfg", "none", "--plain", "--trustAllHosts", "--user", SSH_USER],
      ...["--servers", `127.0.0.1:${port}`, file],
    ],
    env: { HOME: client.home, SSH_AUTH_SOCK: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** The command the script printed to start dserver by hand. */
function startCommand(stdout: string): string {
  const lines = stdout.split("\n");
  const at = lines.indexOf("dserver is installed. Start it by hand, as root:");
  assert.ok(at >= 0, stdout);
  return lines[at + 1]!.trim();
}

async function ownerOf(path: string): Promise<string> {
  const out = await new Deno.Command("stat", { args: ["-c", "%U %a", path], stdout: "piped" })
    .output();
  return decoder.decode(out.stdout).trim();
}

Deno.test({
  name: "install-dserver.sh: a first-time admin's install serves dcat over SSH, and runs again",
  ignore: installSkip !== null,
  fn: async () => {
    const { dir, root, dl, log } = await installRoot();
    const client = await TestClient.create();
    const port = freePort();
    const args = [
      ...["--binary", `${dl}/dserver`, "--root", root, "--user", SERVER_USER],
      ...["--port", String(port), "--bind", "127.0.0.1", "--allow", `^${root}/var/log/app/`],
      ...["--authorize", `${SSH_USER}=${client.home}/.ssh/id_ed25519.pub`],
    ];
    try {
      const first = await script(...args);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(first.stdout, /sha256 [0-9a-f]{64} OK/);
      assert.match(first.stdout, /new key\(s\)/);
      assert.match(first.stdout, /^DTail for Deno .*\((self-extracting|compiled),/m); // first run

      // The layout the docs describe, under the root, with the owners and modes they give.
      const bin = `${root}/usr/local/bin/dserver`;
      const cfg = `${root}/etc/dserver/dtail.json`;
      assert.equal(await ownerOf(bin), "root 755");
      assert.equal(await ownerOf(cfg), "root 644");
      for (const d of ["var/lib/dserver", "var/lib/dserver/cache", "var/log/dserver"]) {
        assert.equal(await ownerOf(`${root}/${d}`), `${SERVER_USER} 750`, d);
      }
      assert.equal(await ownerOf(`${root}/var/cache/dserver`), `${SERVER_USER} 700`);
      const keys = `${root}/var/lib/dserver/cache/${SSH_USER}.authorized_keys`;
      assert.equal(
        await Deno.readTextFile(keys),
        await Deno.readTextFile(`${client.home}/.ssh/id_ed25519.pub`),
      );
      // The config is packaging/dtail.json with the root, port, address and rule given.
      const config = JSON.parse(await Deno.readTextFile(cfg));
      const expected = JSON.parse(await Deno.readTextFile(CONFIG));
      expected.Common.SSHPort = port;
      expected.Server.SSHBindAddress = "127.0.0.1";
      expected.Server.Permissions.Default = ["^/var/log/app/"];
      assert.deepEqual(underRoot(config, root), expected);
      // The unit's binary and config are the files the script installed.
      const unit = parseUnit(await Deno.readTextFile(UNIT));
      const [execPath, , cfgPath] = unit.get("ExecStart")!.split(" ");
      assert.ok(exists(root + execPath) && exists(root + cfgPath!));

      // Started the way the script says: as dtail-srv, through setpriv, with that config.
      const command = startCommand(first.stdout);
      assert.match(command, new RegExp(`^setpriv --reuid=${SERVER_USER} `));
      assert.ok(command.endsWith(`${bin} --cfg ${cfg}`), command);
      const server = await startServer(command);
      assert.ok(isServer(server), JSON.stringify(server));
      try {
        assert.equal(server.port, port);
        const cat = await distCat(client, port, log);
        assert.equal(cat.code, 0, cat.stderr + server.output());
        assert.equal(cat.stdout, "line one\nline two ERROR\n");
        // A file outside the allowed rule is refused.
        const refused = await distCat(client, port, "/etc/hostname");
        assert.notEqual(refused.code, 0);
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }
      const logs = [...Deno.readDirSync(`${root}/var/log/dserver`)].map((e) => e.name);
      assert.equal(logs.length, 1, logs.join());
      assert.match(
        await Deno.readTextFile(`${root}/var/log/dserver/${logs[0]}`),
        new RegExp(`listening on 127\\.0\\.0\\.1:${port}`),
      );
      assert.ok(exists(`${root}/var/lib/dserver/ssh_host_key`));

      // A log directory the service user cannot write (what the old docs left behind): one line.
      await new Deno.Command("chown", { args: ["root:root", `${root}/var/log/dserver`] }).output();
      const broken = await startServer(command);
      assert.ok(!isServer(broken), "dserver started with an unwritable log directory");
      assert.equal(broken.code, 1);
      assertNoStackTrace(broken.stderr);
      assert.equal(
        broken.stderr,
        `dserver: cannot write to log directory ${root}/var/log/dserver: permission denied ` +
          `(make it writable by ${SERVER_USER}: chown ${SERVER_USER} ${root}/var/log/dserver)\n`,
      );

      // Again: idempotent, keeps the config and the keys, repairs the owner.
      const again = await script(...args);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /kept the existing file/);
      assert.match(again.stdout, /0 new key\(s\)/);
      assert.equal(
        await Deno.readTextFile(keys),
        await Deno.readTextFile(`${client.home}/.ssh/id_ed25519.pub`),
      );
      assert.equal(await ownerOf(`${root}/var/log/dserver`), `${SERVER_USER} 750`);
      const restarted = await startServer(startCommand(again.stdout));
      assert.ok(isServer(restarted), JSON.stringify(restarted));
      try {
        const cat = await distCat(client, port, log);
        assert.equal(cat.stdout, "line one\nline two ERROR\n", cat.stderr);
      } finally {
        assert.equal(await restarted.stop(), 0, restarted.output());
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(client.home, { recursive: true });
    }
  },
});

Deno.test({
  name: "install-dserver.sh refuses a file that does not match SHA256SUMS and installs nothing",
  ignore: installSkip !== null,
  fn: async () => {
    const { dir, root, dl } = await installRoot();
    try {
      const sums = await Deno.readTextFile(`${dl}/SHA256SUMS`);
      await Deno.writeTextFile(
        `${dl}/SHA256SUMS`,
        sums.replace(/^[0-9a-f]{64}(?= {2}dserver$)/m, "0".repeat(64)),
      );
      const r = await script("--binary", `${dl}/dserver`, "--root", root, "--user", SERVER_USER);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^install-dserver: .*dserver: SHA-256 [0-9a-f]{64}, but .* says 0{64}/,
      );
      assert.equal(r.stderr.split("\n").length, 2, r.stderr);
      assert.equal(exists(`${root}/usr/local/bin/dserver`), false);
      assert.equal(exists(`${root}/etc/dserver`), false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the Ansible tasks install the same layout, and that dserver serves dcat over SSH",
  ignore: ansibleSkip !== null,
  fn: async () => {
    const { dir, root, dl, log } = await installRoot();
    const client = await TestClient.create();
    const port = freePort();
    const pub = (await Deno.readTextFile(`${client.home}/.ssh/id_ed25519.pub`)).trim();
    const vars = {
      dserver_binary_src: `${dl}/dserver`,
      dserver_unit_src: UNIT,
      dserver_user: SERVER_USER,
      dserver_port: port,
      dserver_bind: "127.0.0.1",
      dserver_allow: [`^${root}/var/log/app/`],
      dserver_authorized_keys: { [SSH_USER]: [pub] },
      dserver_systemd: false,
      dserver_unit: `${root}/etc/systemd/system/dserver.service`,
      dserver_bin: `${root}/usr/local/bin/dserver`,
      dserver_config: `${root}/etc/dserver/dtail.json`,
      dserver_state_dir: `${root}/var/lib/dserver`,
      dserver_log_dir: `${root}/var/log/dserver`,
      dserver_sfx_dir: `${root}/var/cache/dserver`,
    };
    // JSON is YAML: a play on this machine that imports the task list.
    const play = [{
      hosts: "localhost",
      connection: "local",
      gather_facts: false,
      vars,
      tasks: [{ "ansible.builtin.import_tasks": TASKS }],
    }];
    await Deno.writeTextFile(`${dir}/play.yml`, JSON.stringify(play, null, 2));
    await Deno.mkdir(`${root}/etc/systemd/system`, { recursive: true });
    const ansible = async () => {
      const out = await new Deno.Command("ansible-playbook", {
        args: ["-i", "localhost,", `${dir}/play.yml`],
        env: {
          HOME: dir,
          ANSIBLE_LOCAL_TEMP: `${dir}/.ansible-tmp`,
          ANSIBLE_NOCOLOR: "1",
          ANSIBLE_LOCALHOST_WARNING: "false",
          ANSIBLE_RETRY_FILES_ENABLED: "false",
        },
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
      assert.equal(out.code, 0, text);
      return text;
    };
    try {
      assert.match(await ansible(), /localhost\s+: ok=\d+\s+changed=[1-9]/);
      assert.match(await ansible(), /localhost\s+: ok=\d+\s+changed=0 /); // idempotent

      // The same config and unit as the script's (modulo root and test settings).
      const config = JSON.parse(await Deno.readTextFile(vars.dserver_config));
      const expected = JSON.parse(await Deno.readTextFile(CONFIG));
      expected.Common.SSHPort = port;
      expected.Server.SSHBindAddress = "127.0.0.1";
      expected.Server.Permissions.Default = ["^/var/log/app/"];
      assert.deepEqual(underRoot(config, root), expected);
      const printed = await script("--print-unit", "--user", SERVER_USER);
      const unitText = await Deno.readTextFile(vars.dserver_unit);
      assert.equal(unitText, printed.stdout);
      for (const d of ["var/lib/dserver", "var/lib/dserver/cache", "var/log/dserver"]) {
        assert.equal(await ownerOf(`${root}/${d}`), `${SERVER_USER} 750`, d);
      }
      assert.equal(await ownerOf(`${root}/var/cache/dserver`), `${SERVER_USER} 700`);

      const command = `setpriv --reuid=${SERVER_USER} --regid=${SERVER_USER} --init-groups ` +
        `env HOME=${vars.dserver_state_dir} DTAIL_SFX_CACHE=${vars.dserver_sfx_dir}/sfx ` +
        `${vars.dserver_bin} --cfg ${vars.dserver_config}`;
      const server = await startServer(command);
      assert.ok(isServer(server), JSON.stringify(server));
      try {
        const cat = await distCat(client, port, log);
        assert.equal(cat.code, 0, cat.stderr + server.output());
        assert.equal(cat.stdout, "line one\nline two ERROR\n");
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(client.home, { recursive: true });
    }
  },
});
