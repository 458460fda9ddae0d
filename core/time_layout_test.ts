import assert from "node:assert/strict";
import { fixedZone, UTC } from "./civil_time.ts";
import { errorKind } from "./errors.ts";
import { LineTimes } from "./log_time.ts";
import { compileTimeLayout, TimeLayoutError } from "./time_layout.ts";

const encoder = new TextEncoder();
const NOW = Date.UTC(2026, 11, 3, 12);
const T = Date.UTC(2026, 11, 3, 10, 0, 0);

function timeOf(layout: string, line: string, zone = UTC): number {
  const times = new LineTimes({ now: NOW, zone, layout: compileTimeLayout(layout) });
  const bytes = encoder.encode(line);
  return times.timeOf(bytes, 0, bytes.length);
}

const CASES: [string, string, number][] = [
  ["%Y-%m-%d %H:%M:%S", "2026-12-03 10:00:00 app started", T],
  ["%F %T", "2026-12-03 10:00:00 same with %F %T", T],
  ["%d.%m.%Y %H:%M:%S,%f", "03.12.2026 10:00:00,250 INFO x", T + 250],
  ["%d/%m/%y %H:%M", "host: 03/12/26 10:00 after a prefix", T],
  ["%b %e %T %Y", "Dec  3 10:00:00 2026 x", T],
  ["%b %e %T", "Dec  3 10:00:00 no year: from now", T],
  ["%Y%m%dT%H%M%S%z", "20261203T110000+0100 compact", T],
  ["%Y-%m-%dT%H:%M:%S%z", "2026-12-03T11:00:00+01:00 x", T],
  ["%Y-%m-%dT%H:%M:%S%z", "2026-12-03T10:00:00Z x", T],
  ["[%s]", `[${T / 1000}] epoch`, T],
  ["%s.%f", `${T / 1000}.5 epoch with fraction`, T + 500],
  ["%Y-%m-%d 100%% %H", "2026-12-03 100% 10 literal percent", T],
];

for (const [layout, line, want] of CASES) {
  Deno.test(`layout ${layout} reads ${JSON.stringify(line)}`, () => {
    assert.equal(timeOf(layout, line), want);
  });
}

Deno.test("a configured layout is the only one tried", () => {
  assert.ok(Number.isNaN(timeOf("%d.%m.%Y %T", "2026-12-03T10:00:00Z iso is not tried")));
  assert.ok(Number.isNaN(timeOf("%Y-%m-%d %T", "2026-13-03 10:00:00 month 13")));
  assert.ok(Number.isNaN(timeOf("%Y-%m-%d %T", "2026-12-03 10:00 cut short")));
});

Deno.test("a configured layout without a zone reads in the zone given", () => {
  assert.equal(timeOf("%Y-%m-%d %T", "2026-12-03 11:00:00 x", fixedZone(60)), T);
});

Deno.test("a configured layout is looked for only in the first 256 bytes", () => {
  assert.equal(timeOf("%F %T", `${"x".repeat(200)} 2026-12-03 10:00:00`), T);
  assert.ok(Number.isNaN(timeOf("%F %T", `${"x".repeat(300)} 2026-12-03 10:00:00`)));
});

const BAD: [string, string][] = [
  [
    "%Y-%m-%d %Q",
    'time layout "%Y-%m-%d %Q": unknown directive %Q (known: %Y %y %m %d %e %b %H %M %S %f %z %s %T %F %%)',
  ],
  [
    "%Y-%m-%d %",
    'time layout "%Y-%m-%d %": a lone % at the end (known: %Y %y %m %d %e %b %H %M %S %f %z %s %T %F %%)',
  ],
  ["%H:%M:%S", 'time layout "%H:%M:%S": needs a month (%m or %b) and a day (%d or %e), or %s'],
  ["", 'time layout "": needs a month (%m or %b) and a day (%d or %e), or %s'],
];

for (const [layout, message] of BAD) {
  Deno.test(`layout ${JSON.stringify(layout)} is refused at set-up with one line`, () => {
    assert.throws(() => compileTimeLayout(layout), (err) => {
      assert.ok(err instanceof TimeLayoutError);
      assert.equal(errorKind(err), "setup");
      assert.equal(err.message, message);
      return true;
    });
  });
}
