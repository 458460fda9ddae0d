/** What a session handler needs, for tests: the default config, plain opens, small slots. */
import { defaultConfig } from "../../core/config.ts";
import { openRegular } from "../../core/open_file.ts";
import { Semaphore } from "../../core/semaphore.ts";
import type { HandlerDeps } from "./handler.ts";

export function testDeps(overrides: Partial<HandlerDeps> = {}): HandlerDeps {
  return {
    config: defaultConfig(() => undefined),
    hostname: "box",
    open: (_user, path) => openRegular(path),
    log: () => {},
    cats: new Semaphore(2),
    tails: new Semaphore(2),
    registerAuthKey: () => "AUTHKEY OK",
    closeAckTimeoutMs: 50,
    ...overrides,
  };
}
