/**
 * Which bytes every line that a regex matches holds (matcher_types.ts's ByteLiteral), read from
 * its translated source: needles for the byte search (core/byte_search.ts), plain or caseless,
 * exact or candidates the regex confirms, and a byte sequence that decides the candidates in their
 * bytes (core/byte_sequence.ts).
 */
import { byteNeedle, caselessNeedle, Needle } from "./byte_search.ts";
import { ByteSequence, type PlacedNeedle } from "./byte_sequence.ts";
import type { ByteLiteral } from "./matcher_types.ts";
import {
  alternativeBranches,
  caselessLiteral,
  plainLiteral,
  requiredAlternatives,
  requiredLiterals,
} from "./required_literals.ts";
import { utf8Length } from "./utf8.ts";

/**
 * The byte literal of a translated source, or null when none is known. `newlineSensitive`: lines
 * are matched with their "\n" and that changes what matches (IrregexpTranslation.newlineSensitive):
 * only candidates then, and no byte sequence.
 */
export function byteLiteralOf(source: string, newlineSensitive: boolean): ByteLiteral | null {
  const exactAllowed = !newlineSensitive;
  const single = byteCandidates(requiredLiterals(source));
  const literal = (newlineSensitive ? null : anchoredLiteral(source)) ??
    alternativeLiterals(source, exactAllowed) ??
    groupAlternatives(source, exactAllowed, single ? single.needle.bytes.length : 0) ?? single ??
    caselessCandidates(source, exactAllowed);
  return literal === null || newlineSensitive ? literal : withSequence(literal, source);
}

/**
 * The byte literals of a regex whose matches all hold `literals`: the longest is searched for,
 * the next longest (up to MAX_BYTE_LITERALS in all) too, and a candidate line must hold all of
 * them; the rest are checked on its text. A literal with a "\n" is in no line (it may end one
 * only withNewline), so it is left out.
 */
function byteCandidates(
  literals: string[],
  makeNeedle: (literal: string) => Needle | null = byteNeedle,
): ByteLiteral | null {
  const usable = literals.filter((l) => !l.includes("\n"))
    .sort((a, b) => utf8Length(b) - utf8Length(a));
  const searched: Needle[] = [];
  const others: string[] = [];
  for (const literal of usable) {
    if (usable.some((l) => l.length > literal.length && l.includes(literal))) continue;
    // In bytes: `ü` in `ü.e` is a needle of two.
    const needle = utf8Length(literal) < MIN_BYTE_LITERAL || searched.length === MAX_BYTE_LITERALS
      ? null
      : makeNeedle(literal);
    if (needle === null) others.push(literal);
    else searched.push(needle);
  }
  const [needle, ...also] = searched;
  if (needle === undefined) return null;
  return {
    needle,
    exact: false,
    ...(also.length > 0 ? { also } : {}),
    ...(others.length > 0 ? { others } : {}),
  };
}

/**
 * The exact byte literal of a source that is a literal anchored at the line's start, end or both
 * (`^ERROR`, `ms$`, `^ok$`), else null: its lines are found in the bytes without a regex.
 */
function anchoredLiteral(source: string): ByteLiteral | null {
  const start = source.startsWith("^");
  const end = source.endsWith("$") && !source.endsWith("\\$");
  if (!start && !end) return null;
  const core = source.slice(start ? 1 : 0, end ? -1 : undefined);
  const [literal, ...more] = requiredLiterals(core);
  if (literal === undefined || more.length > 0 || literal.includes("\n")) return null;
  if (core !== literal.replace(/[\\^$.|?*+()[\]{}\/-]/g, "\\$&")) return null; // not all literal
  const needle = byteNeedle(literal);
  if (needle === null) return null;
  return { needle, exact: true, at: start && end ? "whole" : start ? "start" : "end" };
}

/**
 * The caseless byte literals of a source whose letters are ASCII case pairs (`(?i)error`): exact
 * when it is nothing else (`exactAllowed`), else candidates as byteCandidates', with no literals
 * left to check on a candidate's text (those would be compared with their case).
 */
function caselessCandidates(source: string, exactAllowed: boolean): ByteLiteral | null {
  const whole = exactAllowed ? caselessLiteral(source) : null;
  const needle = whole === null || whole.includes("\n") ? null : caselessNeedle(whole);
  if (needle !== null) return { needle, exact: true };
  const candidates = byteCandidates(requiredLiterals(source, true), caselessNeedle);
  if (candidates === null) return null;
  const { others: _, ...searched } = candidates;
  return searched;
}

/**
 * The byte literals of a source that is branches separated by `|`, up to MAX_ALTERNATIVES of them
 * (each costs a pass over the bytes), else null: exact when each is a literal, plain or caseless
 * (`ERROR|WARN`, `(?i)error|warn`) and `exactAllowed`; else candidates, a needle of each branch's
 * (`ERROR.*disk|(?i)refused`), which the regex confirms.
 */
function alternativeLiterals(source: string, exactAllowed: boolean): ByteLiteral | null {
  const branches = alternativeBranches(source);
  if (branches === null || branches.length > MAX_ALTERNATIVES) return null;
  const needles: Needle[] = [];
  let exact = exactAllowed;
  for (const branch of branches) {
    const plain = plainLiteral(branch);
    const caseless = plain === null ? caselessLiteral(branch) : null;
    const literal = plain ?? caseless;
    // An empty branch matches every line; a "\n" is in no line.
    let needle = literal === null || literal.includes("\n")
      ? null
      : plain !== null
      ? byteNeedle(literal)
      : caselessNeedle(literal);
    if (needle === null) {
      // A branch that is more than a literal: the lines holding its literal are candidates.
      exact = false;
      needle = (byteCandidates(requiredLiterals(branch)) ?? caselessCandidates(branch, false))
        ?.needle ?? null;
      if (needle === null) return null;
    }
    needles.push(needle);
  }
  const [needle, ...anyOf] = needles;
  return { needle: needle!, exact, anyOf };
}

/**
 * The byte literals of a source with a group of literal branches that spell a few strings every
 * match holds one of (`svc=(auth|pricing)`, `web(1|2)[0-9]`): exact when the source is those
 * strings alone; candidates otherwise, when their shortest is longer than `than` bytes (the
 * longest single literal's). Null when no stretch spells two or more.
 */
function groupAlternatives(
  source: string,
  exactAllowed: boolean,
  than: number,
): ByteLiteral | null {
  const { stretches, whole } = requiredAlternatives(source, MAX_ALTERNATIVES);
  let best: string[] | null = null;
  let bestLength = than;
  for (const strings of stretches) {
    if (strings.length < 2 || strings.some((s) => s.includes("\n"))) continue;
    const shortest = Math.min(...strings.map(utf8Length));
    if (shortest > bestLength) [best, bestLength] = [strings, shortest];
  }
  if (best === null || bestLength < MIN_BYTE_LITERAL) return null;
  const needles = best.map(byteNeedle);
  if (needles.includes(null)) return null;
  const [needle, ...anyOf] = needles as Needle[];
  return { needle: needle!, exact: whole && exactAllowed, anyOf };
}

/**
 * `literal` with its candidates decided in their bytes (ByteLiteral.sequence) when the source is
 * a byte sequence: from the place its needles have in every match (`web1`, `web2` of
 * `web[12]\d`: each match holds one of them at 0), or, when they have none (` req=` of
 * `svc=\w+ req=\w`, after a loop), from the sequence's own literal before its first loop
 * (`svc=`), which every match holds.
 */
function withSequence(literal: ByteLiteral, source: string): ByteLiteral {
  if (literal.exact) return literal;
  const sequence = ByteSequence.of(source);
  if (sequence === null) return literal;
  const searched = [literal.needle, ...literal.anyOf ?? []];
  const place = sequence.placeOf(searched);
  if (place === null) {
    const own = prefixNeedle(sequence);
    return own === null ? literal : { ...literal, sequence: { sequence, needles: [own] } };
  }
  return {
    ...literal,
    sequence: { sequence, needles: searched.map((needle) => ({ needle, place })) },
  };
}

/** The sequence's literal before its first loop, of 2 bytes or more, as a placed needle. */
function prefixNeedle(sequence: ByteSequence): PlacedNeedle | null {
  const prefix = sequence.prefixLiteral();
  if (prefix === null || prefix.bytes.length < MIN_BYTE_LITERAL) return null;
  return { needle: new Needle(prefix.bytes), place: prefix.at };
}

const MAX_ALTERNATIVES = 4;

/** Byte literals of one regex searched for at most (each costs a pass over the bytes). */
const MAX_BYTE_LITERALS = 3;

/**
 * Shortest required literal a byte search looks for (see LineSelector): two bytes already leave
 * few enough candidates (`ms` in `[0-9]+ms`: 45% of the lines of bench/ logs, yet faster than
 * one global search, which hands every match back to JavaScript).
 */
const MIN_BYTE_LITERAL = 2;
