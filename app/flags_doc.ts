/** docs/flags.md, generated from the flag table. */
import { defaultOf, FLAGS, PROGRAMS } from "./flag_table.ts";

export function flagsDoc(): string {
  const lines = [
    "# Flags",
    "",
    "Generated from `app/flag_table.ts` by `make docs`; do not edit by hand.",
    "Every flag works as `-name` or `--name`, with `-name value` or `-name=value` (Go style).",
    "",
    `| Flag | Type | Default | ${PROGRAMS.join(" | ")} | Meaning |`,
    `|---|---|---|${PROGRAMS.map(() => "---").join("|")}|---|`,
  ];
  for (const f of FLAGS.filter((f) => !f.hidden)) {
    const defaults = [...new Set(f.programs.map((p) => JSON.stringify(defaultOf(f, p))))];
    const marks = PROGRAMS.map((p) => (f.programs.includes(p) ? "✓" : ""));
    const cell = (s: string) => s.replaceAll("|", "\\|");
    lines.push(
      `| \`--${f.name}\` | ${f.type} | ${cell(defaults.join(" / "))} | ${marks.join(" | ")} | ${
        cell(f.help)
      } |`,
    );
  }
  lines.push(
    "",
    "Also accepted and ignored, so that Go command lines keep working: " +
      FLAGS.filter((f) => f.inert).map((f) => `\`--${f.name}\``).join(", ") + ".",
    "",
  );
  return lines.join("\n");
}
