/**
 * The Go DTail as a test peer (../shared/go-dtail/bin, see its README): a Go `dserver` started as
 * the unprivileged test user with its own config, cache dir and host key, and the Go clients run
 * with a test client's HOME. Our servers and clients come from ssh_env.ts.
 */
import { ROOT, run as runOurs, type RunOptions, type RunResult } from "./helpers.ts";
import { canRunServers, SERVER_USER } from "./ssh_env.ts";
import { freePort, waitUntilAccepts } from "./local_port.ts";
import { collectOutput } from "./child_output.ts";
import { loadAuth } from "../cli/ssh/auth.ts";
import { connect, openShell } from "../cli/ssh/connect.ts";
import { encodeFrame } from "../core/protocol/frames.ts";
import { MessageReader } from "../core/protocol/messages.ts";

/**
 * Where the Go binaries are: next to this checkout, in ../shared/go-dtail/bin (DTAIL_GO_BIN
 * points elsewhere, e.g. at nothing to see the suite skip).
 */
export const GO_BIN = Deno.env.get("DTAIL_GO_BIN") ||
  new URL("../shared/go-dtail/bin", `file://${ROOT}/`).pathname;

/** Why the Go peer tests cannot run here, or null when they can. */
export const goPeerSkipReason: string | null = (() => {
  try {
    Deno.statSync(`${GO_BIN}/dserver`);
  } catch {
    return `no Go DTail binaries at ${GO_BIN}`;
  }
  return canRunServers ? null : "not root: the test users cannot be used";
})();

/** Anything with a `host:port` a client can be pointed at (a GoServer or a TestServer). */
export interface Peer {
  readonly address: string;
  readonly port: number;
}

/** A client HOME whose `.ssh/` holds `id_ed25519` (a TestClient, or a copy for the Go clients). */
export interface Home {
  readonly home: string;
}

/** Another HOME with the same key: Go and our clients keep their known_hosts apart. */
export async function copyHome(client: Home): Promise<Home> {
  const home = await Deno.makeTempDir({ prefix: "dtail-go-client-" });
  await Deno.mkdir(`${home}/.ssh`, { mode: 0o700 });
  for (const name of ["id_ed25519", "id_ed25519.pub"]) {
    await Deno.copyFile(`${client.home}/.ssh/${name}`, `${home}/.ssh/${name}`);
  }
  await Deno.chmod(`${home}/.ssh/id_ed25519`, 0o600);
  return { home };
}

export interface GoServerOptions {
  /** Extra `Server` config keys (Permissions, MaxLineLength, MaxConcurrentCats…). */
  server?: Record<string, unknown>;
  /** SSH users whose `<CacheDir>/<user>.authorized_keys` holds the client's key. */
  users?: string[];
  env?: Record<string, string>;
}

/** A Go dserver on 127.0.0.1, run as dtail-srv (it refuses to run as root). */
export class GoServer implements Peer {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: Deno.ChildProcess,
    private readonly output: () => string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** What the server logged (`--logger stdout`). */
  log(): string {
    return this.output();
  }

  /** `<CacheDir>/<user>.authorized_keys`. */
  authorizedKeys(user = "dtail-alice"): string {
    return `${this.dir}/cache/${user}.authorized_keys`;
  }

  static async start(client: Home, options: GoServerOptions = {}): Promise<GoServer> {
    const dir = await Deno.makeTempDir({ prefix: "dtail-go-srv-" });
    await Deno.chmod(dir, 0o755);
    for (const sub of ["cache", "log", "home"]) await Deno.mkdir(`${dir}/${sub}`);
    for (const user of options.users ?? ["dtail-alice"]) {
      await Deno.copyFile(
        `${client.home}/.ssh/id_ed25519.pub`,
        `${dir}/cache/${user}.authorized_keys`,
      );
    }
    // An ed25519 host key: the Go server would otherwise spend a second making an RSA-4096 one.
    await command("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-f",
      `${dir}/cache/ssh_host_key`,
    ]);
    const config = {
      Common: {
        LogDir: `${dir}/log`,
        Logger: "stdout",
        LogLevel: "info",
        CacheDir: `${dir}/cache`,
      },
      Server: {
        SSHBindAddress: "127.0.0.1",
        HostKeyFile: `${dir}/cache/ssh_host_key`,
        MaxConnections: 50,
        MaxConcurrentCats: 10,
        AuthKeyEnabled: true,
        Permissions: { Default: ["readfiles:^/.*$"] },
        ...options.server,
      },
    };
    await Deno.writeTextFile(`${dir}/dtail.json`, JSON.stringify(config));
    await command("chown", ["-R", SERVER_USER, `${dir}/cache`, `${dir}/log`, `${dir}/home`]);
    for (let attempt = 0;; attempt++) {
      const port = freePort();
      const child = new Deno.Command("setpriv", {
        args: [
          `--reuid=${SERVER_USER}`,
          `--regid=${SERVER_USER}`,
          "--init-groups",
          "--",
          `${GO_BIN}/dserver`,
          "--cfg",
          `${dir}/dtail.json`,
          "--port",
          String(port),
          "--logger",
          "stdout",
        ],
        env: { HOME: `${dir}/home`, ...options.env },
        cwd: dir,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const output = collectOutput(child);
      const started = await waitUntilAccepts(port, child, 10_000);
      if (started === "accepts") return new GoServer(dir, port, child, output);
      if (started === "timeout") child.kill("SIGKILL");
      await child.status;
      // The port was taken between our probe and the server's bind: try another one.
      if (attempt < 3 && /address already in use/.test(output())) continue;
      throw new Error(`the Go dserver did not start:\n${output()}`);
    }
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await this.child.status;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** Runs one of our client programs against `servers` as SSH user `user`, like TestClient.run. */
export function ours(
  client: Home,
  program: string,
  servers: readonly Peer[],
  args: string[],
  options: RunOptions & { user?: string } = {},
): Promise<RunResult> {
  return runOurs(program, [
    "--cfg",
    "none",
    "--user",
    options.user ?? "dtail-alice",
    "--servers",
    servers.map((s) => s.address).join(","),
    "--trustAllHosts",
    ...args,
  ], { ...options, env: { HOME: client.home, SSH_AUTH_SOCK: "", ...options.env } });
}

/**
 * Runs a Go client program against `servers` with the test client's HOME (its `.ssh/` holds the
 * key and known_hosts). A Go client exits 0 whatever happened: judge it by what it printed.
 */
export async function go(
  client: Home,
  program: string,
  servers: readonly Peer[],
  args: string[],
  options: RunOptions & { user?: string } = {},
): Promise<RunResult> {
  const child = spawnGo(client, program, servers, args, options);
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: new TextDecoder().decode(out.stderr),
    text: new TextDecoder().decode(out.stdout),
  };
}

/** Starts a Go client program (for follows, which the caller stops). */
export function spawnGo(
  client: Home,
  program: string,
  servers: readonly Peer[],
  args: string[],
  options: RunOptions & { user?: string } = {},
): Deno.ChildProcess {
  const serverArgs = servers.length === 0
    ? []
    : ["--servers", servers.map((s) => s.address).join(",")];
  return new Deno.Command(`${GO_BIN}/${program}`, {
    args: [
      "--cfg",
      "none",
      "--user",
      options.user ?? "dtail-alice",
      ...serverArgs,
      "--trustAllHosts",
      ...args,
    ],
    env: { HOME: client.home, SSH_AUTH_SOCK: "", ...options.env },
    cwd: options.cwd ?? client.home,
    stdin: options.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs a Go program with exactly these arguments (dtailhealth takes no --cfg/--user). */
export async function goRaw(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const out = await new Deno.Command(`${GO_BIN}/${program}`, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: new TextDecoder().decode(out.stderr),
    text: new TextDecoder().decode(out.stdout),
  };
}

async function command(program: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(program, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${program} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/**
 * A raw SSH session (no client logic): sends `frames` (strings are encoded as command frames,
 * bytes go as they are) `gapMs` apart, as a Go client writes one command at a time, and collects
 * the server's messages until it closes the channel, `until` holds, or `timeoutMs` passed. The
 * close request is acknowledged like a client does.
 */
export async function rawSession(
  client: Home,
  peer: Peer,
  frames: (string | Uint8Array)[],
  options: { user?: string; until?: (messages: string[]) => boolean; timeoutMs?: number } = {},
): Promise<string[]> {
  const env = (name: string) => (name === "HOME" ? client.home : undefined);
  const auth = await loadAuth({ authKeyPath: `${client.home}/.ssh/id_ed25519`, env });
  const c = await connect({
    host: "127.0.0.1",
    port: peer.port,
    portGiven: true,
    label: peer.address,
  }, {
    user: options.user ?? "dtail-alice",
    auth,
    trust: null,
    timeoutMs: 5000,
  });
  c.on("error", () => {});
  try {
    const channel = await openShell(c, "test");
    const reader = new MessageReader();
    const messages: string[] = [];
    let wake = () => {};
    const done = (async () => {
      for await (const chunk of channel as AsyncIterable<Uint8Array>) {
        for (const m of reader.push(chunk)) {
          const text = new TextDecoder().decode(m);
          messages.push(text);
          if (text === ".syn close connection") channel.write(encodeFrame(".ack close connection"));
        }
        wake();
      }
    })();
    for (const frame of frames) {
      channel.write(typeof frame === "string" ? encodeFrame(frame) : frame);
      await new Promise((r) => setTimeout(r, 50));
    }
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let closed = false;
    done.finally(() => (closed = true));
    while (!closed && !(options.until?.(messages) ?? false) && Date.now() < deadline) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
    return messages;
  } finally {
    c.end();
  }
}

/**
 * Go's dmap client can end before the last aggregates came: on a loaded machine it printed an
 * empty table, or wrote a CSV of its header alone, against its own dserver as against ours (seen in
 * a CI simulation while other jobs ran). A fact of the peer: a Go dmap run whose result has no rows
 * runs again, twice at most; a wrong row still fails at once.
 */
export async function goDmapRetried(
  once: () => Promise<RunResult>,
  hasRows: (r: RunResult) => Promise<boolean> | boolean,
): Promise<RunResult> {
  let r = await once();
  for (let retry = 0; retry < 2 && !(await hasRows(r)); retry++) r = await once();
  return r;
}

/** Whether a dmap table printed on stdout has a row under its dashes. */
export function tableHasRows(r: RunResult): boolean {
  const lines = r.text.split("\n");
  const dashes = lines.findIndex((l) => /^-+(\|-+)*$/.test(l));
  return dashes >= 0 && (lines[dashes + 1] ?? "") !== "";
}

/** Whether a CSV file has a row under its header. */
export async function csvHasRows(path: string): Promise<boolean> {
  try {
    return (await Deno.readTextFile(path)).trimEnd().split("\n").length > 1;
  } catch {
    return false;
  }
}
