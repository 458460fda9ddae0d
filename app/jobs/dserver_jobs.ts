/**
 * dserver's scheduled and continuous jobs (docs/server.md#scheduled-and-continuous-jobs), started
 * once the server listens. A job is a MapReduce client like dmap or `dtail --query`: it logs in
 * to its servers over SSH with an ed25519 key made at start-up that exists only in this
 * process, as the server's own OS user. Against this server the key is registered in the AUTHKEY
 * store, so the job's reads go through that user's Permissions and the one checked open like any
 * session's; no password login exists for jobs (docs/decisions.md#scheduled-and-continuous-jobs).
 */
import ssh2 from "ssh2";
import type { AuthenticationType, ParsedKey } from "ssh2";
import type { Config, JobConfig } from "../../core/config.ts";
import type { RemoteConnection } from "../../cli/remote.ts";
import { type ClientAuth, loadAuth } from "../../cli/ssh/auth.ts";
import { checkJobs } from "./job_check.ts";
import { type JobLog, runJob } from "./job_run.ts";
import { Scheduler } from "./scheduler.ts";
import { ContinuousJob } from "./continuous.ts";
import { generateEd25519Key } from "../../server/ssh/host_key.ts";

export interface DserverJobsOptions {
  readonly config: Config;
  readonly log: JobLog;
  /** The AUTHKEY store (null when AuthKeyEnabled is false). */
  readonly authKeys: { add(user: string, blob: Uint8Array): void } | null;
  /** The server's OS user: the jobs log in as this user. */
  readonly user: string;
  readonly bindAddress: string;
  /** The port the server listens on. */
  readonly port: number;
  /** One line per skipped job entry. */
  readonly stderr: (line: string) => void;
}

export interface DserverJobs {
  stop(): Promise<void>;
}

/** Reports bad entries, then starts the good enabled ones. */
export async function startDserverJobs(opts: DserverJobsOptions): Promise<DserverJobs> {
  const { jobs, problems } = checkJobs(opts.config);
  for (const problem of problems) {
    opts.stderr(`dserver: ${problem}`);
    opts.log.error(problem);
  }
  const enabled = jobs.filter((j) => j.job.Enable);
  for (const { kind, job } of jobs) {
    if (!job.Enable) opts.log.info(`${kind} job "${job.Name}"`, "disabled");
  }
  if (enabled.length === 0) return { stop: () => Promise.resolve() };
  const key = jobKey();
  const blob = new Uint8Array(key.getPublicSSH());
  const register = () => opts.authKeys?.add(opts.user, blob);
  register();
  // A continuous job's reconnects reuse its connection: keep the key inside the store's TTL.
  const refresh = setInterval(register, 3600_000);
  const auth = await jobAuth(key);
  const connectionOf = (job: JobConfig): RemoteConnection => {
    register();
    return {
      servers: (job.Servers.length > 0 ? job.Servers : [selfAddress(opts)]).join(","),
      discovery: job.Discovery,
      defaultPort: opts.config.Common.SSHPort,
      authKeyPath: "",
      legacyKeyPath: "",
      agentKeyIndex: -1,
      trustAllHosts: false,
      noAuthKey: true,
      user: opts.user,
      connectionsPerCpu: 10,
      jobAuth: auth,
    };
  };
  const deps = { config: opts.config, log: opts.log, connectionOf };
  const scheduled = enabled.filter((j) => j.kind === "Schedule").map((j) => j.job);
  const scheduler = scheduled.length === 0 ? null : new Scheduler(scheduled, {
    log: opts.log,
    run: (job, now, signal) => runJob("Schedule", job, now, deps, signal),
  });
  scheduler?.start();
  const continuous = enabled.filter((j) => j.kind === "Continuous").map((j) =>
    new ContinuousJob(j.job, {
      log: opts.log,
      run: (job, now, signal) => runJob("Continuous", job, now, deps, signal),
    })
  );
  for (const c of continuous) c.start();
  return {
    async stop() {
      clearInterval(refresh);
      await Promise.all([scheduler?.stop(), ...continuous.map((c) => c.stop())]);
    },
  };
}

/** This server, as a job reaches it: a wildcard bind address means the loopback address. */
export function selfAddress(opts: { bindAddress: string; port: number }): string {
  const host = opts.bindAddress === "" || opts.bindAddress === "0.0.0.0"
    ? "127.0.0.1"
    : opts.bindAddress === "::" || opts.bindAddress === "[::]"
    ? "[::1]"
    : opts.bindAddress.includes(":") && !opts.bindAddress.startsWith("[")
    ? `[${opts.bindAddress}]`
    : opts.bindAddress;
  return `${host}:${opts.port}`;
}

/** A fresh login key (ssh2 generates an unparsable ed25519 key about once in 300). */
function jobKey(): ParsedKey {
  const pair = generateEd25519Key();
  const parsed = ssh2.utils.parseKey(pair.private);
  if (parsed instanceof Error) throw parsed;
  return Array.isArray(parsed) ? parsed[0]! : parsed;
}

/**
 * The job key first; then the server user's own keys (agent, ~/.ssh), for servers other than
 * this one, where the job key is unknown.
 */
async function jobAuth(key: ParsedKey): Promise<ClientAuth> {
  let more: ClientAuth | null = null;
  try {
    more = await loadAuth({ warn: () => {} });
  } catch {
    // no key of its own: the job key alone
  }
  return {
    authKeyPath: "",
    keys: [
      { source: "job key", publicBlob: new Uint8Array(key.getPublicSSH()), native: null, key },
      ...(more?.keys ?? []),
    ],
    authHandler: (username, ssh2) => {
      const next = more?.authHandler(username, ssh2);
      let offered = false;
      return (methodsLeft, partial, done) => {
        if (!offered) {
          offered = true;
          const allowed = methodsLeft === null || methodsLeft.includes("publickey");
          if (allowed) return done({ type: "publickey", username, key });
        }
        if (next) return next(methodsLeft, partial, done);
        done(false as unknown as AuthenticationType);
      };
    },
  };
}
