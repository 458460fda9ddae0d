/**
 * The kinds of failure. Every error class of DTail extends one of the classes below, and what
 * happens to an error is decided by its kind, never by its class name: a program that ends on
 * one turns the kind into its exit code and message (app/main.ts).
 */

/**
 * - `usage`: the command line is wrong (a flag, an argument): one line pointing to --help, exit 2;
 * - `setup`: the run cannot be set up as asked (a bad config, pattern, query, color name, glob or
 *   outfile, no usable key, a feature not built): one line, exit 2;
 * - `input`: one source could not be read: reported, the run goes on with the others;
 * - `connection`: one server could not be reached or logged in to: reported, the others go on;
 * - `protocol`: a peer sent what the protocol does not allow: reported to it, its session goes on;
 * - `closed`: the other end went away (the reader of stdout, the session's client): nothing
 *   more is written and nothing is reported;
 * - `output`: what the run writes could not be written (standard output on a full disk, an
 *   outfile): one line, exit 1;
 * - `internal`: a fault of DTail itself (also any error that is not one of these classes).
 */
export type ErrorKind =
  | "usage"
  | "setup"
  | "input"
  | "connection"
  | "protocol"
  | "closed"
  | "output"
  | "internal";

/** An error whose kind is known. */
export abstract class DtailError extends Error {
  abstract readonly kind: ErrorKind;
}

/** The command line is wrong. */
export class UsageError extends DtailError {
  override name = "UsageError";
  readonly kind = "usage";
}

/** The run cannot be set up as asked. */
export class SetupError extends DtailError {
  override name = "SetupError";
  readonly kind = "setup";
}

/** One source could not be read; `message` names it. */
export class InputError extends DtailError {
  override name = "InputError";
  readonly kind = "input";
}

/** One server could not be reached or logged in to; `message` names it. */
export class ConnectionError extends DtailError {
  override name = "ConnectionError";
  readonly kind = "connection";
}

/** A peer sent what the protocol does not allow. */
export class ProtocolError extends DtailError {
  override name = "ProtocolError";
  readonly kind = "protocol";
}

/** The other end went away. */
export class ClosedError extends DtailError {
  override name = "ClosedError";
  readonly kind = "closed";
}

/** What the run writes could not be written; `message` says what and why. */
export class OutputError extends DtailError {
  override name = "OutputError";
  readonly kind = "output";
}

/** A fault of DTail itself. */
export class InternalError extends DtailError {
  override name = "InternalError";
  readonly kind = "internal";
}

/** The kind of any thrown value: `internal` for what is not a DtailError. */
export function errorKind(err: unknown): ErrorKind {
  return err instanceof DtailError ? err.kind : "internal";
}
