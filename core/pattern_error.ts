/** A regex that RE2 refuses, or one too large to compile: the user's to fix (exit 2 on a client). */
import { SetupError } from "./errors.ts";

export class PatternError extends SetupError {
  override name = "PatternError";
}
