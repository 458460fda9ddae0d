/**
 * An OpenSSH `sshd` on 127.0.0.1 as a jump host (bastion) for tests and benchmarks: its own host
 * key and config, public-key logins with the test client's key, TCP forwarding allowed, and a log
 * (LogLevel DEBUG1 on stderr) that shows every login and every `direct-tcpip` channel it opened.
 * tools/ensure_system_tools.sh installs it (openssh-server).
 */
import { collectOutput, waitForOutput } from "./child_output.ts";
import { freePort } from "./local_port.ts";
export const SSHD = "/usr/sbin/sshd";

/** Why a bastion cannot run here (a test skips with this line), or null. */
export function bastionMissing(): string | null {
  try {
    Deno.statSync(SSHD);
  } catch {
    return `skipped: ${SSHD} is not installed (tools/ensure_system_tools.sh installs openssh-server)`;
  }
  return null;
}

export interface BastionOptions {
  /** Extra sshd_config lines. */
  readonly config?: readonly string[];
  /** sshd's LogLevel (default DEBUG1: it logs each `direct-tcpip` channel, see `tunnels`). */
  readonly logLevel?: string;
}

export class Bastion {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private child: Deno.ChildProcess,
    private output: () => string,
    /** `ssh-ed25519 AAAA…` of its host key. */
    readonly hostKey: string,
  ) {}

  /** The login on the bastion: the user sshd runs as (root in the tests). */
  get user(): string {
    return Deno.uid() === 0 ? "root" : Deno.env.get("USER") ?? "root";
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The known_hosts line that trusts this bastion. */
  get knownHostsLine(): string {
    return `[127.0.0.1]:${this.port} ${this.hostKey}`;
  }

  /** What sshd logged so far. */
  log(): string {
    return this.output();
  }

  /** Logins it accepted (one per SSH connection). */
  logins(): number {
    return this.output().match(/Accepted publickey for /g)?.length ?? 0;
  }

  /** The `direct-tcpip` channels it was asked to open. */
  tunnels(): number {
    return this.output().match(/server_request_direct_tcpip: /g)?.length ?? 0;
  }

  /** Starts sshd; `client.home` holds the key (`.ssh/id_ed25519.pub`) it lets in. */
  static async start(client: { home: string }, options: BastionOptions = {}): Promise<Bastion> {
    const dir = await Deno.makeTempDir({ prefix: "dtail-bastion-" });
    const keygen = await new Deno.Command("ssh-keygen", {
      args: ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/host_ed25519`],
    }).output();
    if (!keygen.success) throw new Error("ssh-keygen failed");
    const hostKey = (await Deno.readTextFile(`${dir}/host_ed25519.pub`)).trim().split(/\s+/)
      .slice(0, 2).join(" ");
    await Deno.copyFile(`${client.home}/.ssh/id_ed25519.pub`, `${dir}/authorized_keys`);
    // sshd's privilege separation needs its empty directory (root-owned, not group-writable).
    if (Deno.uid() === 0) await Deno.mkdir("/run/sshd", { recursive: true, mode: 0o755 });
    const port = freePort();
    await Deno.writeTextFile(
      `${dir}/sshd_config`,
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${dir}/host_ed25519`,
        "PidFile none",
        `AuthorizedKeysFile ${dir}/authorized_keys`,
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "PermitRootLogin prohibit-password",
        "AllowTcpForwarding yes",
        "X11Forwarding no",
        "MaxStartups 1000",
        `LogLevel ${options.logLevel ?? "DEBUG1"}`,
        ...options.config ?? [],
        "",
      ].join("\n"),
    );
    const child = new Deno.Command(SSHD, {
      args: ["-D", "-e", "-f", `${dir}/sshd_config`],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = collectOutput(child);
    await waitForOutput(child, output, /Server listening on 127\.0\.0\.1 port/, 10_000, "sshd");
    return new Bastion(dir, port, child, output, hostKey);
  }

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
