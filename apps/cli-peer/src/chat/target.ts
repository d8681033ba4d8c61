/** The ptpchat node `peerwire chat` dials: `host:port`, `[ipv6]:port` or a bare host. */
import { CliError, EXIT } from '../context.js';

/** The relay's default ptpchat port (apps/relay: 9011, since the reference 9001 is bob's there). */
export const DEFAULT_CHAT_PORT = 9011;
export const DEFAULT_CHAT_NODE = `127.0.0.1:${DEFAULT_CHAT_PORT}`;

/**
 * Parses a node address. A URL, a bad port or an empty host is a usage error that says what
 * the argument takes. `from` names where the value came from (the argument, an option, an env).
 */
export function parseChatTarget(text: string, from: string): { host: string; port: number } {
  const fail = (why: string): never => {
    throw new CliError(
      `${from}: ${JSON.stringify(text)} ${why}; give host:port, e.g. ${DEFAULT_CHAT_NODE} (the relay's ptpchat port)`,
      EXIT.usage,
    );
  };
  if (text.includes('://') || text.includes('/')) fail('is a URL, not a ptpchat node address');
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(.*))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else if ((text.match(/:/g) ?? []).length > 1) {
    host = text; // a bare IPv6 address
  } else {
    const colon = text.lastIndexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  if (host === '' || /\s/.test(host)) fail('has no host');
  let port = DEFAULT_CHAT_PORT;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) fail('has a bad port (1 to 65535)');
  }
  return { host, port };
}

/** The node to dial: the argument, else PEERWIRE_CHAT_NODE, else the local relay. */
export function chatTarget(arg: string | undefined): { host: string; port: number } {
  if (arg !== undefined) return parseChatTarget(arg, 'node');
  const env = process.env.PEERWIRE_CHAT_NODE;
  if (env) return parseChatTarget(env, 'PEERWIRE_CHAT_NODE');
  return parseChatTarget(DEFAULT_CHAT_NODE, 'default');
}
