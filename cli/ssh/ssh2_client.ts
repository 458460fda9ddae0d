/**
 * The parts of ssh2 a client uses (its Client, agents and key parser), loaded from their own
 * files: ssh2's index also loads its server, its HTTP agents (node:http and node:https) and its key
 * generation, which every remote run would pay for at its start (docs/performance.md, "Over SSH").
 */
import type ssh2Types from "ssh2";
import ClientModule from "ssh2/lib/client.js";
import agentModule from "ssh2/lib/agent.js";
import keyParserModule from "ssh2/lib/protocol/keyParser.js";

export const Client: typeof ssh2Types.Client = ClientModule;
export const OpenSSHAgent: typeof ssh2Types.OpenSSHAgent = agentModule.OpenSSHAgent;
export const BaseAgent: typeof ssh2Types.BaseAgent = agentModule.BaseAgent;
export const parseKey: typeof ssh2Types.utils.parseKey = keyParserModule.parseKey;
