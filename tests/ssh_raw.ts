/** A raw SSH session against a test dserver: frames in, messages out (no client logic). */
import type { Client } from "ssh2";
import { loadAuth } from "../cli/ssh/auth.ts";
import { connect, openShell } from "../cli/ssh/connect.ts";
import { encodeFrame } from "../core/protocol/frames.ts";
import { MessageReader } from "../core/protocol/messages.ts";
import type { TestClient, TestServer } from "./ssh_env.ts";

export async function rawClient(client: TestClient, server: TestServer): Promise<Client> {
  const env = (name: string) => (name === "HOME" ? client.home : undefined);
  const auth = await loadAuth({ authKeyPath: `${client.home}/.ssh/id_ed25519`, env });
  const c = await connect({
    host: "127.0.0.1",
    port: server.port,
    portGiven: true,
    label: server.address,
  }, {
    user: "dtail-alice",
    auth,
    trust: null,
    timeoutMs: 5000,
  });
  c.on("error", () => {});
  return c;
}

/**
 * Sends raw bytes on a shell channel (`gapMs` apart, as a Go client writes one command at a time)
 * and collects the messages until the channel closes.
 */
export async function exchange(
  c: Client,
  bytes: Uint8Array[],
  gapMs = 0,
): Promise<string[]> {
  const channel = await openShell(c, "test");
  const reader = new MessageReader();
  const messages: string[] = [];
  const done = (async () => {
    for await (const chunk of channel as AsyncIterable<Uint8Array>) {
      for (const m of reader.push(chunk)) {
        const text = new TextDecoder().decode(m);
        messages.push(text);
        if (text === ".syn close connection") channel.write(encodeFrame(".ack close connection"));
      }
    }
  })();
  for (const b of bytes) {
    channel.write(b);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  return messages;
}
