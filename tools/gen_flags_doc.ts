/** Writes docs/flags.md from the flag table (run by `make docs`; checked by a test). */
import { flagsDoc } from "../app/flags_doc.ts";

Deno.writeTextFileSync(new URL("../docs/flags.md", import.meta.url), flagsDoc());
