/**
 * The names `\p{…}` and `\P{…}` take, resolved as Go 1.25's regexp/syntax resolves them (Unicode
 * 15.0): `Any`, `ASCII`, `Assigned`, a general category (`Lu`, `Cn`, `LC`) or its long alias
 * (`Uppercase_Letter`, `Letter`, `digit`, `punct`), or a script (`Greek`), compared loosely (case,
 * `_`, `-` and spaces ignored: `greek`, `cased letter`). re2js takes some names Go refuses (binary
 * properties such as `Alphabetic`, scripts added after Unicode 15.0 such as `Garay`) and refuses
 * some Go takes (`Letter`, `ascii`), so each name is handed to re2js as the one it resolves to
 * (core/re2js_pattern.ts), and one Go refuses is refused.
 */

/** Go's unicode.Categories (a category of one letter is the union of its two-letter ones). */
const CATEGORIES = `
C Cc Cf Cn Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So
Z Zl Zp Zs
`.trim().split(/\s+/);

/** Go's unicode.CategoryAliases: Unicode's long names of the categories, and three POSIX ones. */
const CATEGORY_ALIASES = `
Cased_Letter=LC Close_Punctuation=Pe Combining_Mark=M Connector_Punctuation=Pc Control=Cc
Currency_Symbol=Sc Dash_Punctuation=Pd Decimal_Number=Nd Enclosing_Mark=Me Final_Punctuation=Pf
Format=Cf Initial_Punctuation=Pi Letter=L Letter_Number=Nl Line_Separator=Zl Lowercase_Letter=Ll
Mark=M Math_Symbol=Sm Modifier_Letter=Lm Modifier_Symbol=Sk Nonspacing_Mark=Mn Number=N
Open_Punctuation=Ps Other=C Other_Letter=Lo Other_Number=No Other_Punctuation=Po Other_Symbol=So
Paragraph_Separator=Zp Private_Use=Co Punctuation=P Separator=Z Space_Separator=Zs
Spacing_Mark=Mc Surrogate=Cs Symbol=S Titlecase_Letter=Lt Unassigned=Cn Uppercase_Letter=Lu
cntrl=Cc digit=Nd punct=P
`.trim().split(/\s+/).map((pair) => pair.split("=") as [string, string]);

/** Go's unicode.Scripts: the scripts of Unicode 15.0. */
const SCRIPTS = `
Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali
Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian
Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret
Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian
Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya
Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi
Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kawi Kayah_Li Kharoshthi
Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian
Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin
Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani
Myanmar Nabataean Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham
Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian
Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau
Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham
SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa
Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta
Toto Ugaritic Vai Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square
`.trim().split(/\s+/);

/**
 * Go's canonicalName: `_`, `-` and spaces dropped, the first letter upper case and the others
 * lower case (`cased_letter` → `Casedletter`).
 */
export function canonicalName(name: string): string {
  let out = "";
  for (const c of name) {
    if (c === "_" || c === "-" || c === " ") continue;
    out += out === "" ? upperAscii(c) : lowerAscii(c);
  }
  return out;
}

const upperAscii = (c: string) => c >= "a" && c <= "z" ? c.toUpperCase() : c;
const lowerAscii = (c: string) => c >= "A" && c <= "Z" ? c.toLowerCase() : c;

let names: Map<string, string> | null = null;

/** Canonical name → the name re2js resolves to the same table. */
function nameTable(): Map<string, string> {
  if (names !== null) return names;
  names = new Map([["Any", "Any"], ["Assigned", "Assigned"], ["Ascii", "Ascii"], ["Lc", "LC"]]);
  for (const [alias, category] of CATEGORY_ALIASES) {
    names.set(canonicalName(alias), category);
  }
  // Scripts before categories, categories last: Go looks categories up first.
  for (const script of SCRIPTS) names.set(canonicalName(script), script);
  for (const category of CATEGORIES) names.set(category, category);
  return names;
}

/**
 * The name re2js should be given for what `\p{name}` names in Go (a leading `^`, which negates,
 * kept), or null when Go refuses the name ("invalid character class range").
 */
export function re2jsPropertyName(name: string): string | null {
  const negated = name.startsWith("^");
  const resolved = nameTable().get(canonicalName(negated ? name.slice(1) : name));
  return resolved === undefined ? null : (negated ? "^" : "") + resolved;
}
