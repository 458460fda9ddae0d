/**
 * `make fuzz`: random and mutated command frames, patterns, globs, queries and AGGREGATE
 * messages against the parsers (in a worker, 40% of the time) and against a live dserver (the
 * rest; needs root). Exits 1 when a check failed, printing the seed and input to replay.
 *
 *   deno run … tests/fuzz/main.ts [--seconds 60] [--seed N] [--only parsers|server]
 *   deno run … tests/fuzz/main.ts --input N   (the whole input of parser case seed N, as JSON)
 */
import { caseSeed, show } from "./mutate.ts";
import {
  caseInput,
  type Finding,
  findingKey,
  TARGET_NAMES,
  type WorkerReport,
  type WorkerStart,
} from "./parsers.ts";
import { fuzzServer } from "./server.ts";
import { knownIssue } from "./known.ts";

/** A case that has not returned after this long is a hang. */
const HANG_MS = 5000;

function parseArgs(args: string[]) {
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seconds = Number(value("--seconds") ?? 60);
  const seedText = value("--seed");
  const seed = seedText ? Number(seedText) : crypto.getRandomValues(new Uint32Array(1))[0]!;
  const only = value("--only");
  if (!(seconds > 0) || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new Error("usage: main.ts [--seconds N] [--seed 0..4294967295] [--only parsers|server]");
  }
  return { seconds, seed, only };
}

/** Runs the parser cases in a worker, restarting it past a case that hangs. */
async function fuzzParsers(seed: number, ms: number): Promise<Finding[]> {
  const deadline = Date.now() + ms;
  const found: Finding[] = [];
  const progress = new SharedArrayBuffer(4 * (1 + TARGET_NAMES.length));
  const current = new Int32Array(progress);
  for (let first = 0; Date.now() < deadline;) {
    current[0] = first;
    const worker = new Worker(new URL("./parsers.ts", import.meta.url).href, { type: "module" });
    const done = new Promise<void>((resolve) => {
      worker.onmessage = (e: MessageEvent<WorkerReport>) => {
        if (e.data.kind === "finding") found.push(e.data.finding);
        else resolve();
      };
      worker.onerror = (e) => {
        e.preventDefault();
        const at = caseSeed(seed, Atomics.load(current, 0));
        found.push({ seed: at, target: "worker", problem: `died: ${e.message}`, input: "" });
        resolve();
      };
    });
    worker.postMessage({ seed, first, deadline, progress } satisfies WorkerStart);
    // The watchdog: the same case for HANG_MS is a hang (a synchronous loop cannot be timed).
    let [last, since, hung] = [-1, Date.now(), -1];
    while (await Promise.race([done.then(() => false), sleep(250).then(() => true)])) {
      const now = Atomics.load(current, 0);
      if (now !== last) [last, since] = [now, Date.now()];
      else if (Date.now() - since > HANG_MS) {
        hung = now;
        break;
      }
    }
    worker.terminate();
    if (hung < 0) break;
    const { target, input } = caseInput(caseSeed(seed, hung));
    const problem = `no return within ${HANG_MS} ms (a hang)`;
    found.push({ seed: caseSeed(seed, hung), target: target.name, problem, input: show(input) });
    Atomics.add(current, 1 + TARGET_NAMES.indexOf(target.name), 1);
    first = hung + 1;
  }
  const counts = TARGET_NAMES.map((name, i) => `${name} ${current[1 + i]}`);
  const total = current.slice(1).reduce((a, b) => a + b, 0);
  console.log(`fuzz: parsers: ${total} cases (${counts.join(", ")})`);
  return found;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  const input = Deno.args.indexOf("--input");
  if (input >= 0) {
    const c = caseInput(Number(Deno.args[input + 1]));
    console.log(`${c.target.name}: ${show(c.input, Infinity)}`);
    return 0;
  }
  const { seconds, seed, only } = parseArgs(Deno.args);
  const root = Deno.uid() === 0;
  console.log(`fuzz: seed ${seed}, ${seconds} s (replay: make fuzz SEED=${seed})`);
  const reports: string[] = [];
  const parserMs = only === "parsers" || !root
    ? seconds * 1000
    : only === "server"
    ? 0
    : seconds * 400;
  if (parserMs > 0) {
    const found = await fuzzParsers(seed, parserMs);
    const keys = new Set<string>();
    for (const f of found) {
      if (keys.has(findingKey(f))) continue;
      keys.add(findingKey(f));
      const [what, ...stack] = f.problem.split("\n");
      reports.push(
        `[${f.target}] ${what}\n  replay: make fuzz SEED=${f.seed} FUZZ_ONLY=parsers ` +
          `(its first case)\n  input: ${f.input}` +
          (stack.length > 0 ? `\n  ${stack.slice(0, 6).join("\n  ")}` : ""),
      );
    }
  }
  if (only !== "parsers") {
    if (!root) console.log("fuzz: live server part skipped: it needs root (tests/ssh_env.ts)");
    else {
      const ms = seconds * 1000 - parserMs;
      const r = await fuzzServer(seed, ms);
      const kinds = Object.entries(r.received).sort(([, a], [, b]) => b - a).slice(0, 5);
      console.log(
        `fuzz: server: ${r.sessions} sessions, ${r.probes} liveness probes passed; received ` +
          kinds.map(([k, n]) => `${n} ${JSON.stringify(k)}`).join(", "),
      );
      reports.push(
        ...r.findings.map((f) => `[server] ${f}\n  again: make fuzz SEED=${seed} FUZZ_ONLY=server`),
      );
    }
  }
  let failed = 0;
  for (const report of reports) {
    const note = knownIssue(report);
    if (note !== null) {
      const [what, replay] = report.split("\n");
      console.log(
        `fuzz: known issue, not failing: ${what!.slice(0, 300)}\n  (${note})` +
          (replay?.includes("replay") ? `\n${replay}` : ""),
      );
    } else {
      failed++;
      console.log(`fuzz: FAILED ${report}\n`);
    }
  }
  console.log(failed === 0 ? "fuzz: ok" : `fuzz: ${failed} problem(s) found (seed ${seed})`);
  return failed === 0 ? 0 : 1;
}

Deno.exit(await main());
