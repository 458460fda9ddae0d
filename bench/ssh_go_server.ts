/**
 * A Go dserver for the SSH bench, set up like tests/go_peer_env.ts's GoServer but with the bench's
 * identities (bench/ssh_server.ts): it refuses to run as root, so as root it runs as the test
 * server user through setpriv, otherwise as the calling user. Its own temp dir holds the config,
 * an ed25519 host key (an RSA-4096 one would take a second to make) and the client's key.
 */
import { join } from "node:path";
import { goProgram } from "./go_peer.ts";
import { type Identities, output } from "./ssh_server.ts";
import { freePort, waitUntilAccepts } from "../tests/local_port.ts";

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const LOG_TAIL_CHARS = 4_000;

export class GoBenchServer {
  private constructor(
    readonly port: number,
    private readonly child: Deno.ChildProcess,
    private readonly tail: () => string,
  ) {}

  get pid(): number {
    return this.child.pid;
  }

  /** The end of what the server printed (`--logger stdout`). */
  log(): string {
    return this.tail();
  }

  static async start(base: string, ids: Identities, clientPub: string): Promise<GoBenchServer> {
    const dir = await Deno.makeTempDir({ dir: base, prefix: "go-server-" });
    await Deno.chmod(dir, 0o755);
    for (const sub of ["cache", "log", "home"]) await Deno.mkdir(join(dir, sub));
    await Deno.copyFile(clientPub, join(dir, "cache", `${ids.sshUser}.authorized_keys`));
    const hostKey = join(dir, "cache", "ssh_host_key");
    await output("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
    const config = {
      Common: {
        LogDir: join(dir, "log"),
        Logger: "stdout",
        LogLevel: "info",
        CacheDir: join(dir, "cache"),
      },
      Server: {
        SSHBindAddress: "127.0.0.1",
        HostKeyFile: hostKey,
        MaxConnections: 50,
        MaxConcurrentCats: 10,
        AuthKeyEnabled: true,
        Permissions: { Default: ["readfiles:^/.*$"] },
      },
    };
    await Deno.writeTextFile(join(dir, "dtail.json"), JSON.stringify(config));
    if (ids.asRoot) await output("chown", ["-R", `${ids.serverUser}:`, dir]);
    for (let attempt = 0;; attempt++) {
      const port = freePort();
      const args = [goProgram("dserver"), "--cfg", join(dir, "dtail.json"), "--port", String(port)];
      const setpriv = [`--reuid=${ids.serverUser}`, `--regid=${ids.serverUser}`, "--init-groups"];
      const [program = "", ...rest] = ids.asRoot ? ["setpriv", ...setpriv, "--", ...args] : args;
      const child = new Deno.Command(program, {
        args: [...rest, "--logger", "stdout"],
        env: { HOME: join(dir, "home") },
        cwd: dir,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      let text = "";
      const decoder = new TextDecoder();
      const pump = async (stream: ReadableStream<Uint8Array>) => {
        for await (const chunk of stream) {
          text = (text + decoder.decode(chunk, { stream: true })).slice(-LOG_TAIL_CHARS);
        }
      };
      pump(child.stdout).catch(() => {});
      pump(child.stderr).catch(() => {});
      const started = await waitUntilAccepts(port, child, START_TIMEOUT_MS);
      if (started === "accepts") return new GoBenchServer(port, child, () => text);
      if (started === "timeout") child.kill("SIGKILL");
      await child.status;
      // The port was taken between our probe and the server's bind: try another one.
      if (attempt < 3 && /address already in use/.test(text)) continue;
      throw new Error(
        `the Go dserver did not start: ${text.trim().split("\n").slice(-3).join(" | ")}`,
      );
    }
  }

  /** SIGTERM, SIGKILL after STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    const signal = (sig: Deno.Signal) => {
      try {
        this.child.kill(sig);
      } catch {
        // already gone
      }
    };
    signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), STOP_TIMEOUT_MS);
    await this.child.status;
    clearTimeout(timer);
  }
}
