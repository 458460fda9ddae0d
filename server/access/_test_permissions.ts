/** Test helpers for the permission layer: real users, real files, the kernel as the oracle. */
import { lookupUser, type UserInfo, userName } from "./user_lookup.ts";

/** useradd, chown to other users and setfacl on their files need root. */
export const canCreateUsers = Deno.uid() === 0;

const ROOT = new URL("../..", import.meta.url).pathname;
let usersReady = false;

/** Creates dtail-srv, dtail-alice, dtail-bob and dtail-carol (once per process). */
export function setupTestUsers(): void {
  if (usersReady) return;
  run(`${ROOT}tools/setup_test_users.sh`);
  usersReady = true;
}

export function testUser(name: string): UserInfo {
  setupTestUsers();
  const user = lookupUser(name);
  if (user === null) throw new Error(`test user ${name} is missing`);
  return user;
}

/** The account running the tests. */
export function currentUser(): UserInfo {
  const user = lookupUser(userName(Deno.uid() ?? -1));
  if (user === null) throw new Error("cannot look up the current user");
  return user;
}

/** Runs a command; returns stdout, throws with stderr when it fails. */
export function run(cmd: string, ...args: string[]): string {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** The kernel's answer: can `user` open `path` for reading (`test -r` run as that user)? */
export function kernelCanRead(user: UserInfo, path: string): boolean {
  const args = user.uid === 0 ? ["-r", path] : ["-u", user.name, "--", "/usr/bin/test", "-r", path];
  const cmd = user.uid === 0 ? "/usr/bin/test" : "runuser";
  return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
}

/** A temp directory everyone may search (mode 0755), removed afterwards. */
export async function withTempDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dtail_perm_test_" });
  try {
    await Deno.chmod(dir, 0o755);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes a file with the given mode and, when given, owner and group names. */
export function makeFile(path: string, mode: number, owner?: string): string {
  Deno.writeTextFileSync(path, `content of ${path}\n`);
  Deno.chmodSync(path, mode);
  if (owner !== undefined) run("chown", owner, path);
  return path;
}
