/** Shared by the jobs tests: a directory the server user may write, and waiting for a file. */
import { SERVER_USER } from "./ssh_env.ts";

/** A temporary directory owned by the server's user (the jobs write their outfiles there). */
export async function serverOwnedDir(prefix = "dtail-jobs-"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  await Deno.chmod(dir, 0o755);
  const out = await new Deno.Command("chown", { args: [SERVER_USER, dir] }).output();
  if (!out.success) throw new Error(`chown ${dir} failed`);
  return dir;
}

/** Polls until `check` returns a value other than null, or fails after `ms` naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | null,
  ms = 20_000,
  log: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The file's text, or null while it is missing. */
export function textOf(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}
