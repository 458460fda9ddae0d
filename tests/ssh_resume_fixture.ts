/**
 * What the SSH resume tests start from: a test client, a directory of logs the server user may
 * read (an empty app.log in it), a dserver for the client, and `dtail` run as that client.
 */
import { type ServerOptions, TestClient, TestServer } from "./ssh_env.ts";
import { Follower } from "./follower.ts";

export interface ResumeFixture {
  readonly client: TestClient;
  readonly server: TestServer;
  /** The log directory (mode 0755). */
  readonly dir: string;
  /** `<dir>/app.log`, empty, mode 0644. */
  readonly app: string;
  /** Stops the dserver and removes the log directory. */
  stop(): Promise<void>;
}

/** A fresh log directory with an empty app.log, both readable by the server user. */
export async function logDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  await Deno.chmod(dir, 0o755);
  await Deno.writeTextFile(`${dir}/app.log`, "");
  await Deno.chmod(`${dir}/app.log`, 0o644);
  return dir;
}

/** A client, a log directory named `prefix…` and a dserver started with `options(dir)`. */
export async function startResumeFixture(
  prefix: string,
  options: (dir: string) => ServerOptions = () => ({}),
): Promise<ResumeFixture> {
  const client = await TestClient.create();
  const dir = await logDir(prefix);
  let server: TestServer;
  try {
    server = await TestServer.start(client, options(dir));
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
  return {
    client,
    server,
    dir,
    app: `${dir}/app.log`,
    stop: async () => {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** `dtail` as dtail-alice with `client`'s key, against `servers` (`host:port,…`), hosts trusted. */
export function dtailAs(client: TestClient, servers: string, ...args: string[]): Follower {
  return new Follower(
    ["--user", "dtail-alice", "--servers", servers, "--trustAllHosts", ...args],
    { HOME: client.home, SSH_AUTH_SOCK: "" },
  );
}
