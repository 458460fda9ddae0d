/** Test helper: a tiny ssh2 server on 127.0.0.1 that accepts given public keys and shells. */
import { generateEd25519Key } from "../../server/ssh/host_key.ts";
import { Buffer } from "node:buffer";
import type { AddressInfo } from "node:net";
import ssh2 from "ssh2";
import type { ParsedKey } from "ssh2";

export interface TestServer {
  port: number;
  /** The host key blob the server presents. */
  hostKey: Uint8Array;
  /** Every request seen on session channels (`shell`, `pty`, …). */
  requests: string[];
  /** Users and key types that authenticated. */
  logins: string[];
  close(): Promise<void>;
}

/** `hostKeyPem` defaults to a fresh ed25519 key; `allowed` are `ssh-ed25519 AAAA…` lines. */
export async function startTestServer(
  allowed: string[],
  // ssh2 draws a malformed ed25519 key about 1 time in 256: use the checked generator.
  hostKeyPem: string = generateEd25519Key().private,
): Promise<TestServer> {
  const keys = allowed.map((line) => ssh2.utils.parseKey(line) as ParsedKey);
  const requests: string[] = [];
  const logins: string[] = [];
  const connections = new Set<ssh2.Connection>();
  const server = new ssh2.Server({ hostKeys: [hostKeyPem] }, (conn) => {
    connections.add(conn);
    (conn as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true); // untyped in ssh2
    conn.on("close", () => connections.delete(conn)).on("error", () => {});
    conn.on("authentication", (ctx) => {
      if (ctx.method !== "publickey") return ctx.reject(["publickey"]);
      const key = keys.find((k) => k.getPublicSSH().equals(ctx.key.data));
      if (key === undefined) return ctx.reject(["publickey"]);
      if (ctx.signature === undefined || ctx.blob === undefined) return ctx.accept();
      if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
        return ctx.reject(["publickey"]);
      }
      logins.push(`${ctx.username} ${key.type}`);
      ctx.accept();
    });
    conn.on("session", (accept) => {
      const session = accept();
      session.on("pty", (_accept, reject) => {
        requests.push("pty");
        reject();
      });
      session.on("shell", (accept) => {
        requests.push("shell");
        const channel = accept();
        channel.on("data", (data: Buffer) => channel.write(data));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const parsed = ssh2.utils.parseKey(hostKeyPem) as ParsedKey;
  return {
    port,
    hostKey: new Uint8Array(parsed.getPublicSSH()),
    requests,
    logins,
    close: () =>
      new Promise<void>((resolve) => {
        for (const conn of connections) conn.end();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

export function base64(blob: Uint8Array): string {
  return Buffer.from(blob).toString("base64");
}
