import { buildDescription } from "./build_info.ts";

export const VERSION = "0.1.0";
export const PROTOCOL_VERSION = "4.1";

/** The Go DTail's line, then which build this is (build_info.ts). */
export function versionLine(): string {
  return `DTail for Deno ${VERSION} Protocol ${PROTOCOL_VERSION} Have a lot of fun! ` +
    `(${buildDescription()})`;
}
