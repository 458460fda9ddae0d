import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Buffer } from "node:buffer";
import { FIRST_READ_BYTES, READ_BYTES, SocketStream } from "./socket_stream.ts";

/** A server on loopback that hands each connection to `serve`. */
function listen(serve: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) served.push(serve(conn));
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting.catch(() => {});
      await Promise.all(served);
    },
  };
}

function connected(stream: SocketStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.socket.once("connect", resolve);
    stream.socket.once("error", reject);
  });
}

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function writeInPieces(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  const sizes = [1, 7, 4096, 65_536, 300_000, 1_000_000];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const end = Math.min(bytes.length, at + sizes[i % sizes.length]!);
    for (let p = at; p < end;) p += await conn.write(bytes.subarray(p, end));
    at = end;
  }
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

Deno.test("every byte the server sends arrives once and in order, and each chunk keeps its bytes", async () => {
  const sent = randomBytes(5 * READ_BYTES + 12_345, 7);
  const server = listen(async (conn) => {
    await writeInPieces(conn, sent);
    conn.close();
  });
  const stream = new SocketStream("127.0.0.1", server.port);
  await connected(stream);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  // Chunks are kept until the end: a chunk that were a view of the reused buffer would change.
  const received = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) received.set(c, (at += c.length) - c.length);
  assert.equal(received.length, sent.length);
  assert.equal(sha(received), sha(sent));
  assert.ok(chunks.length > 1, "the bytes came in more than one read");
  assert.equal(stream.readBufferBytes, READ_BYTES, "a connection that carries a stream reads more");
  await server.close();
});

Deno.test("a connection that receives little keeps a small read buffer", async () => {
  const server = listen(async (conn) => {
    await writeInPieces(conn, randomBytes(100_000, 5));
    conn.close();
  });
  const stream = new SocketStream("127.0.0.1", server.port);
  await connected(stream);
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => total += chunk.length);
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  assert.equal(total, 100_000);
  assert.equal(stream.readBufferBytes, FIRST_READ_BYTES);
  await server.close();
});

Deno.test("a consumer that pauses loses nothing, even when the server closes meanwhile", async () => {
  const sent = randomBytes(3 * READ_BYTES, 11);
  const server = listen(async (conn) => {
    await writeInPieces(conn, sent);
    conn.close();
  });
  const stream = new SocketStream("127.0.0.1", server.port);
  await connected(stream);
  const closed = new Promise<void>((resolve) => stream.on("close", resolve));
  let total = 0;
  const hash = createHash("sha256");
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      total += chunk.length;
      // Stop reading for a while after each chunk: the socket is paused and the server finishes.
      stream.pause();
      setTimeout(() => stream.resume(), 5);
    });
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  assert.equal(total, sent.length);
  assert.equal(hash.digest("hex"), sha(sent));
  await closed;
  await server.close();
});

Deno.test("writes reach the server in order and end() reaches it as the end of the stream", async () => {
  const sent = randomBytes(2 * READ_BYTES + 99, 3);
  let got: Uint8Array | null = null;
  const server = listen(async (conn) => {
    const parts: Uint8Array[] = [];
    const buf = new Uint8Array(100_000);
    for (let n; (n = await conn.read(buf)) !== null;) parts.push(buf.slice(0, n));
    got = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) got.set(p, (at += p.length) - p.length);
    conn.close();
  });
  const stream = new SocketStream("127.0.0.1", server.port);
  await connected(stream);
  const ended = new Promise<void>((resolve) => stream.on("close", resolve));
  stream.resume();
  for (let at = 0; at < sent.length; at += 70_000) stream.write(sent.subarray(at, at + 70_000));
  stream.end();
  await ended;
  await server.close();
  assert.ok(got !== null);
  assert.equal(sha(got), sha(sent));
});

Deno.test("a refused connection is an error of the socket, not an unhandled error of the stream", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const stream = new SocketStream("127.0.0.1", port);
  const closed = new Promise<void>((resolve) => stream.on("close", resolve));
  const err = await connected(stream).then(() => null, (e: NodeJS.ErrnoException) => e);
  assert.equal(err?.code, "ECONNREFUSED");
  await closed;
  assert.ok(stream.destroyed);
});

Deno.test("the stream gives the peer's address as a socket does", async () => {
  const server = listen((conn) => {
    conn.close();
    return Promise.resolve();
  });
  const stream = new SocketStream("127.0.0.1", server.port);
  await connected(stream);
  assert.equal(stream.remoteAddress, "127.0.0.1");
  stream.destroy();
  await server.close();
});

Deno.test("the stream gives its own port as the server sees it", async () => {
  let seen: Deno.NetAddr | null = null;
  const server = listen((conn) => {
    seen = conn.remoteAddr as Deno.NetAddr;
    conn.close();
    return Promise.resolve();
  });
  const stream = new SocketStream("127.0.0.1", server.port);
  await connected(stream);
  const port = stream.localPort;
  stream.destroy();
  await server.close();
  assert.equal(typeof port, "number");
  assert.equal(port, (seen as Deno.NetAddr | null)?.port);
});
