import assert from "node:assert/strict";
import { ConnectError } from "../connect_error.ts";
import { hostKeyAlgorithms } from "../host_key_algorithms.ts";
import { parseServerAddress } from "../server_list.ts";
import { NativeClient, type NativeKey, NativeUnsupported } from "./native_client.ts";
import { WireWriter } from "./ssh_wire.ts";

/** A TCP server on 127.0.0.1 that answers every connection with `reply`, then holds it open. */
function fakeServer(reply: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      reply(conn).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed by the client
        }
      }
      await serving;
    },
  };
}

const enc = new TextEncoder();

/** A plain-text packet (before any key exchange) holding `payload`. */
function packet(payload: Uint8Array): Uint8Array {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  const out = new Uint8Array(5 + payload.length + pad);
  new DataView(out.buffer).setUint32(0, 1 + payload.length + pad);
  out[4] = pad;
  out.set(payload, 5);
  return out;
}

function kexInit(kex: string[], hostKeys: string[], ciphers: string[]): Uint8Array {
  const w = new WireWriter().byte(20).raw(new Uint8Array(16));
  w.nameList(kex).nameList(hostKeys).nameList(ciphers).nameList(ciphers);
  w.nameList(["hmac-sha2-256"]).nameList(["hmac-sha2-256"]).nameList(["none"]).nameList(["none"]);
  return w.nameList([]).nameList([]).bool(false).u32(0).bytes();
}

const options = {
  user: "alice",
  keys: [] as NativeKey[],
  hostKeyAlgorithms,
  trust: null,
  timeoutMs: 1000,
  keepaliveMs: 0,
  keepaliveCount: 3,
};

async function connectTo(port: number): Promise<unknown> {
  const started = performance.now();
  const outcome = await NativeClient.connect(parseServerAddress(`127.0.0.1:${port}`, 22), options)
    .then((c) => {
      c.end();
      return "connected";
    }, (e) => e);
  assert.ok(performance.now() - started < 3000, "no wait beyond the connect timeout");
  return outcome;
}

Deno.test("a server without the client's algorithms is NativeUnsupported, for ssh2 to try", async () => {
  const server = fakeServer(async (conn) => {
    await conn.write(enc.encode("SSH-2.0-Old_Server\r\n"));
    await conn.write(packet(kexInit(["diffie-hellman-group14-sha1"], ["ssh-rsa"], ["aes128-ctr"])));
  });
  try {
    const err = await connectTo(server.port);
    assert.ok(err instanceof NativeUnsupported, String(err));
    assert.match(String(err), /no key exchange in common with the server/);
  } finally {
    await server.close();
  }
});

Deno.test("broken servers end the handshake with one line, never a hang or a stack", async () => {
  const huge = new Uint8Array(8);
  new DataView(huge.buffer).setUint32(0, 0x7fffffff);
  const cases: [string, (conn: Deno.Conn) => Promise<void>, RegExp][] = [
    ["closes after its version", async (c) => {
      await c.write(enc.encode("SSH-2.0-x\r\n"));
      c.close();
    }, /SSH handshake failed: the server closed the connection/],
    ["sends a packet length of 2 GB", async (c) => {
      await c.write(enc.encode("SSH-2.0-x\r\n"));
      await c.write(huge);
    }, /SSH handshake failed: bad packet length/],
    ["sends garbage as its KEXINIT", async (c) => {
      await c.write(enc.encode("SSH-2.0-x\r\n"));
      await c.write(packet(Uint8Array.of(20, 1, 2, 3)));
    }, /SSH handshake failed: malformed message from the server/],
    ["speaks SSH 1", async (c) => {
      await c.write(enc.encode("SSH-1.5-ancient\r\n"));
    }, /speaks SSH-1\.5-ancient/],
    ["sends another message before its KEXINIT", async (c) => {
      await c.write(enc.encode("SSH-2.0-x\r\n"));
      await c.write(packet(new WireWriter().byte(50).string("x").bytes()));
    }, /SSH handshake failed: unexpected message 50 during key exchange/],
    ["never sends its version", async () => {}, /timed out after 1000 ms/],
  ];
  for (const [what, reply, expected] of cases) {
    const server = fakeServer(reply);
    try {
      const err = await connectTo(server.port);
      assert.ok(
        err instanceof ConnectError || err instanceof NativeUnsupported,
        `${what}: ${err}`,
      );
      const message = (err as Error).message;
      assert.match(message, expected, what);
      assert.ok(!message.includes("\n"), `${what}: one line`);
    } finally {
      await server.close();
    }
  }
});
