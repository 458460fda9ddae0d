import assert from "node:assert/strict";
import { canonicalName, re2jsPropertyName } from "./re2_property_names.ts";

Deno.test("canonicalName drops _, - and spaces and writes the rest as Go's table keys", () => {
  assert.equal(canonicalName("cased_letter"), "Casedletter");
  assert.equal(canonicalName(" Decimal-Number "), "Decimalnumber");
  assert.equal(canonicalName("LU"), "Lu");
  assert.equal(canonicalName("ünicode"), "ünicode");
  assert.equal(canonicalName(""), "");
});

Deno.test("categories, their aliases, scripts and Go's special names resolve as Go resolves them", () => {
  const cases: [string, string][] = [
    ["Lu", "Lu"],
    ["lu", "Lu"],
    ["L", "L"],
    ["l", "L"],
    ["Cn", "Cn"],
    ["LC", "LC"],
    ["lc", "LC"],
    ["Letter", "L"],
    ["uppercase letter", "Lu"],
    ["Cased_Letter", "LC"],
    ["Unassigned", "Cn"],
    ["digit", "Nd"],
    ["PUNCT", "P"],
    ["cntrl", "Cc"],
    ["Greek", "Greek"],
    ["greek", "Greek"],
    ["Any", "Any"],
    ["ANY", "Any"],
    ["ASCII", "Ascii"],
    ["assigned", "Assigned"],
    ["^Greek", "^Greek"],
    ["^letter", "^L"],
    ["Old_Italic", "Old_Italic"],
    ["old italic", "Old_Italic"],
    ["SignWriting", "SignWriting"],
  ];
  for (const [name, want] of cases) assert.equal(re2jsPropertyName(name), want, name);
});

Deno.test("binary properties, later scripts, codes and prefixes Go does not know are refused", () => {
  const refused = [
    "Alphabetic",
    "White_Space",
    "Emoji",
    "Hex_Digit",
    "Garay",
    "Todhri",
    "Kirat_Rai",
    "Sidetic",
    "Unknown",
    "Latn",
    "Zyyy",
    "IsGreek",
    "Script=Greek",
    "gc=L",
    "L&",
    "",
    "^",
    "Foo",
  ];
  for (const name of refused) assert.equal(re2jsPropertyName(name), null, name);
});
