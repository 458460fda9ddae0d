/**
 * Persisting trusted host keys to a known_hosts file (docs/compatibility.md#known-hosts): new lines
 * are appended (old lines stay, like OpenSSH, so a host keeps its keys of other types), the file is
 * rewritten through a temporary file and a rename with mode 0600, and a missing directory is
 * created with mode 0700. A symlinked known_hosts is written through only when its target stays
 * inside that directory. A known_hosts that is a device (`UserKnownHostsFile /dev/null` or `none`,
 * or a link to it) keeps nothing, as the user asked; any other file that is not a regular one is
 * refused. A rename over either would replace it (for root, the system's /dev/null).
 */
import { entryMatches, KNOWN_HOSTS_LIMIT, parseKnownHostsLine } from "./known_hosts.ts";
import { readSmallTextFileSync } from "../../core/small_file.ts";
import { SetupError } from "../../core/errors.ts";
import { osReason } from "../../core/source_error.ts";

export class KnownHostsWriteError extends SetupError {
  override name = "KnownHostsWriteError";
}

export interface PersistOptions {
  /**
   * Names (`knownHostsName` output) whose existing non-revoked lines are dropped first. Only an
   * explicit user request may replace a changed key (docs/compatibility.md#changed-host-keys);
   * trusting unknown hosts never does.
   */
  replaceNames?: string[];
}

/**
 * `$HOME/.ssh/known_hosts`, or `./known_hosts` in integration test mode
 * (docs/compatibility.md#environment). Without HOME, `/dev/null`: no host is known and none is
 * kept (it was `./.ssh/known_hosts`, so the directory a run started in decided which host keys
 * were trusted).
 */
export function defaultKnownHostsPath(
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): string {
  if (env("DTAIL_INTEGRATION_TEST_RUN_MODE") === "yes") return "./known_hosts";
  const home = env("HOME");
  return home ? `${home}/.ssh/known_hosts` : "/dev/null";
}

/** Adds `lines` (`name keytype base64`) that the file does not hold yet. */
export async function persistKnownHosts(
  path: string,
  lines: string[],
  opts: PersistOptions = {},
): Promise<void> {
  const info = await Deno.stat(path).catch(() => null); // through symlinks
  if (info !== null && !info.isFile) {
    if (info.isCharDevice) return;
    throw new KnownHostsWriteError(`cannot update ${path}: not a regular file`);
  }
  const dir = dirname(path);
  await ensureDir(path, dir);
  const target = await writeTarget(path, dir);
  let old: string[] = [];
  try {
    old = readSmallTextFileSync(target, KNOWN_HOSTS_LIMIT).split("\n").filter((l) => l !== "");
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const replace = opts.replaceNames ?? [];
  if (replace.length > 0) old = old.filter((l) => !namesLine(l, replace));
  const have = new Set(old);
  const added = lines.filter((l) => !have.has(l) && have.add(l));
  if (added.length === 0 && replace.length === 0) return;
  const tmp = `${dirname(target)}/.known_hosts.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(tmp, [...old, ...added].join("\n") + "\n", {
      mode: 0o600,
      createNew: true,
    });
    await Deno.chmod(tmp, 0o600);
    await Deno.rename(tmp, target);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new KnownHostsWriteError(`cannot update ${path}: ${osReason(e)}`);
  }
}

function namesLine(line: string, names: string[]): boolean {
  const entry = parseKnownHostsLine(line);
  return entry !== null && !entry.revoked && names.some((n) => entryMatches(entry, n));
}

/**
 * Creates the known_hosts directory (`~/.ssh`) when it is missing, as OpenSSH does; never the
 * directories above it: a HOME that does not exist (`/nonexistent` of a system account) is not
 * made, as root would, and the trust is then kept for this run only (told once).
 */
async function ensureDir(path: string, dir: string): Promise<void> {
  try {
    await Deno.stat(dir);
    return;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const parent = dirname(dir);
  if (!(await Deno.stat(parent).then((i) => i.isDirectory, () => false))) {
    throw new KnownHostsWriteError(`cannot update ${path}: ${parent} does not exist`);
  }
  await Deno.mkdir(dir, { mode: 0o700 });
}

/** The file to replace: `path` itself, or its symlink target when that stays under `dir`. */
async function writeTarget(path: string, dir: string): Promise<string> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return path;
    throw e;
  }
  if (!info.isSymlink) return path;
  const realDir = await Deno.realPath(dir);
  let target: string;
  try {
    target = await Deno.realPath(path);
  } catch {
    target = ""; // a dangling link
  }
  if (!target.startsWith(realDir === "/" ? "/" : `${realDir}/`)) {
    throw new KnownHostsWriteError(
      `refusing to write ${path}: it is a symlink that leaves ${dir}`,
    );
  }
  return target;
}

function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}
