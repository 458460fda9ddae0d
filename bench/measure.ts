/**
 * Whole-process measurements. Every command runs as `CMD | cat > /dev/null` under bash, with
 * GNU time between bash and CMD, so ours and the peer get the same pipe and the same wrapper.
 * GNU time reports the peak RSS and the CPU time of CMD itself (with the children it waited
 * for): the bin/ launchers exec deno, so that is deno with all its threads, not a shell.
 */

export const TIME_BIN = "/usr/bin/time";
const PIPED_SCRIPT =
  `set -o pipefail; ${TIME_BIN} -f "%M %U %S" -o "$1" "\${@:2}" | cat > /dev/null`;
const DIGEST_SCRIPT = `set -o pipefail; "$@" | cksum`;
/** The Go framing's view of a text: every byte 0xAC ends a message, printed as a newline. */
const AC_AS_NEWLINE_SCRIPT = `set -o pipefail; "$@" | LC_ALL=C tr '\\254' '\\n' | cksum`;

export interface Sample {
  /** Wall time as seen from the bench process. */
  readonly seconds: number;
  readonly rssMb: number;
  /** User + system CPU seconds of CMD (GNU time %U + %S, 10 ms resolution). */
  readonly cpuSeconds: number;
}

export class CommandFailed extends Error {}

/** Runs argv once with its output piped to cat; wall time as seen from here. */
export async function measureOnce(argv: readonly string[]): Promise<Sample> {
  const rssFile = await Deno.makeTempFile({ prefix: "bench-rss-" });
  try {
    const command = new Deno.Command("bash", {
      args: ["-c", PIPED_SCRIPT, "bench", rssFile, ...argv],
      stdout: "null",
      stderr: "piped",
    });
    const start = performance.now();
    const result = await command.output();
    const seconds = (performance.now() - start) / 1000;
    if (!result.success) throw failure(argv, result);
    return { seconds, ...parseTimeOutput(await Deno.readTextFile(rssFile)) };
  } finally {
    await Deno.remove(rssFile);
  }
}

/** `cksum` of argv's output: "crc bytes", to check that ours and the peer print the same. */
export async function outputDigest(argv: readonly string[]): Promise<string> {
  const result = await new Deno.Command("bash", {
    args: ["-c", DIGEST_SCRIPT, "bench", ...argv],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) throw failure(argv, result);
  return new TextDecoder().decode(result.stdout).trim();
}

/**
 * `cksum` of argv's output with every byte 0xAC turned into a newline: what a Go client prints of
 * that text over SSH, where 0xAC separates messages (docs/protocol.md).
 */
export async function acAsNewlineDigest(argv: readonly string[]): Promise<string> {
  const result = await new Deno.Command("bash", {
    args: ["-c", AC_AS_NEWLINE_SCRIPT, "bench", ...argv],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) throw failure(argv, result);
  return new TextDecoder().decode(result.stdout).trim();
}

function failure(argv: readonly string[], result: Deno.CommandOutput): CommandFailed {
  const stderr = new TextDecoder().decode(result.stderr).trim().split("\n").slice(-3).join(" | ");
  return new CommandFailed(`${argv[0] ?? ""} exited with ${result.code}: ${stderr}`);
}

/**
 * The last line of GNU time -f "%M %U %S": peak RSS in kilobytes (KiB), user and system CPU
 * seconds. MB here is 10^6 bytes like the throughput.
 */
function parseTimeOutput(timeOutput: string): { rssMb: number; cpuSeconds: number } {
  const fields = (timeOutput.trim().split("\n").at(-1) ?? "").trim().split(/\s+/).map(Number);
  const [kib, user, system] = fields;
  if (
    fields.length !== 3 || kib === undefined || user === undefined || system === undefined ||
    !fields.every(Number.isFinite)
  ) {
    throw new Error(`unexpected GNU time output: ${timeOutput}`);
  }
  return { rssMb: (kib * 1024) / 1e6, cpuSeconds: user + system };
}

/** Timed runs of each command, alternating, the order rotated every round; samples per command. */
export async function alternate(
  argvs: readonly (readonly string[])[],
  runs: number,
): Promise<Sample[][]> {
  const samples: Sample[][] = argvs.map(() => []);
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < argvs.length; k++) {
      const i = (k + round) % argvs.length;
      samples[i]!.push(await measureOnce(argvs[i]!));
    }
  }
  return samples;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? NaN;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[middle - 1] ?? NaN) + upper) / 2;
}
