/**
 * A scratch directory for one benchmark: TMPDIR points into it (measure.ts's temp files), and it
 * goes away with every process the bench started when the run ends or is interrupted.
 */
import { killDescendants } from "./ssh_procs.ts";

export async function withScratchDir<T>(
  prefix: string,
  fn: (base: string) => Promise<T>,
): Promise<T> {
  const base = await Deno.makeTempDir({ prefix });
  const removeBase = () => Deno.removeSync(base, { recursive: true });
  const interrupted = () => {
    killDescendants();
    removeBase();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupted);
  Deno.addSignalListener("SIGTERM", interrupted);
  const tmpdir = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", base);
  try {
    await Deno.chmod(base, 0o755);
    return await fn(base);
  } finally {
    if (tmpdir === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", tmpdir);
    Deno.removeSignalListener("SIGINT", interrupted);
    Deno.removeSignalListener("SIGTERM", interrupted);
    removeBase();
  }
}
