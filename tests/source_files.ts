/** The source files of the layers (tests and `_test_*.ts` helpers left out), for checks on them. */
import { ROOT } from "./helpers.ts";

export const LAYERS = ["app", "cli", "server", "ssh", "core"] as const;

const isTestFile = (path: string) => /(_test\.ts|\/_test_[^/]*\.ts)$/.test(path);

/** Repository paths of every source `.ts` file under LAYERS, sorted. */
export function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(`${ROOT}/${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (path.endsWith(".ts") && !isTestFile(path)) out.push(path);
    }
  };
  for (const layer of LAYERS) walk(layer);
  return out.sort();
}
