import assert from "node:assert/strict";
import { fillDates, localDay } from "./job_dates.ts";

const noon = new Date(2026, 2, 2, 12, 0, 0); // 2 March 2026, local time

Deno.test("placeholders become local days as YYYYMMDD, across a month end", () => {
  assert.equal(
    fillDates("$yyyesterday $yyesterday $yesterday $today $tomorrow", noon),
    "20260227 20260228 20260301 20260302 20260303",
  );
});

Deno.test("a placeholder may appear twice and text around it is kept", () => {
  assert.equal(
    fillDates("/var/log/$today/app.log,$today.csv", noon),
    "/var/log/20260302/app.log,20260302.csv",
  );
});

Deno.test("the day is the local calendar day, just before and after midnight", () => {
  assert.equal(localDay(new Date(2026, 11, 31, 23, 59, 59)), "20261231");
  assert.equal(localDay(new Date(2027, 0, 1, 0, 0, 0)), "20270101");
  assert.equal(localDay(new Date(2027, 0, 1, 0, 0, 0), -1), "20261231");
});
