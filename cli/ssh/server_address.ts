/** One server of `--servers`: `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal. */
import { ServerListError } from "./server_list_error.ts";

export interface ServerAddress {
  /** The name the user gave (or the inventory's `ansible_host`): what ssh config `Host` matches. */
  host: string;
  /** The port named by the entry or inventory, else the default port. */
  port: number;
  /** True when the entry (`host:port`) or the inventory (`ansible_port`) named the port. */
  portGiven: boolean;
  /** The inventory's `ansible_user`. */
  user?: string;
  /** `host:port`, or `[v6addr]:port`. */
  label: string;
}

/** Parses `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal. */
export function parseServerAddress(entry: string, defaultPort: number): ServerAddress {
  let host: string;
  let portText: string | undefined;
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if (entry.indexOf(":") !== entry.lastIndexOf(":")) {
    host = entry; // a bare IPv6 literal; it has no port
  } else {
    const colon = entry.indexOf(":");
    host = colon < 0 ? entry : entry.slice(0, colon);
    portText = colon < 0 ? undefined : entry.slice(colon + 1);
  }
  if (host === "") throw new ServerListError(`server "${entry}": empty host name`);
  if (host.includes("@")) {
    throw new ServerListError(
      `server "${entry}": a server is host[:port]; give the user with --user ` +
        "(or User in ~/.ssh/config)",
    );
  }
  if (/\s/.test(host)) throw new ServerListError(`server "${entry}": a host name has no spaces`);
  const portGiven = portText !== undefined;
  const port = portGiven ? parsePort(portText!, `server "${entry}"`) : defaultPort;
  return { host, port, portGiven, label: addressLabel(host, port) };
}

/** `host:port`, with brackets around an IPv6 literal. */
export function addressLabel(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A port number from 1 to 65535; `what` names the entry in the error. */
export function parsePort(text: string, what: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new ServerListError(`${what}: port must be a number from 1 to 65535`);
  }
  return port;
}
