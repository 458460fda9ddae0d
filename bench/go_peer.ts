/**
 * The Go DTail next to ours in the bench: its binaries in ../shared/go-dtail/bin beside the
 * checkout (/work/shared/go-dtail/README.md), or wherever GO_DTAIL_BIN (or DTAIL_GO_BIN, as the
 * tests call it) points. Every part runs without it and says so in one line.
 */
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname ?? ".", "..");

/** Where the Go binaries are looked for. */
export const GO_DIR = resolve(
  Deno.env.get("GO_DTAIL_BIN") || Deno.env.get("DTAIL_GO_BIN") ||
    join(ROOT, "..", "shared", "go-dtail", "bin"),
);

/** True when the Go programs the bench runs are all there. */
export const goAvailable: boolean = ["dcat", "dgrep", "dmap", "dserver"].every((program) => {
  try {
    return Deno.statSync(join(GO_DIR, program)).isFile;
  } catch {
    return false;
  }
});

/** The line a report prints instead of its Go columns. */
export const GO_SKIPPED = `Go DTail not found at ${GO_DIR} (set GO_DTAIL_BIN): Go columns skipped`;

export const goProgram = (program: string) => join(GO_DIR, program);

/** `DTail 4.3.2-ng Protocol 4.1` or the like, for the report header. */
export async function goVersion(): Promise<string> {
  if (!goAvailable) return "absent";
  const out = await new Deno.Command(goProgram("dcat"), {
    args: ["--version", "--noColor"],
    stdout: "piped",
  })
    .output().catch(() => null);
  const text = out ? new TextDecoder().decode(out.stdout).trim().split("\n")[0] : "";
  return text?.replace(" Have a lot of fun!", "") || "unknown version";
}
