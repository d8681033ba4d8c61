// The Datt node's listeners: DMsg-framed TCP and one DMsg per binary WebSocket message.
import type { Link, LinkOptions, TransportError } from '@peerwire/transport';
import {
  attachWebSocketServer,
  createWebServer,
  listenTcp,
  listenWebServer,
} from '@peerwire/transport/node';
import type { dmsgFraming } from './framing.js';

export interface ListenOptions {
  readonly host: string;
  readonly tcpPort?: number;
  readonly wsPort?: number;
  readonly wsPath?: string;
  readonly link: LinkOptions;
  readonly framing: ReturnType<typeof dmsgFraming>;
  readonly maxPayload: number;
  readonly maxLinks: number;
  readonly onError: (error: TransportError) => void;
}

export interface Listeners {
  readonly ports: { readonly tcp?: number; readonly ws?: number };
  close(): Promise<void>;
}

/** Opens the listeners asked for; on failure closes those already open and throws. */
export async function listen(
  options: ListenOptions,
  accept: (link: Link, fallbackRemote: string) => void,
): Promise<Listeners> {
  const stoppers: (() => Promise<void>)[] = [];
  const ports: { tcp?: number; ws?: number } = {};
  const close = async () => {
    await Promise.all(stoppers.map((stop) => stop()));
  };
  try {
    if (options.tcpPort !== undefined) {
      const server = await listenTcp(
        {
          ...options.link,
          host: options.host,
          port: options.tcpPort,
          framing: options.framing,
          maxLinks: options.maxLinks,
          onError: options.onError,
        },
        (link) => accept(link, 'tcp://unknown'),
      );
      stoppers.push(() => server.close());
      ports.tcp = server.port;
    }
    if (options.wsPort !== undefined) {
      const web = createWebServer();
      const endpoint = attachWebSocketServer(
        web,
        {
          ...options.link,
          path: options.wsPath ?? '/',
          maxPayload: options.maxPayload,
          onTextMessage: 'close',
          maxLinks: options.maxLinks,
          onError: options.onError,
        },
        (link) => accept(link, 'ws://unknown'),
      );
      stoppers.push(async () => {
        await endpoint.close();
        await new Promise<void>((done) => {
          web.close(() => done());
          web.closeAllConnections();
        });
      });
      ports.ws = (await listenWebServer(web, { port: options.wsPort, host: options.host })).port;
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { ports, close };
}
