/**
 * Which build runs: the bin/ launchers run the checkout's sources; `make dist` bundles the
 * program and replaces BUILD_MARK's value in the bundle (tools/dist.ts) with the build's kind
 * ("self-extracting" or "compiled"), commit and date.
 */
const BUILD_MARK = "DTAIL_BUILD_INFO:kind=launcher";

export interface BuildInfo {
  readonly kind: string;
  readonly commit: string;
  readonly date: string;
}

export function buildInfo(): BuildInfo {
  const fields = new Map<string, string>();
  for (const pair of BUILD_MARK.slice(BUILD_MARK.indexOf(":") + 1).split(";")) {
    const eq = pair.indexOf("=");
    if (eq > 0) fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return {
    kind: fields.get("kind") ?? "launcher",
    commit: fields.get("commit") ?? Deno.env.get("DTAIL_COMMIT") ?? "",
    date: fields.get("date") ?? "",
  };
}

/** "self-extracting, Deno 2.9.6, commit dc29a39, built 2026-12-03". */
export function buildDescription(): string {
  const b = buildInfo();
  const parts = [b.kind, `Deno ${Deno.version.deno}`];
  if (b.commit !== "") parts.push(`commit ${b.commit}`);
  if (b.date !== "") parts.push(`built ${b.date}`);
  return parts.join(", ");
}
