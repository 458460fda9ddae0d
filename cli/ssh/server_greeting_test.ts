import assert from "node:assert/strict";
import { ServerGreeting } from "./server_greeting.ts";

const encoder = new TextEncoder();

function greeting(...chunks: string[]): ServerGreeting {
  const g = new ServerGreeting();
  for (const chunk of chunks) g.add(encoder.encode(chunk));
  return g;
}

Deno.test("a server whose lines hold no SSH identification is quoted by its first line", () => {
  assert.equal(
    greeting("HTTP/1.1 400 Bad ", "Request\r\n\r\n").notSsh(),
    '"HTTP/1.1 400 Bad Request"',
  );
  assert.equal(greeting("-ERR wrong\r\n").notSsh(), '"-ERR wrong"');
});

Deno.test("an SSH server, or one that sent no whole line yet, is not called something else", () => {
  assert.equal(greeting("SSH-2.0-OpenSSH_9.6\r\n").notSsh(), null);
  assert.equal(greeting("a banner line\r\n", "SSH-2.0-dtail\r\n").notSsh(), null);
  assert.equal(greeting("").notSsh(), null);
  assert.equal(greeting("SSH-2.0-slow").notSsh(), null);
});

Deno.test("a long line without a newline is judged on the bytes kept, and clipped", () => {
  const quoted = greeting("x".repeat(10_000)).notSsh();
  assert.equal(quoted, JSON.stringify(`${"x".repeat(60)}…`));
  assert.equal(greeting("\u001b[2J\n").notSsh(), '"\\u001b[2J"', "controls are escaped");
});
