/**
 * The `Permissions` rules of dtail.json: entries `[type:]regex`, `!` after the type marks a deny
 * rule, parsed as Go DTail parses them. Deny wins; otherwise one matching allow rule allows; no
 * match or a bad regex denies.
 */
import { compileRegex, type RegexMatcher } from "../../core/matcher.ts";

export type RuleResult = { ok: true; rule: string } | { ok: false; reason: string };

/** The rules for `user`: their own list when configured (replacing Default), else Default. */
export function rulesFor(
  permissions: { Default: string[]; Users: Record<string, string[]> },
  user: string,
): string[] {
  const own = Object.hasOwn(permissions.Users, user) ? permissions.Users[user] : undefined;
  return Array.isArray(own) ? own : permissions.Default;
}

/** Checks the resolved absolute `path` against `rules` of the given type. Never throws. */
export function checkRules(rules: string[], path: string, type = "readfiles"): RuleResult {
  let allowedBy: string | null = null;
  for (const rule of rules) {
    const parsed = parseRule(rule);
    if (parsed.type !== type) continue;
    const re = compile(parsed.regex);
    if (re === null) return { ok: false, reason: `bad regex in permission rule ${rule}` };
    if (!re.test(path)) continue;
    if (parsed.deny) return { ok: false, reason: `${path} matches deny rule ${rule}` };
    allowedBy ??= rule;
  }
  return allowedBy === null
    ? { ok: false, reason: `${path} matches no allow rule` }
    : { ok: true, rule: allowedBy };
}

/**
 * Splits `[type:]regex` exactly as Go DTail does: a rule with a `:` has the text before the first
 * `:` as its type and the rest as the regex (`readfiles:^/x/co:lon` reads `^/x/co:lon`); a rule
 * without one is `readfiles`. So `^/x/co:lon` has type `^/x/co` and `[[:alpha:]]` type `[[`: rules
 * no check uses. dserver refuses such rules at start-up (permissionRuleProblem).
 */
export function parseRule(rule: string): { type: string; deny: boolean; regex: string } {
  const colon = rule.indexOf(":");
  const type = colon < 0 ? "readfiles" : rule.slice(0, colon);
  const body = colon < 0 ? rule : rule.slice(colon + 1);
  const deny = body.startsWith("!");
  return { type, deny, regex: deny ? body.slice(1) : body };
}

/** What a rule type looks like (`readfiles`, `journal`…); anything else is a mangled regex. */
const RULE_TYPE = /^[A-Za-z0-9_-]+$/;

/**
 * Why dserver must not start with `rule`, or null. A rule whose text before the first `:` is not
 * a word (`^/x/co:lon`, `[[:alpha:]]`, `!^/x:y`, `:^/x`) is a regex Go DTail reads as an unknown
 * type and silently ignores: an allow that grants nothing, a deny that denies nothing.
 */
export function permissionRuleProblem(rule: string): string | null {
  const { type } = parseRule(rule);
  if (RULE_TYPE.test(type)) return null;
  if (type === "") return "would be ignored: its type, the text before the first ':', is empty";
  return `would be ignored: its type is ${JSON.stringify(type)}, the text before the first ':' ` +
    `(as in Go DTail); to match paths write ${JSON.stringify(`readfiles:${rule}`)}`;
}

/**
 * The first refused rule of `Permissions` as one line naming it (`Server.Permissions.Users.bob[1]
 * rule "…" …`), or null when every rule is fine.
 */
export function permissionsProblem(
  permissions: { Default: string[]; Users: Record<string, string[]> },
): string | null {
  for (const [where, rules] of ruleLists(permissions)) {
    for (const [i, rule] of rules.entries()) {
      const problem = permissionRuleProblem(rule);
      if (problem !== null) return `${where}[${i}] rule ${JSON.stringify(rule)} ${problem}`;
    }
  }
  return null;
}

/** Each list of `Permissions` with where it is in dtail.json (`Server.Permissions.Users.bob`). */
function ruleLists(
  permissions: { Default: string[]; Users: Record<string, string[]> },
): [string, string[]][] {
  return [
    ["Server.Permissions.Default", permissions.Default],
    ...Object.entries(permissions.Users).map(([user, rules]): [string, string[]] => {
      // A plain user name as is; anything else quoted, so the message stays one line.
      const key = /^[\w.@-]+$/.test(user) ? `.${user}` : `[${JSON.stringify(user)}]`;
      return [`Server.Permissions.Users${key}`, rules];
    }),
  ];
}

/**
 * Compiles the regex of every rule ahead of the first check (a dserver at start-up, so that its
 * first session finds them compiled). Returns one line per rule whose regex does not compile: such
 * a rule denies every path of its type to the users it applies to (checkRules).
 */
export function precompileRules(
  permissions: { Default: string[]; Users: Record<string, string[]> },
): string[] {
  const bad: string[] = [];
  for (const [where, rules] of ruleLists(permissions)) {
    for (const [i, rule] of rules.entries()) {
      if (compile(parseRule(rule).regex) !== null) continue;
      bad.push(
        `${where}[${i}] rule ${JSON.stringify(rule)} has a bad regex: ` +
          "it denies every path of its type",
      );
    }
  }
  return bad;
}

const compiled = new Map<string, RegexMatcher | null>();

/** RE2 syntax in linear time, as every regex (core/matcher.ts); null for a bad one. */
function compile(regex: string): RegexMatcher | null {
  let re = compiled.get(regex);
  if (re === undefined) {
    try {
      re = compileRegex(regex);
    } catch {
      re = null;
    }
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(regex, re);
  }
  return re;
}
