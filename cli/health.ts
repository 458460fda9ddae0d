/**
 * `dtailhealth --server host:port` (docs/compatibility.md#dtailhealth,
 * docs/compatibility.md#exit-status, docs/protocol.md#health-check): logs in as DTAIL-HEALTH with
 * its fixed password, without a host key check, sends `health` and expects `SERVER|host|OK`.
 * Nagios-style output and exit codes: 0 OK, 2 CRITICAL. It logs in with the native client
 * (cli/ssh/native/), with ssh2 only for a server that client cannot serve.
 */
import type { AuthHandlerMiddleware } from "ssh2";
import { encodeFrame } from "../core/protocol/frames.ts";
import { MessageReader } from "../core/protocol/messages.ts";
import { delay } from "../core/delay.ts";
import { ConnectError } from "./ssh/connect_error.ts";
import { hostKeyAlgorithms } from "./ssh/host_key_algorithms.ts";
import type { SshLink } from "./ssh/link.ts";
import { NativeClient, NativeUnsupported } from "./ssh/native/native_client.ts";
import { parseServerAddress, type ServerAddress } from "./ssh/server_list.ts";
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
  try {
    const link = await login(address);
    // A server that logs in and then says nothing (hung, stopped) is critical, not a wait forever.
    const stop = new AbortController();
    void delay(answerMs, stop.signal).then((fired) => fired && link.end());
    try {
      // Refused, or cut at the deadline: no answer is a critical one.
      const io = await link.shell(server, 2000).catch(() => null);
      if (io === null) return [2, critical];
      void io.write(encodeFrame("health"));
      const reader = new MessageReader();
      // docs/protocol.md#messages: the health client takes both 0xAC and "\n" as message ends.
      for await (const chunk of io.input) {
        for (const m of reader.push(chunk)) {
          for (const text of dec.decode(m).split("\n")) {
            const fields = text.split("|");
            if (fields[fields.length - 1] === "OK") return [0, `OK: All fine at ${server} :-)`];
          }
        }
      }
      return [2, critical];
    } finally {
      stop.abort();
      link.end();
    }
  } catch (err) {
    if (err instanceof ConnectError) return [2, critical];
    throw err;
  }
}

/**
 * Logs in as DTAIL-HEALTH: through the native client (cli/ssh/native/), or ssh2 for a server it
 * cannot serve.
 */
async function login(address: ServerAddress): Promise<SshLink> {
  try {
    return await NativeClient.connect(address, {
      user: HEALTH_USER,
      keys: [],
      password: HEALTH_USER,
      hostKeyAlgorithms,
      trust: null,
      timeoutMs: 2000,
      keepaliveMs: 0,
      keepaliveCount: 3,
    });
  } catch (e) {
    if (!(e instanceof NativeUnsupported)) throw e;
  }
  const { connect, ssh2Link } = await import("./ssh/ssh2_dial.ts");
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
  const client = await connect(address, { user: HEALTH_USER, auth, trust: null, timeoutMs: 2000 });
  client.on("error", () => {});
  return ssh2Link(client);
}
