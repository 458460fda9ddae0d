/** What the dserver tests run it with: settings for 127.0.0.1 and a handler of their own. */
import type { ShellHandler } from "../ssh/ssh_connection.ts";
import type { DserverContext, DserverDeps, DserverSettings } from "./dserver.ts";

export const TEST_VERSION_LINE = "DTail test version";

/** Port 0 on 127.0.0.1, no log, no shutdown timer; `over` replaces any of these. */
export function testSettings(over: Partial<DserverSettings> = {}): DserverSettings {
  return {
    port: 0,
    bindAddress: "127.0.0.1",
    logger: "none",
    logLevel: "info",
    logDir: "",
    shutdownAfter: 0,
    ...over,
  };
}

/** A shell handler that says it is not the protocol handler and closes. */
export function notWiredHandler(ctx: DserverContext): ShellHandler {
  return ({ channel }) => {
    channel.resume(); // input must be consumed for the channel's "close" to come
    channel.end(`SERVER|${ctx.hostname}|ERROR|handler not wired\n`);
  };
}

/** The deps every test passes, and `more`. */
export function testDeps(more: Omit<Partial<DserverDeps>, "versionLine" | "shellHandler">) {
  return { versionLine: TEST_VERSION_LINE, shellHandler: notWiredHandler, ...more };
}
