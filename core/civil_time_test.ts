import assert from "node:assert/strict";
import {
  daysFromCivil,
  daysInMonth,
  fixedZone,
  LOCAL,
  MS_PER_DAY,
  UTC,
  wallMs,
  wallWithoutYear,
} from "./civil_time.ts";

Deno.test("daysFromCivil agrees with Date.UTC from year 1 to 9999", () => {
  for (let year = 1; year <= 9999; year += 7) {
    for (const [month, day] of [[1, 1], [2, 28], [3, 1], [12, 31]]) {
      const d = new Date(0);
      d.setUTCFullYear(year, month! - 1, day!);
      assert.equal(daysFromCivil(year, month!, day!) * MS_PER_DAY, d.getTime(), `${year}`);
    }
  }
});

Deno.test("daysInMonth knows the leap years", () => {
  assert.equal(daysInMonth(2024, 2), 29);
  assert.equal(daysInMonth(2026, 2), 28);
  assert.equal(daysInMonth(1900, 2), 28);
  assert.equal(daysInMonth(2000, 2), 29);
  assert.equal(daysInMonth(2026, 4), 30);
  assert.equal(daysInMonth(2026, 13), 0);
});

Deno.test("wallMs refuses parts out of range and takes a leap second", () => {
  assert.equal(wallMs(2026, 12, 3, 10, 0, 0, 5), Date.UTC(2026, 11, 3, 10, 0, 0, 5));
  for (const parts of [[2026, 0, 1], [2026, 13, 1], [2026, 2, 29], [2026, 4, 31], [2026, 1, 0]]) {
    assert.ok(Number.isNaN(wallMs(parts[0]!, parts[1]!, parts[2]!, 0, 0, 0, 0)), `${parts}`);
  }
  assert.ok(Number.isNaN(wallMs(2026, 1, 1, 24, 0, 0, 0)));
  assert.ok(Number.isNaN(wallMs(2026, 1, 1, 0, 60, 0, 0)));
  assert.equal(wallMs(2026, 12, 31, 23, 59, 60, 0), Date.UTC(2027, 0, 1));
});

Deno.test("wallMs gives every date its own day, whatever date came before", () => {
  // Lines in a row share their date, so wallMs keeps the last one's day: any other must not get it.
  const dates: [number, number, number][] = [];
  for (const year of [1999, 2000, 2024, 2026]) {
    for (let month = 1; month <= 12; month++) {
      for (let day = 1; day <= 31; day++) dates.push([year, month, day]);
    }
  }
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < 5000; i++) {
    const [year, month, day] = dates[next() % dates.length]!;
    const want = day > daysInMonth(year, month) ? NaN : Date.UTC(year, month - 1, day, 1, 2, 3, 4);
    assert.equal(wallMs(year, month, day, 1, 2, 3, 4), want, `${year}-${month}-${day}`);
  }
  assert.equal(wallMs(2026, 2, 28, 0, 0, 0, 0), Date.UTC(2026, 1, 28));
  assert.ok(Number.isNaN(wallMs(2026, 2, 28, 24, 0, 0, 0)), "the day is known, the hour is not");
  assert.ok(Number.isNaN(wallMs(2025, 28, 28, 0, 0, 0, 0)), "a month past 12, never another date");
});

Deno.test("a fixed zone maps wall times both ways", () => {
  const plus90 = fixedZone(90);
  const wall = Date.UTC(2026, 11, 3, 11, 30);
  assert.equal(plus90.toEpoch(wall), Date.UTC(2026, 11, 3, 10));
  assert.equal(plus90.toWall(Date.UTC(2026, 11, 3, 10)), wall);
  assert.equal(UTC.toEpoch(wall), wall);
});

Deno.test("a time without a year is put in the year that makes it latest but not after now + 1 day", () => {
  const now = Date.UTC(2027, 0, 2, 12);
  assert.equal(wallWithoutYear(now, 1, 2, 13, 0, 0, 0), Date.UTC(2027, 0, 2, 13));
  assert.equal(wallWithoutYear(now, 1, 3, 12, 0, 0, 0), Date.UTC(2027, 0, 3, 12));
  assert.equal(wallWithoutYear(now, 1, 3, 12, 0, 1, 0), Date.UTC(2026, 0, 3, 12, 0, 1));
  assert.equal(wallWithoutYear(now, 12, 31, 0, 0, 0, 0), Date.UTC(2026, 11, 31));
});

Deno.test("the local zone matches Date, also across DST changes (TZ=Europe/Berlin, America/New_York)", async () => {
  // The process's zone is fixed at start: check it in children with other zones.
  const script = `
    import { LOCAL } from ${JSON.stringify(new URL("./civil_time.ts", import.meta.url).href)};
    const bad = [];
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 20 * 60_000) {
      const d = new Date(t);
      const wall = Date.UTC(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes());
      const epoch = new Date(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes()).getTime();
      if (LOCAL.toEpoch(wall) !== epoch || LOCAL.toWall(t) !== wall) bad.push(d.toISOString());
    }
    const offset = new Date(Date.UTC(2026, 6, 1)).getTimezoneOffset();
    console.log(JSON.stringify(bad.slice(0, 5)) + " " + bad.length + " " + (offset !== 0));`;
  for (const tz of ["Europe/Berlin", "America/New_York", "Asia/Kolkata"]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-check", script],
      env: { TZ: tz },
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.ok(out.success, tz);
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "[] 0 true", tz);
  }
  assert.equal(typeof LOCAL.toEpoch(0), "number");
});
