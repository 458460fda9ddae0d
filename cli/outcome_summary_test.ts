import assert from "node:assert/strict";
import { causeOf, OutcomeBook, unreadableCause } from "./outcome_summary.ts";

Deno.test("the summary counts the servers that answered and names each other one's cause", () => {
  const book = new OutcomeBook();
  book.expect(["127.0.0.1:4001", "127.0.0.1:4002", "127.0.0.1:4003", "db1:2222", "db2:2222"]);
  book.answered("127.0.0.1:4001");
  book.answered("db1:2222");
  book.answered("db2:2222");
  book.failed("127.0.0.1:4002", "connection refused");
  book.failed(
    "127.0.0.1:4003",
    "authentication failed for user bob (keys offered: /root/.ssh/id_ed25519)",
  );
  assert.deepEqual(book.summaryLines(), [
    "3 of 5 servers answered",
    "1 server: connection refused: 127.0.0.1:4002",
    "1 server: authentication failed for user bob (keys offered: /root/.ssh/id_ed25519): " +
    "127.0.0.1:4003",
  ]);
});

Deno.test("servers sharing a cause are one line, the cause of the most servers first", () => {
  const book = new OutcomeBook();
  const web = Array.from({ length: 412 }, (_, i) => `web${String(i + 1).padStart(3, "0")}:2222`);
  book.expect([...web, "db1:2222"]);
  book.failed("db1:2222", "timed out after 2000 ms");
  for (const label of web) book.failed(label, "connection refused");
  assert.deepEqual(book.summaryLines(), [
    "0 of 413 servers answered",
    "412 servers: connection refused: web[001-412]:2222",
    "1 server: timed out after 2000 ms: db1:2222",
  ]);
});

Deno.test("a later outcome of a server replaces its earlier one", () => {
  const book = new OutcomeBook();
  book.expect(["a:1"]);
  book.failed("a:1", "connection refused");
  book.answered("a:1");
  assert.deepEqual(book.summaryLines(), ["1 of 1 servers answered"]);
  book.failed("a:1", "connection lost, reconnecting");
  assert.deepEqual(book.outcome("a:1"), {
    answered: false,
    cause: "connection lost, reconnecting",
  });
});

Deno.test("servers without an outcome yet are counted under the pending cause", () => {
  const book = new OutcomeBook();
  book.expect(["a:1", "a:2"]);
  book.answered("a:2");
  assert.deepEqual(book.summaryLines(), [
    "1 of 2 servers answered",
    "1 server: no answer yet: a:1",
  ]);
  assert.deepEqual(book.summaryLines("stopped before it answered"), [
    "1 of 2 servers answered",
    "1 server: stopped before it answered: a:1",
  ]);
  assert.equal(book.outcome("a:1"), undefined);
});

Deno.test("a long cause is cut to one short line", () => {
  const book = new OutcomeBook();
  book.expect(["a:1"]);
  book.failed("a:1", `malformed data\n${"x".repeat(500)}`);
  const [, line] = book.summaryLines();
  assert.ok(line!.length < 230, line);
  assert.ok(line!.startsWith("1 server: malformed data xxx"), line);
  assert.ok(line!.endsWith("...: a:1"), line);
});

Deno.test("the cause of a connect error is its message after the label", () => {
  assert.equal(causeOf("web1:2222: connection refused", "web1:2222"), "connection refused");
  assert.equal(causeOf("something else", "web1:2222"), "something else");
});

Deno.test("an unreadable file's cause is the server's notice without its frame", () => {
  assert.equal(
    unreadableCause("SERVER|web1|WARN|Unable to read file(s), check server logs"),
    "file unreadable: Unable to read file(s), check server logs",
  );
  assert.equal(
    unreadableCause(
      "SERVER|web2|WARN|1203-120000|dtail-alice@127.0.0.1:51234|" +
        "Unable to read file(s), check server logs",
    ),
    "file unreadable: Unable to read file(s), check server logs",
  );
  assert.equal(
    unreadableCause("ERROR|/var/log/a.gz: corrupt gzip data\n"),
    "file unreadable: /var/log/a.gz: corrupt gzip data",
  );
});

Deno.test("a glob a server read in part is told as not every file read", () => {
  assert.equal(
    unreadableCause(
      "SERVER|web1|WARN|1204-120000|dtail-alice@127.0.0.1:5|/var/log/*.log: more than 1000 files " +
        "match, reading the first 1000",
    ),
    "not every file read: /var/log/*.log: more than 1000 files match, reading the first 1000",
  );
  assert.equal(
    unreadableCause("SERVER|web1|WARN|/a/**/x: glob stopped after listing 10000 directories"),
    "not every file read: /a/**/x: glob stopped after listing 10000 directories",
  );
});
