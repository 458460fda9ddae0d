/**
 * `make bench`'s serverless acceptance table (bench/report.ts, bench/cases.ts): each row's ratios
 * against the Go DTail and the Unix tool with their targets, PASS only when every target is met
 * with the same output, and the Go column skipped when the Go binaries are absent.
 */
import assert from "node:assert/strict";
import { pairMisses, pairPasses, type PairResult, pairTable } from "../bench/report.ts";
import { GO_TARGET, pairCases } from "../bench/cases.ts";

const LOGS = { log: "/d/x.log", gz: "/d/x.log.gz", zst: "/d/x.log.zst" };

function row(goSeconds: number | null, options: { goSame?: boolean } = {}): PairResult {
  const base = {
    shape: "x.log",
    name: "bin/dcat --plain x.log",
    bytes: 100e6,
    ours: { seconds: 0.1, rssMb: 50 },
    peer: { name: "cat", seconds: 0.09, rssMb: 2, target: 0.6, sameOutput: true },
  };
  if (goSeconds === null) return base;
  const go = { name: "go/dcat --plain --cfg none", seconds: goSeconds, rssMb: 12 };
  return { ...base, go: { ...go, target: GO_TARGET, sameOutput: options.goSame ?? true } };
}

Deno.test("a row passes when ours reaches both the Go and the Unix tool's target", () => {
  assert.equal(pairPasses(row(0.2)), true);
  assert.match(
    pairTable([row(0.2)]),
    /\| 2\.00x \(>= 1\.5x\) \|.*\| 0\.90x \(>= 0\.6x\) \| PASS \|/,
  );
});

Deno.test("a row below the Go target is a MISS that names the ratio and the target", () => {
  assert.deepEqual(pairMisses(row(0.12)), ["Go 1.20x < 1.5x"]);
  assert.match(pairTable([row(0.12)]), /\*\*MISS\*\*: Go 1\.20x < 1\.5x/);
});

Deno.test("a row whose Go output differs is a MISS however fast it is", () => {
  assert.deepEqual(pairMisses(row(1, { goSame: false })), ["Go output differs"]);
  assert.equal(pairPasses(row(1, { goSame: false })), false);
});

Deno.test("without the Go binaries the Go columns say skipped and the Unix target decides", () => {
  const table = pairTable([row(null)]);
  assert.match(table, /\| skipped \| skipped \|/);
  assert.equal(pairPasses(row(null)), true);
});

Deno.test("every serverless case runs the same file in the Go DTail when its bin is given", () => {
  const withGo = pairCases(LOGS, "/ours", "/go");
  assert.equal(withGo.length, 7);
  for (const c of withGo) {
    assert.ok(c.go, `no Go command for ${c.ours.join(" ")}`);
    assert.deepEqual(c.go.slice(1, 4), ["--plain", "--cfg", "none"]);
    assert.equal(c.go.at(-1), c.ours.at(-1));
    assert.equal(c.go[0], `/go/${c.ours[0]!.slice("/ours/".length)}`);
    assert.deepEqual(c.go.slice(4, -1), c.ours.slice(2, -1), "the same flags as ours");
  }
  assert.ok(pairCases(LOGS, "/ours").every((c) => c.go === undefined));
});

Deno.test("a row of dist/ shows bin/'s time and Go's ratio against it in the last column", () => {
  const table = pairTable([{ ...row(0.2), bin: { seconds: 0.125, rssMb: 50, sameOutput: true } }]);
  assert.match(table, /\| 2\.00x \(>= 1\.5x\) \|.*\| 0\.125 \(1\.60x\) \|$/m);
  assert.match(pairTable([row(0.2)]), /\| - \|$/m);
});

Deno.test("a row whose bin/ output differs from dist/'s is a MISS", () => {
  const differs = { ...row(0.2), bin: { seconds: 0.1, rssMb: 50, sameOutput: false } };
  assert.deepEqual(pairMisses(differs), ["bin/ output differs"]);
});
