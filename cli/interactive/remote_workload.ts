/**
 * The interactive workload against servers (docs/usage.md#interactive-query-reload): its own
 * module, so that a run that is not interactive does not load the session fleet.
 */
import type { Config } from "../../core/config.ts";
import type { Workload } from "./controller.ts";
import { SessionFleet } from "./session_fleet.ts";
import { OutcomeBook } from "../outcome_summary.ts";
import {
  type RemoteConnection,
  type RemoteIO,
  remoteJobOf,
  type RemoteRun,
  runRemote,
} from "../remote.ts";

export { remoteJobOf };

/**
 * An interactive run against servers (docs/usage.md#interactive-query-reload): each reload goes
 * to every server as SESSION UPDATE (interactive/session_fleet.ts). `hooks` lets a query run
 * follow which job output belongs to.
 */
export function interactiveRemote(
  run: RemoteRun,
  connection: RemoteConnection,
  config: Config,
  io: RemoteIO,
  hooks: { reload(next: RemoteRun, fleet: SessionFleet): Promise<void> } = {
    reload: (next, fleet) => fleet.reload(remoteJobOf(next)),
  },
): Workload<RemoteRun> {
  const fleet = io.fleet ?? new SessionFleet(remoteJobOf(run));
  const outcomes = io.outcomes ?? new OutcomeBook();
  const done = runRemote(run, connection, config, { ...io, fleet, outcomes });
  return {
    async reload(next) {
      await hooks.reload(next, fleet);
      io.out.flush(); // what came before the acks is of the old job: out before the reply
    },
    capable: () => ({ capable: fleet.capable, total: fleet.servers.length }),
    generation: () => fleet.generation,
    details: () => [...fleet.serverLines(), ...outcomes.summaryLines()],
    done,
  };
}
