/**
 * Real servers for tests: `dserver` processes on 127.0.0.1, started as the unprivileged test
 * user dtail-srv (tools/setup_test_users.sh), each with its own config, cache dir and host key,
 * and clients with a real ed25519 key in a temporary HOME.
 */
import { collectOutput, waitForOutput } from "./child_output.ts";
import { DENO_DIR, run, RUN_MAIN, type RunOptions, type RunResult } from "./helpers.ts";

export const SERVER_USER = "dtail-srv";
export const canRunServers = Deno.uid() === 0;

export interface ServerOptions {
  /** Extra `Server` config keys (Permissions, limits…). */
  server?: Record<string, unknown>;
  /** Extra `Common` config keys (LogLevel, LogRotation…). */
  common?: Record<string, unknown>;
  /** `--logger` (default stdout); "file" and "fout" write into `<dir>/log`, owned by the server. */
  logger?: string;
  /** SSH users whose key (the client's) goes into the cache dir. */
  users?: string[];
  env?: Record<string, string>;
}

export class TestServer {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private child: Deno.ChildProcess,
    private output: () => string,
    private readonly env: Record<string, string>,
    private readonly logger: string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The dserver's process id (setpriv execs it). */
  get pid(): number {
    return this.child.pid;
  }

  /** What the server printed (version, log lines). */
  log(): string {
    return this.output();
  }

  static async start(client: TestClient, options: ServerOptions = {}): Promise<TestServer> {
    const dir = await Deno.makeTempDir({ prefix: "dtail-srv-" });
    await Deno.chmod(dir, 0o755);
    await Deno.mkdir(`${dir}/cache`);
    for (const user of options.users ?? ["dtail-alice"]) {
      await Deno.copyFile(
        `${client.home}/.ssh/id_ed25519.pub`,
        `${dir}/cache/${user}.authorized_keys`,
      );
    }
    const config = {
      Common: { CacheDir: `${dir}/cache`, LogDir: `${dir}/log`, ...options.common },
      Server: { HostKeyFile: `${dir}/cache/ssh_host_key`, MaxConnections: 100, ...options.server },
    };
    await Deno.writeTextFile(`${dir}/dtail.json`, JSON.stringify(config));
    await Deno.mkdir(`${dir}/log`);
    await chown(SERVER_USER, `${dir}/cache`);
    await chown(SERVER_USER, `${dir}/log`);
    const env = options.env ?? {};
    const logger = options.logger ?? "stdout";
    const [child, port, output] = await launch(dir, 0, env, logger);
    return new TestServer(dir, port, child, output, env, logger);
  }

  /** Starts the stopped server again: same directory, host key and port. */
  async restart(): Promise<void> {
    [this.child, , this.output] = await launch(this.dir, this.port, this.env, this.logger);
  }

  /** Sends a signal to the running server process (SIGHUP reopens its log file). */
  signal(signal: Deno.Signal): void {
    this.child.kill(signal);
  }

  async stop(): Promise<number> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // already gone
    }
    return (await this.child.status).code;
  }
}

async function launch(
  dir: string,
  port: number,
  env: Record<string, string>,
  logger: string,
): Promise<[Deno.ChildProcess, number, () => string]> {
  {
    const child = new Deno.Command("setpriv", {
      args: [
        `--reuid=${SERVER_USER}`,
        `--regid=${SERVER_USER}`,
        "--init-groups",
        "--",
        Deno.execPath(),
        ...RUN_MAIN,
        "--cfg",
        `${dir}/dtail.json`,
        "--port",
        String(port),
        "--bindAddress",
        "127.0.0.1",
        "--logger",
        logger,
      ],
      env: { DTAIL_PROGRAM: "dserver", DENO_DIR, HOME: `/home/${SERVER_USER}`, ...env },
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = collectOutput(child);
    const m = await waitForOutput(child, output, /listening on port (\d+)/, 20_000, "dserver");
    return [child, Number(m[1]), output];
  }
}

/** A client HOME with an ed25519 key (and, once trusted, known_hosts). */
export class TestClient {
  private constructor(readonly home: string) {}

  static async create(): Promise<TestClient> {
    const home = await Deno.makeTempDir({ prefix: "dtail-client-" });
    await Deno.mkdir(`${home}/.ssh`, { mode: 0o700 });
    const gen = await new Deno.Command("ssh-keygen", {
      args: ["-q", "-t", "ed25519", "-N", "", "-f", `${home}/.ssh/id_ed25519`],
    }).output();
    if (!gen.success) throw new Error("ssh-keygen failed");
    return new TestClient(home);
  }

  /** Runs a client program against servers as SSH user `user`. */
  run(
    program: string,
    servers: TestServer[],
    args: string[],
    options: RunOptions & { user?: string } = {},
  ): Promise<RunResult> {
    return run(program, [
      "--cfg",
      "none",
      "--user",
      options.user ?? "dtail-alice",
      "--servers",
      servers.map((s) => s.address).join(","),
      ...args,
    ], { ...options, env: { HOME: this.home, SSH_AUTH_SOCK: "", ...options.env } });
  }
}

async function chown(user: string, path: string): Promise<void> {
  const out = await new Deno.Command("chown", { args: ["-R", user, path] }).output();
  if (!out.success) throw new Error(`chown ${user} ${path} failed`);
}
