/**
 * "The server still answers": while an attack runs against a real dserver, a second client must
 * get dtailhealth OK within 3 s and a normal dcat of a small file within 5 s (issue 9's rule for
 * every robustness test).
 */
import assert from "node:assert/strict";
import { run } from "./helpers.ts";
import type { TestClient, TestServer } from "./ssh_env.ts";

export const HEALTH_DEADLINE_MS = 3000;
export const DCAT_DEADLINE_MS = 5000;

/** Where Deno makes temporary files: $TMPDIR (tools/run_tests.sh sets one per run), or /tmp. */
const TMP = (Deno.env.get("TMPDIR") || "/tmp").replace(/(.)\/+$/, "$1");
/** The permission rule that lets a test dserver's users read the files of `probeFile`. */
export const PROBE_RULE = `readfiles:^${TMP.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/dtail-probe-`;

/** A world-readable small file for the probing dcat; returns its path and content. */
export async function probeFile(): Promise<{ path: string; text: string }> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-probe-" });
  await Deno.chmod(dir, 0o755);
  const path = `${dir}/probe.log`;
  const text = "probe line one\nprobe line two\n";
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o644);
  return { path, text };
}

/** Rejects with a message naming `what` when `promise` takes longer than `ms`. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asserts that `server` answers: dtailhealth OK within 3 s, then `dcat --plain` of `probe`
 * (as `user`, default dtail-alice) with the exact content within 5 s.
 */
export async function assertServerAnswers(
  server: TestServer,
  client: TestClient,
  probe: { path: string; text: string },
  user = "dtail-alice",
): Promise<void> {
  const health = await within(
    HEALTH_DEADLINE_MS,
    "dtailhealth",
    run("dtailhealth", ["--server", server.address]),
  );
  assert.equal(health.code, 0, `dtailhealth: ${health.text}${health.stderr}`);
  assert.match(health.text, /^OK: /);
  const cat = await within(
    DCAT_DEADLINE_MS,
    "a normal dcat",
    client.run("dcat", [server], ["--plain", "--trustAllHosts", probe.path], { user }),
  );
  assert.equal(cat.code, 0, `dcat: ${cat.stderr}`);
  assert.equal(cat.text, probe.text);
}
