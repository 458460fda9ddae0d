/** Test helpers: real OpenSSH keys from `ssh-keygen` (package openssh-client). */
import { Buffer } from "node:buffer";

export interface TestKey {
  /** Private key file (OpenSSH format); `${path}.pub` is the public key. */
  path: string;
  /** The `ssh-ed25519 AAAA…` part of the .pub file. */
  publicLine: string;
  blob: Uint8Array;
}

export async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

export async function hasCommand(cmd: string): Promise<boolean> {
  try {
    await new Deno.Command(cmd, { args: ["-?"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/** `ssh-keygen -t type -N passphrase -f dir/name`. */
export async function generateKey(
  dir: string,
  name: string,
  type = "ed25519",
  passphrase = "",
): Promise<TestKey> {
  const path = `${dir}/${name}`;
  const bits = type === "rsa" ? ["-b", "2048"] : [];
  await run("ssh-keygen", ["-q", "-t", type, ...bits, "-N", passphrase, "-C", name, "-f", path]);
  const [keyType, base64] = (await Deno.readTextFile(`${path}.pub`)).trim().split(" ");
  return {
    path,
    publicLine: `${keyType} ${base64}`,
    blob: new Uint8Array(Buffer.from(base64!, "base64")),
  };
}

export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dtail_ssh_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Whether `ssh-agent` and `ssh-add` (openssh-client) are installed. */
export const agentMissing = !(await hasCommand("ssh-agent")) || !(await hasCommand("ssh-add"));

/** Runs `ssh-agent -D -a dir/agent.sock` holding `keys` while `fn` runs. */
export async function withAgent(
  dir: string,
  keys: TestKey[],
  fn: (sock: string) => Promise<void>,
): Promise<void> {
  const sock = `${dir}/agent.sock`;
  const agent = new Deno.Command("ssh-agent", {
    args: ["-D", "-a", sock],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    for (let i = 0; i < 250; i++) {
      if (await Deno.stat(sock).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const key of keys) await run("ssh-add", ["-q", key.path], { SSH_AUTH_SOCK: sock });
    await fn(sock);
  } finally {
    agent.kill("SIGTERM");
    await agent.status;
  }
}
