/** `--help` text and bash completions, generated from the flag table. */
import { defaultOf, flagsOf, type Program } from "./flag_table.ts";

const SYNOPSIS: Record<Program, string> = {
  dtail: "dtail [flags] [FILE|GLOB...]    follow files (tail -f), locally or on many servers",
  dcat: "dcat [flags] [FILE|GLOB...]     print whole files (plain, .gz or .zst)",
  dgrep: "dgrep [flags] [FILE|GLOB...]    print the lines that match --regex",
  dmap: "dmap [flags] [QUERY] [FILE...]  run a MapReduce query over whole files",
  dtailhealth: "dtailhealth [flags]             check that a dserver answers",
  dserver: "dserver [flags]                 the DTail server",
};

export function helpText(program: Program): string {
  const lines = [`Usage: ${SYNOPSIS[program]}`, "", "Flags (-name and --name are the same):"];
  const rows = flagsOf(program).filter((f) => !f.hidden).map((f) => {
    const left = `  --${f.name}${f.arg ? ` ${f.arg}` : ""}`;
    const def = defaultOf(f, program);
    const shown = f.type === "bool" || def === "" ? "" : ` (default ${JSON.stringify(def)})`;
    return [left, f.help + shown] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  for (const [left, right] of rows) lines.push(left.padEnd(width) + right);
  lines.push("  -h, --help".padEnd(width) + "show this help");
  if (program !== "dserver" && program !== "dtailhealth") {
    lines.push(
      "",
      "Without --servers the files are read on this machine (serverless mode); with no file,",
      "standard input is read. Exit status: 0 success, 1 nothing could be read, 2 usage or",
      "config error, 3 some files or servers failed.",
    );
  }
  return lines.join("\n") + "\n";
}

export function bashCompletion(program: Program): string {
  const words = flagsOf(program).filter((f) => !f.hidden).map((f) => `--${f.name}`).join(" ");
  const fn = `_${program}_complete`;
  return [
    `${fn}() {`,
    `  local cur="\${COMP_WORDS[COMP_CWORD]}"`,
    `  if [[ "$cur" == -* ]]; then`,
    `    COMPREPLY=($(compgen -W "${words} --help" -- "$cur"))`,
    `  else`,
    `    COMPREPLY=($(compgen -f -- "$cur"))`,
    `  fi`,
    `}`,
    `complete -o filenames -F ${fn} ${program}`,
    "",
  ].join("\n");
}
