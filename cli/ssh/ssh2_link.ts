/**
 * An ssh2 client connection as a link (cli/ssh/link.ts): key files only ssh2 reads, servers the
 * native client cannot serve, `DTAIL_SSH_CLIENT=ssh2` (cli/ssh/dialer.ts decides).
 */
import type { Client } from "ssh2";
import { openShell } from "./connect.ts";
import type { LinkIO, SshLink } from "./link.ts";
import { streamInput, streamWrite } from "../../core/stream_input.ts";

export function ssh2Link(client: Client): SshLink {
  return {
    async shell(label, timeoutMs, signal): Promise<LinkIO> {
      const channel = await openShell(client, label, timeoutMs, signal);
      return {
        input: streamInput(channel),
        write: (bytes) => streamWrite(channel, bytes),
        close: () => {
          channel.end();
          client.end();
        },
      };
    },
    onSilent(callback) {
      client.on("error", (err: Error & { level?: string }) => {
        if (err.level === "client-timeout") callback();
      });
    },
    end: () => client.end(),
  };
}
