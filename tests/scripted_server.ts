/**
 * Test helper: an SSH server on 127.0.0.1 that is not a dserver. It takes any key of any user and
 * answers every session with what its script writes: a broken or hostile server as a client
 * meets it on the network. Runs in the test process (npm:ssh2), so it needs no test users.
 */
import ssh2 from "ssh2";
import type { Connection, ServerChannel } from "ssh2";
import { Buffer } from "node:buffer";
import type { AddressInfo } from "node:net";

/** Writes a session's replies; the commands the client sends arrive on `channel` too. */
export type Script = (channel: ServerChannel) => void | Promise<void>;

export class ScriptedServer {
  private constructor(
    private readonly ssh: InstanceType<typeof ssh2.Server>,
    private readonly dir: string,
    readonly port: number,
    private readonly connections: Set<Connection>,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * `unanswered`: the session channel or its shell request is refused (`refuse …`) or never
   * answered (`ignore …`) instead of scripted.
   */
  static async start(
    script: Script,
    unanswered: `${"refuse" | "ignore"} ${"session" | "shell"}` | null = null,
  ): Promise<ScriptedServer> {
    const dir = await Deno.makeTempDir({ prefix: "dtail-scripted-" });
    const keygen = await new Deno.Command("ssh-keygen", {
      args: ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/host_key`],
    }).output();
    if (!keygen.success) throw new Error("ssh-keygen failed");
    const hostKey = Buffer.from(await Deno.readFile(`${dir}/host_key`));
    const connections = new Set<Connection>();
    const ssh = new ssh2.Server({ hostKeys: [hostKey] }, (conn: Connection) => {
      connections.add(conn);
      conn.on("close", () => connections.delete(conn));
      conn.on("error", () => {});
      conn.on("authentication", (ctx) => ctx.accept());
      conn.on("ready", () => {
        conn.on("session", (accept, reject) => {
          if (unanswered === "refuse session") return reject();
          if (unanswered === "ignore session") return;
          const session = accept();
          session.on("pty", (ok) => ok?.());
          session.on("env", (ok) => ok?.());
          session.on("shell", (ok, no) => {
            if (unanswered === "refuse shell") return no();
            if (unanswered === "ignore shell") return;
            const channel = ok();
            channel.on("error", () => {});
            Promise.resolve(script(channel)).catch(() => channel.destroy());
          });
        });
      });
    });
    await new Promise<void>((resolve) => ssh.listen(0, "127.0.0.1", resolve));
    const port = (ssh.address() as AddressInfo).port;
    return new ScriptedServer(ssh, dir, port, connections);
  }

  async stop(): Promise<void> {
    for (const conn of this.connections) conn.end();
    await new Promise<void>((resolve) => this.ssh.close(() => resolve()));
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** Writes `bytes` to the channel, waiting whenever the channel's window is full. */
export async function writeAll(channel: ServerChannel, bytes: Uint8Array): Promise<void> {
  if (!channel.write(bytes)) await new Promise((r) => channel.once("drain", r));
}
