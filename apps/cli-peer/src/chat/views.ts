/**
 * The JSON shapes `peerwire chat` shows channels, nodes and attachments in (the `--json` events
 * and answers), and the short text forms the terminal prints.
 */
import type { ChannelInfo, NodeId } from '@peerwire/ptpchat';

export interface ChannelView {
  readonly channelId: string;
  readonly name: string;
  readonly closed: boolean;
  readonly joined: boolean;
  /** Closed channel: this peer holds the key (was invited, or created it). */
  readonly hasKey: boolean;
  readonly members: readonly NodeId[];
}

export type Path = 'direct' | 'neighbour' | 'relayed' | 'none';

export interface NodeView {
  readonly nodeId: NodeId;
  /** direct: a punched UDP path; neighbour: the TCP link; relayed: through other nodes. */
  readonly path: Path;
  /** Hops (1 for a neighbour or a direct path). */
  readonly distance?: number;
  readonly nodeType?: 'client' | 'server';
}

export function channelView(c: ChannelInfo): ChannelView {
  return {
    channelId: c.channelId,
    name: c.name,
    closed: c.closed,
    joined: c.joined,
    hasKey: c.hasKey,
    members: [...c.members],
  };
}

/** `alice@1f2e3d4c`: the name and the GUID's first 8 digits. */
export function shortId(nodeId: NodeId): string {
  const at = nodeId.lastIndexOf('@');
  return at < 0 ? nodeId.slice(0, 8) : `${nodeId.slice(0, at)}@${nodeId.slice(at + 1, at + 9)}`;
}

/** `#general`, `#secret (closed)`. */
export function channelLabel(c: { readonly name: string; readonly closed: boolean }): string {
  return `#${c.name}${c.closed ? ' (closed)' : ''}`;
}

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  html: 'text/html',
  json: 'application/json',
  pdf: 'application/pdf',
  zip: 'application/zip',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
};

/** The MIME type of a file by its extension; `application/octet-stream` when unknown. */
export function mimeTypeOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  const ext = dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
  return MIME_BY_EXTENSION[ext] ?? 'application/octet-stream';
}

/**
 * A safe local name for a received attachment, from the sender's text (which names the file):
 * its last path segment with anything but letters, digits, `.`, `-`, `_` and spaces replaced,
 * leading dots and spaces removed (no hidden files),
 * never empty, `.` or `..`, at most 128 characters.
 */
export function safeFileName(text: string): string {
  const last = text.split(/[/\\]/).pop() ?? '';
  const cleaned = last
    .replace(/[^A-Za-z0-9._ -]/g, '_')
    .replace(/^[. ]+/, '')
    .slice(0, 128)
    .trimEnd();
  return cleaned === '' ? 'attachment' : cleaned;
}
