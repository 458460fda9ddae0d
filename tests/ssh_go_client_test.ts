/**
 * A client that speaks only the Go wire (docs/protocol.md: AUTHKEY first, one command per write, no
 * options of ours) against a real dserver: it must get the Go formats, every line, and the close
 * request.
 */
import assert from "node:assert/strict";
import { UPSTREAM } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { exchange, rawClient } from "./ssh_raw.ts";
import { encodeFrame } from "../core/protocol/frames.ts";
import { journalAvailable } from "../core/journal.ts";

Deno.test({
  name: "a client speaking the Go wire gets the Go wire from a real dserver",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const key = (await Deno.readTextFile(`${client.home}/.ssh/id_ed25519.pub`)).split(" ")[1]!;
    try {
      await t.step(
        "AUTHKEY, then two cats written 50 ms apart: every line, then the close",
        async () => {
          const c = await rawClient(client, server);
          const messages = await exchange(c, [
            encodeFrame(`AUTHKEY ${key}`),
            encodeFrame(`cat: ${UPSTREAM}/dcat1c.txt regex:noop `),
            encodeFrame(`cat: ${UPSTREAM}/dcat2.txt regex:noop `),
          ], 50);
          c.end();
          assert.equal(
            messages[0],
            ".syn capabilities escape-ac-v1 plain-blocks-v1 query-update-v1 tail-resume-v1 " +
              "mapr-sketch-v1 mapr-formats-v1 mapr-bucket-v1 time-range-v1 progress-v1" +
              (journalAvailable() ? " journal-v1" : ""),
          );
          assert.match(messages[1]!, /^SERVER\|[^|]+\|AUTHKEY OK\n$/);
          for (const name of ["dcat1c.txt", "dcat2.txt"]) {
            const prefix = new RegExp(
              `^REMOTE\\|[^|]+\\|100\\|(\\d+)\\|${name.replace(".", "\\.")}\\|`,
            );
            const lines = messages.filter((m) => prefix.test(m));
            assert.deepEqual(
              lines.map((m) => Number(prefix.exec(m)![1])),
              lines.map((_, i) => i + 1),
            );
            const text = lines.map((m) => m.replace(prefix, "")).join("");
            assert.equal(text, await Deno.readTextFile(`${UPSTREAM}/${name}`), name);
          }
          assert.ok(!messages.some((m) => m.includes("\ufffd")), "no escape or block bytes");
          assert.equal(messages.at(-1), ".syn close connection");
        },
      );

      await t.step(
        "map: and a cat with the table regex: AGGREGATE messages with every count",
        async () => {
          const c = await rawClient(client, server);
          const log = `${UPSTREAM}/mapr_testdata.log`;
          const messages = await exchange(c, [
            encodeFrame(`AUTHKEY ${key}`),
            encodeFrame(
              "map: from STATS select count($line),max(lifetimeConnections) group by $hostname",
            ),
            encodeFrame(`cat: ${log} regex:default \\|MAPREDUCE:STATS\\|`),
          ], 20);
          c.end();
          const aggregates = messages.filter((m) => m.startsWith("AGGREGATE|"));
          assert.ok(aggregates.length > 0, JSON.stringify(messages.slice(0, 5)));
          let counted = 0;
          for (const m of aggregates) {
            // AGGREGATE|host|<group>∥<samples>∥count($line)≔N∥max(lifetimeConnections)≔M∥
            assert.match(
              m,
              /^AGGREGATE\|[^|]+\|[^∥]*∥\d+∥count\(\$line\)≔\d+∥max\(lifetimeConnections\)≔[\d.]+∥$/,
            );
            counted += Number(/count\(\$line\)≔(\d+)/.exec(m)![1]);
          }
          const stats = (await Deno.readTextFile(log)).split("\n").filter((l) =>
            l.includes("|MAPREDUCE:STATS|")
          );
          assert.equal(counted, stats.length);
          assert.equal(messages.at(-1), ".syn close connection");
        },
      );
    } finally {
      await server.stop();
    }
  },
});
