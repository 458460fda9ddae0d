/**
 * The `Permissions` rules of dtail.json: entries `[type:]regex`, `!` after the type marks a deny
 * rule. Deny wins; otherwise one matching allow rule allows; no match or a bad regex denies.
 */
import { compileRegex, type RegexMatcher } from "../core/matcher.ts";

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
 * Splits `[type:]regex`. Go DTail splits at any first `:`, which turns a regex such as
 * `[[:alpha:]]` into a bogus type; here only a word before the colon is a type.
 */
export function parseRule(rule: string): { type: string; deny: boolean; regex: string } {
  const m = /^([A-Za-z_]\w*):/.exec(rule);
  const type = m?.[1] ?? "readfiles";
  const body = m ? rule.slice(m[0].length) : rule;
  const deny = body.startsWith("!");
  return { type, deny, regex: deny ? body.slice(1) : body };
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
