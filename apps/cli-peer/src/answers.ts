/**
 * How the CLI shows a result's bytes (`spot query`, `spot blob get`). Text prints as text. Known
 * binary answers are decoded on a terminal and in JSON: `@/time` (u64 seconds ‖ u32 nanoseconds,
 * spot-relay §) as a date, a `finger` or `@/idcard_find` answer (a signed IDCard) as its fields.
 * Other binary bytes print as hex on a terminal; piped (stdout not a terminal) or with `-o`, the
 * raw bytes are written as they are, so `peerwire spot blob get key > file` keeps them intact.
 */
import { writeFileSync } from 'node:fs';
import { IDCard } from '@peerwire/crypto';
import { toHex } from '@peerwire/wire';
import { CliError, type GlobalOptions, output, printable } from './context.js';

/** A decoded `@/time` answer. */
export interface TimeAnswer {
  readonly seconds: number;
  readonly nanoseconds: number;
  /** ISO 8601, UTC, millisecond precision. */
  readonly iso: string;
}

/** 12 bytes: u64 BE Unix seconds ‖ u32 BE nanoseconds; undefined when the bytes are not that. */
export function decodeTime(bytes: Uint8Array): TimeAnswer | undefined {
  if (bytes.length !== 12) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const seconds = Number(view.getBigUint64(0, false));
  const nanoseconds = view.getUint32(8, false);
  const ms = seconds * 1000 + Math.floor(nanoseconds / 1e6);
  if (nanoseconds >= 1e9 || !Number.isSafeInteger(seconds) || Math.abs(ms) > 8.64e15)
    return undefined;
  return { seconds, nanoseconds, iso: new Date(ms).toISOString() };
}

/** The fields of a signed IDCard, for people and JSON. */
export interface CardAnswer {
  readonly address: string;
  readonly issued: string;
  readonly name?: string;
  readonly meta: Record<string, string>;
  readonly keys: { purposes: string[]; issued: string; expires?: string }[];
  readonly groups: number;
}

const isoOf = (seconds: number) => new Date(seconds * 1000).toISOString();

/** A signed IDCard's fields (its signature checked), or undefined when the bytes are not one. */
export async function decodeCard(bytes: Uint8Array): Promise<CardAnswer | undefined> {
  let card: IDCard;
  try {
    card = await IDCard.parseSigned(bytes);
  } catch {
    return undefined;
  }
  const meta = Object.fromEntries(card.meta ?? []);
  return {
    address: card.address,
    issued: isoOf(card.issued),
    ...(meta.name !== undefined ? { name: meta.name } : {}),
    meta,
    keys: card.subKeys.map((k) => ({
      purposes: k.purposes,
      issued: isoOf(k.issued),
      ...(k.expires !== undefined ? { expires: isoOf(k.expires) } : {}),
    })),
    groups: card.groups?.length ?? 0,
  };
}

/** What is known about the answer of `address` (`@/time`, `…/finger`, `@/idcard_find`). */
export async function decodeAnswer(
  address: string,
  bytes: Uint8Array,
): Promise<{ time: TimeAnswer } | { card: CardAnswer } | undefined> {
  const endpoint = address.split('/').slice(1).join('/');
  if (address.startsWith('@/') && endpoint === 'time') {
    const time = decodeTime(bytes);
    return time ? { time } : undefined;
  }
  if (endpoint === 'finger' || (address.startsWith('@/') && endpoint === 'idcard_find')) {
    const card = await decodeCard(bytes);
    return card ? { card } : undefined;
  }
  return undefined;
}

function cardText(c: CardAnswer): string {
  const lines = [`identity ${c.address}`, `issued   ${c.issued}`];
  for (const [k, v] of Object.entries(c.meta)) lines.push(`${k.padEnd(8)} ${v}`);
  for (const k of c.keys)
    lines.push(
      `key      ${k.purposes.join(', ') || '(no purpose)'} (issued ${k.issued}${k.expires ? `, expires ${k.expires}` : ''})`,
    );
  if (c.groups > 0) lines.push(`groups   ${c.groups}`);
  return lines.join('\n');
}

export interface ResultOptions {
  /** `-o <file>`: write the raw bytes there. */
  readonly output?: string;
  /** With `-o`: replace an existing file. */
  readonly force?: boolean;
}

/** Shows (or writes) the bytes a command got back; `fields` go into its JSON line. */
export async function showResult(
  g: GlobalOptions,
  opts: ResultOptions,
  address: string,
  bytes: Uint8Array,
  fields: Record<string, unknown>,
  stdout: { isTTY?: boolean; write(b: Uint8Array | string): unknown } = process.stdout,
): Promise<void> {
  if (opts.output !== undefined) {
    try {
      // `wx`: an existing file is never overwritten without --force.
      writeFileSync(opts.output, bytes, { flag: opts.force ? 'w' : 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new CliError(
          `${opts.output} already exists; nothing was overwritten (use --force to replace it)`,
        );
      }
      throw new CliError(`cannot write ${opts.output}: ${(error as Error).message}`);
    }
    output(
      g,
      { ...fields, written: opts.output, bytes: bytes.length },
      `wrote ${bytes.length} bytes to ${opts.output}`,
    );
    return;
  }
  const p = printable(bytes);
  const decoded = await decodeAnswer(address, bytes);
  if (g.json) {
    output(g, { ...fields, ...p, ...(decoded ?? {}) }, '');
    return;
  }
  if (p.text !== undefined) {
    stdout.write(`${p.text}\n`);
    return;
  }
  if (!stdout.isTTY) {
    stdout.write(bytes); // piped: the bytes as they are
    return;
  }
  if (decoded && 'time' in decoded) stdout.write(`${decoded.time.iso}\n`);
  else if (decoded && 'card' in decoded) stdout.write(`${cardText(decoded.card)}\n`);
  else stdout.write(`0x${toHex(bytes)}\n`);
}
