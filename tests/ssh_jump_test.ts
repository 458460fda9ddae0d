/**
 * ProxyJump through a real OpenSSH sshd (tests/sshd_bastion.ts) to real dservers behind it, the
 * way a fleet behind a bastion is reached: the client's ~/.ssh/config names the jump host, the
 * dservers are reached through `direct-tcpip` channels of ONE bastion connection.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { Bastion, bastionMissing } from "./sshd_bastion.ts";
import { freePort } from "./local_port.ts";

const missing = bastionMissing();
if (missing !== null && canRunServers) console.log(`ssh_jump_test: ${missing}`);

interface Fleet {
  client: TestClient;
  bastion: Bastion;
  servers: TestServer[];
  file: string;
}

async function withFleet(count: number, fn: (f: Fleet) => Promise<void>): Promise<void> {
  const client = await TestClient.create();
  const bastion = await Bastion.start(client);
  const servers = await Promise.all(
    Array.from({ length: count }, () => TestServer.start(client)),
  );
  const dir = await Deno.makeTempDir({ prefix: "dtail-jump-" });
  await Deno.chmod(dir, 0o755);
  const file = `${dir}/app.log`;
  await Deno.writeTextFile(file, "one\ntwo\nthree\n");
  await Deno.chmod(file, 0o644);
  try {
    await fn({ client, bastion, servers, file });
  } finally {
    await bastion.stop();
    for (const s of servers) await s.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The client's ~/.ssh/config and a known_hosts that trusts the bastion. */
async function sshConfig(f: Fleet, text: string): Promise<void> {
  await Deno.writeTextFile(`${f.client.home}/.ssh/config`, text);
  await Deno.writeTextFile(`${f.client.home}/.ssh/known_hosts`, f.bastion.knownHostsLine + "\n");
}

function dcat(
  f: Fleet,
  servers: string,
  extra: string[] = [],
  trustAll = true,
  env: Record<string, string> = {},
) {
  return run("dcat", [
    "--cfg",
    "none",
    "--user",
    "dtail-alice",
    "--servers",
    servers,
    ...(trustAll ? ["--trustAllHosts"] : []),
    "--plain",
    ...extra,
    f.file,
  ], { env: { HOME: f.client.home, SSH_AUTH_SOCK: "", ...env } });
}

const bastionBlock = (f: Fleet) =>
  `Host bastion\n  HostName 127.0.0.1\n  Port ${f.bastion.port}\n  User ${f.bastion.user}\n`;

Deno.test({
  name: "dservers behind a jump host are read through one connection to it",
  ignore: !canRunServers || missing !== null,
  fn: async () => {
    await withFleet(3, async (f) => {
      await sshConfig(
        f,
        `${bastionBlock(f)}\nHost web*\n  HostName 127.0.0.1\n  ProxyJump bastion\n`,
      );
      const list = f.servers.map((s, i) => `web${i + 1}:${s.port}`).join(",");
      const r = await dcat(f, list);
      assert.equal(r.code, 0, r.stderr);
      assertNoStackTrace(r.stderr);
      assert.equal(r.text, "one\ntwo\nthree\n".repeat(3));
      assert.equal(f.bastion.logins(), 1, f.bastion.log());
      assert.equal(f.bastion.tunnels(), 3, f.bastion.log());
    });
  },
});

Deno.test({
  name: "with DTAIL_SSH_CLIENT=ssh2 the servers behind a jump host are read through ssh2 alike",
  ignore: !canRunServers || missing !== null,
  fn: async () => {
    await withFleet(2, async (f) => {
      await sshConfig(
        f,
        `${bastionBlock(f)}\nHost web*\n  HostName 127.0.0.1\n  ProxyJump bastion\n`,
      );
      const list = f.servers.map((s, i) => `web${i + 1}:${s.port}`).join(",");
      const r = await dcat(f, list, [], true, { DTAIL_SSH_CLIENT: "ssh2" });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.text, "one\ntwo\nthree\n".repeat(2));
      assert.equal(f.bastion.logins(), 1, f.bastion.log());
      assert.equal(f.bastion.tunnels(), 2, f.bastion.log());
    });
  },
});

Deno.test({
  name: "ProxyJump given as user@host:port needs no Host block for the jump host",
  ignore: !canRunServers || missing !== null,
  fn: async () => {
    await withFleet(1, async (f) => {
      await sshConfig(
        f,
        `Host app\n  HostName 127.0.0.1\n  Port ${f.servers[0]!.port}\n` +
          `  ProxyJump ${f.bastion.user}@127.0.0.1:${f.bastion.port}\n`,
      );
      const r = await dcat(f, "app");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.text, "one\ntwo\nthree\n");
      assert.equal(f.bastion.tunnels(), 1);
    });
  },
});

Deno.test({
  name: "without the jump host, every server behind it fails with a line naming the jump host",
  ignore: !canRunServers || missing !== null,
  fn: async () => {
    await withFleet(2, async (f) => {
      const closed = freePort();
      await sshConfig(
        f,
        `Host bastion\n  HostName 127.0.0.1\n  Port ${closed}\n\n` +
          `Host web*\n  HostName 127.0.0.1\n  ProxyJump bastion\n`,
      );
      const list = f.servers.map((s, i) => `web${i + 1}:${s.port}`).join(",");
      const r = await dcat(f, list);
      assert.equal(r.code, 1, r.stderr);
      assertNoStackTrace(r.stderr);
      assert.equal(r.text, "");
      for (const [i, s] of f.servers.entries()) {
        assert.match(
          r.stderr,
          new RegExp(`web${i + 1}:${s.port}: via jump host bastion:${closed}: connection refused`),
        );
      }
    });
  },
});

Deno.test({
  name: "a server the jump host cannot reach fails alone, the others are read",
  ignore: !canRunServers || missing !== null,
  fn: async () => {
    await withFleet(1, async (f) => {
      await sshConfig(f, `${bastionBlock(f)}\nHost *\n  HostName 127.0.0.1\n  ProxyJump bastion\n`);
      const closed = freePort();
      const r = await dcat(f, `web1:${f.servers[0]!.port},web2:${closed}`);
      assert.equal(r.code, 3, r.stderr); // some servers answered, some did not
      assert.equal(r.text, "one\ntwo\nthree\n");
      assert.match(
        r.stderr,
        new RegExp(`web2:${closed}: via jump host bastion:${f.bastion.port}: `),
      );
    });
  },
});

Deno.test({
  name: "--ssh-config none ignores ~/.ssh/config, -F reads another file",
  ignore: !canRunServers || missing !== null,
  fn: async () => {
    await withFleet(1, async (f) => {
      const port = f.servers[0]!.port;
      // ~/.ssh/config sends everything to a closed port; the -F file goes through the bastion.
      await sshConfig(f, `Host *\n  Port ${freePort()}\n`);
      const other = `${f.client.home}/jump.conf`;
      await Deno.writeTextFile(
        other,
        `${
          bastionBlock(f)
        }\nHost web1\n  HostName 127.0.0.1\n  Port ${port}\n  ProxyJump bastion\n`,
      );
      const none = await dcat(f, `127.0.0.1:${port}`, ["--ssh-config", "none"]);
      assert.equal(none.code, 0, none.stderr);
      assert.equal(f.bastion.tunnels(), 0);
      const viaF = await dcat(f, "web1", ["-F", other]);
      assert.equal(viaF.code, 0, viaF.stderr);
      assert.equal(viaF.text, "one\ntwo\nthree\n");
      assert.equal(f.bastion.tunnels(), 1);
      const missingFile = await dcat(f, "web1", ["-F", `${f.client.home}/nope.conf`]);
      assert.equal(missingFile.code, 2, missingFile.stderr);
      assertNoStackTrace(missingFile.stderr);
      assert.match(missingFile.stderr, /nope\.conf/);
    });
  },
});

Deno.test({
  name: "a chain of two jump hosts reaches the dservers behind the second",
  ignore: !canRunServers || missing !== null,
  fn: async () => {
    await withFleet(2, async (f) => {
      const inner = await Bastion.start(f.client);
      try {
        await sshConfig(
          f,
          `${bastionBlock(f)}\nHost inner\n  HostName 127.0.0.1\n  Port ${inner.port}\n` +
            `  User ${inner.user}\n\nHost web*\n  HostName 127.0.0.1\n  ProxyJump bastion,inner\n`,
        );
        const list = f.servers.map((s, i) => `web${i + 1}:${s.port}`).join(",");
        const r = await dcat(f, list);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.text, "one\ntwo\nthree\n".repeat(2));
        // The outer bastion carries one channel to the inner one; the inner one one per dserver.
        assert.equal(f.bastion.logins(), 1);
        assert.equal(f.bastion.tunnels(), 1);
        assert.equal(inner.logins(), 1);
        assert.equal(inner.tunnels(), 2);
      } finally {
        await inner.stop();
      }
    });
  },
});

Deno.test({
  name: "a jump host logs in with its own IdentityFile and checks its own known_hosts",
  ignore: !canRunServers || missing !== null,
  fn: async () => {
    const other = await TestClient.create(); // a key only the bastion accepts
    await withFleet(1, async (f) => {
      const bastion = await Bastion.start(other);
      const known = `${f.client.home}/bastion_known_hosts`;
      try {
        await Deno.writeTextFile(
          `${f.client.home}/.ssh/config`,
          `Host bastion\n  HostName 127.0.0.1\n  Port ${bastion.port}\n  User ${bastion.user}\n` +
            `  IdentityFile ${other.home}/.ssh/id_ed25519\n  IdentitiesOnly yes\n` +
            `  UserKnownHostsFile ${known}\n  StrictHostKeyChecking yes\n\n` +
            `Host web1\n  HostName 127.0.0.1\n  Port ${f.servers[0]!.port}\n` +
            "  ProxyJump bastion\n  StrictHostKeyChecking accept-new\n",
        );
        const unknown = await dcat(f, "web1", [], false);
        assert.equal(unknown.code, 1, unknown.stderr);
        assertNoStackTrace(unknown.stderr);
        assert.match(
          unknown.stderr,
          new RegExp(
            `web1:${f.servers[0]!.port}: via jump host bastion:${bastion.port}: ` +
              "host key unknown \\(StrictHostKeyChecking yes\\)",
          ),
        );
        await Deno.writeTextFile(known, bastion.knownHostsLine + "\n");
        const r = await dcat(f, "web1", [], false);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.text, "one\ntwo\nthree\n");
        assert.equal(bastion.logins(), 1);
        // accept-new remembered the dserver in the default known_hosts, not in the bastion's.
        const defaults = await Deno.readTextFile(`${f.client.home}/.ssh/known_hosts`);
        assert.match(defaults, new RegExp(`\\[127\\.0\\.0\\.1\\]:${f.servers[0]!.port} `));
        assert.doesNotMatch(await Deno.readTextFile(known), /127\.0\.0\.1\]:\d+ .*\n.*\n/);
      } finally {
        await bastion.stop();
        await Deno.remove(other.home, { recursive: true });
      }
    });
  },
});

Deno.test({
  name: "a bad line in ~/.ssh/config is one warning naming file and line, and the run goes on",
  ignore: !canRunServers || missing !== null,
  fn: async () => {
    await withFleet(1, async (f) => {
      await sshConfig(
        f,
        `${bastionBlock(f)}  Prot 22\n\nHost web1\n  HostName 127.0.0.1\n` +
          `  Port ${f.servers[0]!.port}\n  ProxyJump bastion\n  ProxyCommand nc %h %p\n`,
      );
      const r = await dcat(f, "web1");
      assert.equal(r.code, 0, r.stderr);
      assertNoStackTrace(r.stderr);
      assert.equal(r.text, "one\ntwo\nthree\n");
      const config = `${f.client.home}/.ssh/config`;
      assert.match(r.stderr, new RegExp(`${config}:5: unknown keyword "Prot"`));
      assert.match(r.stderr, new RegExp(`${config}:11: ProxyCommand is not supported`));
      assert.equal(r.stderr.match(/unknown keyword/g)?.length, 1);
    });
  },
});
