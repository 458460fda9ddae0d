/**
 * What a dserver prepares once it listens, so that the first session after a start (often a
 * fleet's clients reconnecting and resuming at once) does not pay for it: the follow stage's
 * modules, the regexes of the Permissions rules (and the regex engine's probe), the libc
 * bindings of the checked open, a descriptor table that holds a session's followed files, and a
 * rehearsal of a follow and its resume (follow_warm_up.ts). A rule whose regex does not compile is
 * logged then, at start-up, instead of being found by the first user it locks out. Nothing here
 * fails the server: what could not be prepared is paid for by the session that needs it, as
 * without a warm-up.
 */
import type { Config } from "../../core/config.ts";
import { libc, statLibc } from "../../core/libc.ts";
import { loadFollowStage } from "../../core/run.ts";
import { precompileRules } from "../access/path_rules.ts";
import { MAX_QUEUED_TAILS } from "../session/read_runner.ts";
import { reserveDescriptors } from "./fd_table.ts";
import { FILES, rehearseFollow } from "./follow_warm_up.ts";

export interface WarmUpLog {
  readonly warn: (message: string) => void;
  readonly debug: (message: string) => void;
}

export async function warmUp(config: Config, log: WarmUpLog): Promise<void> {
  try {
    const c = libc();
    statLibc();
    // A session's followed files, waiting or read, and the files being read by others.
    const sc = config.Server;
    // A rehearsal only where sessions may follow that many files at once (a dserver set up for
    // big follows reaches the rehearsal's memory with its first one); its descriptors come on top
    // of what sessions may need meanwhile.
    const rehearse = sc.MaxConcurrentTails >= FILES;
    const needed = MAX_QUEUED_TAILS + sc.MaxConcurrentTails + sc.MaxConcurrentCats + 256 +
      (rehearse ? FILES : 0);
    const reserved = c === null ? 0 : reserveDescriptors(c, needed);
    for (const problem of precompileRules(config.Server.Permissions)) log.warn(problem);
    await loadFollowStage();
    if (rehearse && reserved >= needed) {
      const started = performance.now();
      const rehearsal = await rehearseFollow(config);
      const ms = Math.round(performance.now() - started);
      const stopped = rehearsal.done ? "" : `(stopped: ${rehearsal.why}) `;
      log.debug(`warm-up: follow of ${FILES} files rehearsed ${stopped}in ${ms} ms`);
    }
  } catch (err) {
    log.debug(`warm-up stopped: ${err instanceof Error ? err.message : String(err)}`);
  }
}
