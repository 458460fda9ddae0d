/**
 * `dtailhealth --server host:port` (docs/compatibility.md#dtailhealth,
 * docs/compatibility.md#exit-status, docs/protocol.md#health-check): logs in as DTAIL-HEALTH with
 * its fixed password, without a host key check, sends `health` and expects `SERVER|host|OK`.
 * Nagios-style output and exit codes: 0 OK, 2 CRITICAL.
 */
import type { AuthHandlerMiddleware } from "ssh2";
import { encodeFrame } from "../core/protocol/frames.ts";
import { MessageReader } from "../core/protocol/messages.ts";
import { connect, ConnectError, openShell } from "./ssh/connect.ts";
import { parseServerAddress } from "./ssh/server_list.ts";
import type { ClientAuth } from "./ssh/auth.ts";

const HEALTH_USER = "DTAIL-HEALTH";
/** From login to the server's OK. */
const ANSWER_MS = 5000;
const dec = new TextDecoder();

export async function checkHealth(
  server: string,
  defaultPort: number,
  answerMs = ANSWER_MS,
): Promise<[number, string]> {
  const critical = `CRITICAL: DTail server not operating properly at ${server}!`;
  let address;
  try {
    address = parseServerAddress(server, defaultPort);
  } catch {
    return [2, critical];
  }
  const auth: ClientAuth = {
    authKeyPath: "",
    keys: [],
    authHandler: (): AuthHandlerMiddleware => {
      let tried = false;
      return (_methods, _partial, next) => {
        if (tried) return next(false as unknown as never);
        tried = true;
        next({ type: "password", username: HEALTH_USER, password: HEALTH_USER });
      };
    },
  };
  try {
    const client = await connect(address, {
      user: HEALTH_USER,
      auth,
      trust: null,
      timeoutMs: 2000,
    });
    client.on("error", () => {});
    // A server that logs in and then says nothing (hung, stopped) is critical, not a wait forever.
    const deadline = setTimeout(() => client.destroy(), answerMs);
    try {
      // Refused, or cut at the deadline: no answer is a critical one.
      const channel = await openShell(client, server).catch(() => null);
      if (channel === null) return [2, critical];
      channel.write(encodeFrame("health"));
      const reader = new MessageReader();
      // docs/protocol.md#messages: the health client takes both 0xAC and "\n" as message ends.
      for await (const chunk of channel as AsyncIterable<Uint8Array>) {
        for (const m of reader.push(chunk)) {
          for (const text of dec.decode(m).split("\n")) {
            const fields = text.split("|");
            if (fields[fields.length - 1] === "OK") return [0, `OK: All fine at ${server} :-)`];
          }
        }
      }
      return [2, critical];
    } finally {
      clearTimeout(deadline);
      client.end();
    }
  } catch (err) {
    if (err instanceof ConnectError) return [2, critical];
    throw err;
  }
}
