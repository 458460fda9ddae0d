/**
 * Real dservers and SSH clients for the SSH bench, set up like tests/ssh_env.ts: as root the
 * servers run as the unprivileged test user dtail-srv (tools/setup_test_users.sh) and clients log
 * in as dtail-alice; otherwise both run as the calling user. Everything lives in one temp dir.
 */
import { join } from "node:path";

const ROOT = join(import.meta.dirname ?? ".", "..");
export const BIN_DIR = join(ROOT, "bin");
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const LOG_TAIL_CHARS = 4_000;

export interface Identities {
  /** OS user the servers run as. */
  readonly serverUser: string;
  /** SSH user the clients log in as. */
  readonly sshUser: string;
  readonly asRoot: boolean;
}

export async function identities(): Promise<Identities> {
  if (Deno.uid() !== 0) {
    const me = await output("id", ["-un"]);
    return { serverUser: me, sshUser: me, asRoot: false };
  }
  await output(join(ROOT, "tools", "setup_test_users.sh"), []);
  return { serverUser: "dtail-srv", sshUser: "dtail-alice", asRoot: true };
}

export interface ServerOptions {
  readonly bindAddress?: string;
  /** Extra `Server` config keys. */
  readonly server?: Record<string, unknown>;
  /** Shown as the host name in labels (DTAIL_HOSTNAME_OVERRIDE). */
  readonly hostname?: string;
  /** More dserver flags (`--logLevel debug`). */
  readonly args?: readonly string[];
  /** The bin/ whose dserver runs (default: this checkout's; bench/ssh_before.ts: another's). */
  readonly binDir?: string;
}

export class BenchServer {
  #tail = "";
  port = 0;

  private constructor(readonly dir: string, private readonly child: Deno.ChildProcess) {}

  get pid(): number {
    return this.child.pid;
  }

  /** The server's log file(s), joined (`--logger file`). */
  async log(): Promise<string> {
    const texts: string[] = [];
    for await (const entry of Deno.readDir(join(this.dir, "log"))) {
      texts.push(await Deno.readTextFile(join(this.dir, "log", entry.name)));
    }
    return texts.join("");
  }

  static async start(
    base: string,
    ids: Identities,
    clientPub: string,
    options: ServerOptions = {},
  ): Promise<BenchServer> {
    const dir = await Deno.makeTempDir({ dir: base, prefix: "server-" });
    await Deno.chmod(dir, 0o755);
    await Deno.mkdir(join(dir, "cache"));
    await Deno.mkdir(join(dir, "log"));
    await Deno.copyFile(clientPub, join(dir, "cache", `${ids.sshUser}.authorized_keys`));
    const config = {
      Common: { CacheDir: join(dir, "cache"), LogDir: join(dir, "log") },
      Server: { HostKeyFile: join(dir, "cache", "ssh_host_key"), ...options.server },
    };
    await Deno.writeTextFile(join(dir, "dtail.json"), JSON.stringify(config));
    if (ids.asRoot) await output("chown", ["-R", `${ids.serverUser}:`, dir]);
    const dserver = [
      join(options.binDir ?? BIN_DIR, "dserver"),
      "--cfg",
      join(dir, "dtail.json"),
      "--port",
      "0",
    ];
    const args = [
      ...dserver,
      ...["--bindAddress", options.bindAddress ?? "127.0.0.1", "--logger", "file"],
      ...options.args ?? [],
    ];
    const setpriv = [`--reuid=${ids.serverUser}`, `--regid=${ids.serverUser}`, "--init-groups"];
    const [program, ...rest] = ids.asRoot ? ["setpriv", ...setpriv, "--", ...args] : args;
    const env: Record<string, string> = { HOME: dir };
    if (options.hostname) env.DTAIL_HOSTNAME_OVERRIDE = options.hostname;
    const child = new Deno.Command(program ?? "", {
      args: rest,
      env,
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const server = new BenchServer(dir, child);
    server.port = await server.#waitForPort();
    return server;
  }

  async #waitForPort(): Promise<number> {
    const decoder = new TextDecoder();
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        this.#tail = (this.#tail + decoder.decode(chunk, { stream: true })).slice(-LOG_TAIL_CHARS);
      }
    };
    pump(this.child.stdout).catch(() => {});
    pump(this.child.stderr).catch(() => {});
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const m = /listening on port (\d+)/.exec(this.#tail);
      if (m) return Number(m[1]);
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`dserver did not start:\n${this.#tail}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGTERM, SIGKILL after STOP_TIMEOUT_MS; the exit code. */
  async stop(): Promise<number> {
    signal(this.child, "SIGTERM");
    const timer = setTimeout(() => signal(this.child, "SIGKILL"), STOP_TIMEOUT_MS);
    const { code } = await this.child.status;
    clearTimeout(timer);
    return code;
  }
}

function signal(child: Deno.ChildProcess, sig: Deno.Signal): void {
  try {
    child.kill(sig);
  } catch {
    // already gone
  }
}

/** A client HOME with an ed25519 key, and launchers that run bin/ programs from it over SSH. */
export class BenchClient {
  private constructor(readonly home: string, private readonly ids: Identities) {}

  get publicKey(): string {
    return join(this.home, ".ssh", "id_ed25519.pub");
  }

  static async create(base: string, ids: Identities): Promise<BenchClient> {
    const home = await Deno.makeTempDir({ dir: base, prefix: "client-" });
    await Deno.mkdir(join(home, ".ssh"), { mode: 0o700 });
    const key = join(home, ".ssh", "id_ed25519");
    await output("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    return new BenchClient(home, ids);
  }

  /**
   * A script that runs bin/PROGRAM with this HOME against `servers`; it execs, so its pid is the
   * client's. Extra arguments are appended.
   */
  async launcher(
    program: string,
    servers: readonly string[],
    binDir: string = BIN_DIR,
  ): Promise<string> {
    const path = await Deno.makeTempFile({ dir: this.home, prefix: `${program}-` });
    const args = [
      ...["--cfg", "none", "--user", this.ids.sshUser, "--trustAllHosts"],
      ...["--servers", servers.join(",")],
    ].map((a) => `'${a}'`).join(" ");
    await Deno.writeTextFile(
      path,
      `#!/bin/sh\nHOME='${this.home}' SSH_AUTH_SOCK= exec '${
        join(binDir, program)
      }' ${args} "$@"\n`,
    );
    await Deno.chmod(path, 0o755);
    return path;
  }
}

/** Runs a command to completion; its trimmed stdout, or an error with its stderr. */
export async function output(program: string, args: readonly string[]): Promise<string> {
  const out = await new Deno.Command(program, { args: [...args], stdin: "null" }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`${program} exited with ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** VmHWM and VmRSS of a live process in MB (10^6 B); NaN once it is gone. */
export function memoryMb(pid: number): { hwm: number; rss: number } {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
    return { hwm: (kb("VmHWM") * 1024) / 1e6, rss: (kb("VmRSS") * 1024) / 1e6 };
  } catch {
    return { hwm: NaN, rss: NaN };
  }
}
