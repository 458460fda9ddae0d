/**
 * The host name DTail shows in `REMOTE|host|…` (docs/compatibility.md#environment,
 * docs/protocol.md#messages).
 */

export function fullHostname(env = (k: string) => Deno.env.get(k)): string {
  const override = env("DTAIL_HOSTNAME_OVERRIDE");
  if (override) return override;
  if (env("DTAIL_INTEGRATION_TEST_RUN_MODE") === "yes") return "integrationtest";
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/** The host name up to its first dot. */
export function shortHostname(env = (k: string) => Deno.env.get(k)): string {
  const full = fullHostname(env);
  const dot = full.indexOf(".");
  return dot > 0 ? full.slice(0, dot) : full;
}
