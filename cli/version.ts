export const VERSION = "0.1.0";
export const PROTOCOL_VERSION = "4.1";

export function versionLine(): string {
  return `DTail for Deno ${VERSION} Protocol ${PROTOCOL_VERSION} Have a lot of fun!`;
}
