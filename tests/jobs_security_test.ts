/**
 * Jobs do not open a way around the gate (docs/server.md#how-a-job-logs-in): a job reads only what
 * the server's user may read under Permissions, and the Go DTail's job logins (`DTAIL-SCHEDULE` /
 * `DTAIL-CONTINUOUS` with the job's name as password) are refused, also from 127.0.0.1 for a job
 * this server runs, so an ordinary user cannot use them to read more.
 */
import assert from "node:assert/strict";
import ssh2 from "ssh2";
import { UPSTREAM } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { serverOwnedDir, textOf, waitFor } from "./jobs_env.ts";

const QUERY = "from STATS select count($line) group by $hostname";

function passwordLogin(port: number, username: string, password: string): Promise<string> {
  return new Promise((resolve) => {
    const c = new ssh2.Client();
    c.on("ready", () => {
      c.end();
      resolve("logged in");
    });
    c.on("error", (err) => resolve(err.message));
    c.connect({ host: "127.0.0.1", port, username, password, readyTimeout: 5000 });
  });
}

Deno.test({
  name: "a job reads only what Permissions allow, and its Go-style password login is refused",
  ignore: !canRunServers,
  fn: async () => {
    const out = await serverOwnedDir();
    const allowed = await Deno.makeTempDir({ prefix: "dtail-jobs-allowed-" });
    const secret = await Deno.makeTempDir({ prefix: "dtail-jobs-secret-" });
    for (const dir of [allowed, secret]) {
      await Deno.chmod(dir, 0o755);
      await Deno.copyFile(`${UPSTREAM}/mapr_testdata.log`, `${dir}/stats.log`);
      await Deno.chmod(`${dir}/stats.log`, 0o644);
    }
    const job = (name: string, dir: string) => ({
      Name: name,
      Enable: true,
      TimeRange: [0, 24],
      Files: `${dir}/stats.log`,
      Query: QUERY,
      Outfile: `${out}/${name}.csv`,
    });
    const client = await TestClient.create();
    const server = await TestServer.start(client, {
      server: {
        Permissions: { Default: [`^${allowed}/`] },
        Schedule: [job("allowed", allowed), job("secret", secret)],
        Continuous: [{ ...job("follow", secret), TimeRange: undefined }],
      },
    });
    try {
      await waitFor(
        "both scheduled runs",
        () => {
          const log = server.log();
          return log.includes('"allowed"|done') && log.includes('"secret"|failed') ? true : null;
        },
        20_000,
        () => server.log(),
      );
      assert.equal(textOf(`${out}/allowed.csv`), "count($line)\n597\n");
      assert.equal(textOf(`${out}/secret.csv`), null);
      assert.match(server.log(), /user dtail-srv: \S+secret\S+ matches no allow rule/);
      for (
        const [user, password] of [
          ["DTAIL-SCHEDULE", "secret"],
          ["DTAIL-SCHEDULE", "allowed"],
          ["DTAIL-CONTINUOUS", "follow"],
        ]
      ) {
        const outcome = await passwordLogin(server.port, user!, password!);
        assert.match(outcome, /authentication methods failed/, `${user}/${password}: ${outcome}`);
      }
      // The ordinary way is refused as well: nothing the jobs do changes what alice can read.
      const dcat = await client.run("dcat", [server], [
        "--trustAllHosts",
        "--plain",
        `${secret}/stats.log`,
      ]);
      assert.notEqual(dcat.code, 0);
      assert.equal(dcat.text.includes("MAPREDUCE:STATS"), false);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  },
});
