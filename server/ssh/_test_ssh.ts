/** Test helper: a dserver SSH server on 127.0.0.1 and ssh2 clients talking to it. */
import ssh2 from "ssh2";
import type { ClientChannel, ConnectConfig } from "ssh2";
import { generateEd25519Key, type KeyPair } from "./host_key.ts";
import { AuthorizedKeys } from "../access/authorized_keys.ts";
import { ServerLog } from "../process/server_log.ts";
import { type ShellSession, type SshServer, startSshServer } from "./ssh_server.ts";

export type { KeyPair };
export const genKey = generateEd25519Key;

/** A logger that keeps its lines in `lines`. */
export function memoryLog(level = "all"): { log: ServerLog; lines: string[] } {
  const lines: string[] = [];
  const log = new ServerLog({
    logger: "stdout",
    level,
    logDir: "unused",
    rotation: "daily",
    stdout: (t) => lines.push(t.trimEnd()),
  });
  return { log, lines };
}

export interface TestServer {
  server: SshServer;
  dir: string;
  user: string;
  key: KeyPair;
  lines: string[];
  shells: ShellSession[];
  [Symbol.asyncDispose](): Promise<void>;
}

export interface TestServerOptions {
  maxConnections?: number;
  maxPreAuth?: number;
  handshakeTimeoutMs?: number;
  onShell?: (s: ShellSession) => void | Promise<void>;
}

/** A server whose CacheDir authorizes a fresh ed25519 key for user "alice". */
export async function testServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "dserver_test_" });
  const user = "alice";
  const key = genKey();
  await Deno.mkdir(`${dir}/cache`);
  await Deno.writeTextFile(`${dir}/cache/${user}.authorized_keys`, key.public + "\n");
  const { log, lines } = memoryLog();
  const shells: ShellSession[] = [];
  const server = await startSshServer({
    bindAddress: "127.0.0.1",
    port: 0,
    hostKey: genKey().private,
    maxConnections: opts.maxConnections ?? 10,
    authorizedKeys: new AuthorizedKeys({
      cacheDir: "cache",
      cwd: dir,
      homeOf: () => Promise.resolve(null),
    }),
    onShell: (s) => {
      shells.push(s);
      return (opts.onShell ?? echo)(s);
    },
    log,
    ...(opts.handshakeTimeoutMs ? { handshakeTimeoutMs: opts.handshakeTimeoutMs } : {}),
    ...(opts.maxPreAuth ? { maxPreAuth: opts.maxPreAuth } : {}),
  });
  return {
    server,
    dir,
    user,
    key,
    lines,
    shells,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Default shell handler: says hello, echoes one chunk back, then closes. */
function echo(s: ShellSession): void {
  s.channel.write(`hello ${s.user}\n`);
  s.channel.once("data", (d: Uint8Array) => s.channel.end(d));
}

export interface TestClient {
  client: ssh2.Client;
  ready: Promise<void>;
  /** Resolves when the connection has closed. */
  closed: Promise<void>;
}

/** Connects an ssh2 client (noDelay, chacha20 first) to the test server. */
export function connect(port: number, cfg: Partial<ConnectConfig>): TestClient {
  const client = new ssh2.Client();
  const ready = new Promise<void>((resolve, reject) => {
    client.once("ready", () => resolve());
    client.once("error", reject);
  });
  ready.catch(() => {});
  const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
  client.on("error", () => {});
  client.connect({
    host: "127.0.0.1",
    port,
    readyTimeout: 5000,
    algorithms: { cipher: ["chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com"] },
    ...cfg,
  });
  client.setNoDelay(true);
  return { client, ready, closed };
}

/** Opens a shell and collects everything it sends until the channel closes. */
export function shellOutput(client: ssh2.Client, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.shell(false, (err: Error | undefined, ch: ClientChannel) => {
      if (err) return reject(err);
      let out = "";
      ch.on("data", (d: Uint8Array) => out += new TextDecoder().decode(d));
      ch.on("close", () => resolve(out));
      ch.write(input);
    });
  });
}
