/**
 * Connects an SSH shell channel to the DTail protocol handler: the SSH user's permission rules
 * and OS identity decide what `open` may return; limits are shared by all sessions.
 */
import { streamInput, streamWrite } from "../../core/stream_input.ts";
import type { ServerChannel } from "ssh2";
import type { DserverContext } from "./dserver.ts";
import { handleSession, type SessionIO } from "../session/handler.ts";
import { checkRules, rulesFor } from "../access/path_rules.ts";
import { openForUser, PermissionDeniedError } from "../access/safe_open.ts";
import { JOURNAL_CAPABILITY, journalAvailable } from "../../core/journal.ts";
import { CAPABILITIES } from "../session/session_output.ts";
import { canList } from "../access/os_access.ts";
import { Semaphore } from "../../core/semaphore.ts";
import type { ShellHandler, ShellSession } from "../ssh/ssh_connection.ts";
import { lookupUser } from "../access/user_lookup.ts";
import { registerAuthKey } from "../access/auth_key_store.ts";

export function protocolShell(ctx: DserverContext): ShellHandler {
  const cats = new Semaphore(ctx.config.Server.MaxConcurrentCats);
  const tails = new Semaphore(ctx.config.Server.MaxConcurrentTails);
  // journal-v1 only where journalctl can be run (looked up once, at start-up).
  const capabilities = journalAvailable() ? [...CAPABILITIES, JOURNAL_CAPABILITY] : CAPABILITIES;
  return async (session: ShellSession) => {
    const remote = `${session.remoteAddress}:${session.remotePort}`;
    const rules = rulesFor(ctx.config.Server.Permissions, session.user);
    const user = session.isHealth ? null : lookupUser(session.user);
    if (!session.isHealth && (user === null || rules.length === 0)) {
      const why = user === null ? "no such OS user" : "no permission rules";
      ctx.log.warn(`${session.user}@${remote}`, `session refused: ${why}`);
      session.end();
      return;
    }
    await handleSession(channelIO(session), {
      user: session.user,
      remote,
      health: session.isHealth,
    }, {
      config: ctx.config,
      hostname: ctx.hostname,
      open: (_name, path) => openForUser(user!, rules, path),
      canList: (_name, dir) => canList(user!, dir),
      // The rules match the spec itself (`readfiles:^journal:…`); the default `^/.*` does not.
      checkJournal: (_name, spec) => {
        const ruled = checkRules(rules, spec);
        if (!ruled.ok) throw new PermissionDeniedError(`user ${session.user}: ${ruled.reason}`);
      },
      log: (level, ...fields) => ctx.log.log(level, fields),
      cats,
      tails,
      registerAuthKey: (name, key) => registerAuthKey(ctx.authKeys, name, key, session.auth),
      capabilities,
    });
  };
}

function channelIO(session: ShellSession): SessionIO {
  const channel: ServerChannel = session.channel;
  return {
    input: streamInput(channel),
    write: (bytes, taken) => streamWrite(channel, bytes, taken),
    closed: session.closed,
    ...(session.settled ? { settled: () => session.settled!() } : {}),
    // End the channel first so its last messages go out before the connection closes.
    close: () => {
      channel.end();
      setTimeout(() => session.end(), 100);
    },
  };
}
