import { utf8Decode, utf8Encode } from '@peerwire/wire';
import { PtpchatError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { type NodeId, normalizeNodeId } from '../node-id.js';
import { HOP_LOCAL_VERBS, VERB_SCHEMAS, VERBS, type Verb, type VerbData } from './verbs.js';

/** One ptpchat message with the TCP-era envelope (spec §2.1). */
export interface Envelope<V extends Verb = Verb> {
  readonly msg_type: V;
  readonly msg_data: VerbData[V];
  /** Remaining hops. */
  readonly ttl: number;
  readonly flood: boolean;
  /** The originator. `null` only on decoded UDP-era hop-local input that named nobody. */
  readonly sender_id: NodeId | null;
  readonly target_id: NodeId | null;
  /** `null` only on decoded UDP-era hop-local input (HELLO, ACK, ROUTING, CONNECT) without one. */
  readonly msg_id: string | null;
}

/** A ptpchat message: the envelope, discriminated by `msg_type`. */
export type PtpchatMessage = { [V in Verb]: Envelope<V> }[Verb];

/** A message of one verb. */
export type MessageOf<V extends Verb> = Extract<PtpchatMessage, { msg_type: V }>;

const VERB_SET: ReadonlySet<string> = new Set(VERBS);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalNodeId(value: unknown, what: string): NodeId | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new PtpchatError('BAD_ENVELOPE', `${what} is not a string`);
  try {
    return normalizeNodeId(value);
  } catch (cause) {
    throw new PtpchatError('BAD_ENVELOPE', `${what} is not a node id`, { cause });
  }
}

/**
 * Validates a parsed JSON value as a ptpchat message, leniently as spec §2.2 says: the verb in
 * any case, `msg_id`/`sender_id` taken from `msg_data` when the envelope lacks them, a missing
 * `ttl`/`flood`/`target_id` read as a hop-local message, string booleans and numeric strings.
 * Unknown keys are ignored. Throws `PtpchatError` (`BAD_ENVELOPE`, `UNKNOWN_VERB`, `BAD_MSG_DATA`).
 */
export function parseMessage(value: unknown): PtpchatMessage {
  return envelopeOf(value, true) as PtpchatMessage;
}

/** An envelope checked as `parseMessage` does, its `msg_data` only checked to be an object. */
export interface UncheckedEnvelope {
  readonly msg_type: Verb;
  /** Parsed JSON, an object or null, not yet validated against the verb's schema. */
  readonly msg_data: Record<string, unknown> | null;
  readonly ttl: number;
  readonly flood: boolean;
  /** From `sender_id` only (the UDP-era `msg_data.node_id` fallback needs validated data). */
  readonly sender_id: NodeId | null;
  readonly target_id: NodeId | null;
  readonly msg_id: string | null;
}

/** Validates an envelope's `msg_data` against its verb's schema (`BAD_MSG_DATA`). */
export function validateData(envelope: UncheckedEnvelope): PtpchatMessage {
  const data = checkData(envelope.msg_type, envelope.msg_data);
  const sender =
    envelope.sender_id ?? (typeof data?.node_id === 'string' ? (data.node_id as NodeId) : null);
  return { ...envelope, msg_data: data, sender_id: sender } as PtpchatMessage;
}

function checkData(verb: Verb, raw: unknown): Record<string, unknown> | null {
  const result = VERB_SCHEMAS[verb].safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? `${issue.path.join('.') || 'msg_data'}: ${issue.message}` : 'invalid';
    throw new PtpchatError('BAD_MSG_DATA', `${verb}: ${where}`, { cause: result.error });
  }
  return result.data as Record<string, unknown> | null;
}

/**
 * The envelope part of `parseMessage`: everything but the verb's `msg_data` schema, so that a
 * relay can forward a message it does not read without validating what only passes through.
 */
export function parseEnvelope(value: unknown): UncheckedEnvelope {
  return envelopeOf(value, false);
}

/** The envelope; with `check`, `msg_data` validated first (its errors come before the rest's). */
function envelopeOf(value: unknown, check: boolean): UncheckedEnvelope {
  if (!isObject(value)) throw new PtpchatError('BAD_JSON', 'a message is a JSON object');
  const rawType = value.msg_type;
  if (typeof rawType !== 'string' || rawType.length > 32) {
    throw new PtpchatError('BAD_ENVELOPE', 'msg_type is missing or not a short string');
  }
  const verb = rawType.toUpperCase();
  if (!VERB_SET.has(verb))
    throw new PtpchatError('UNKNOWN_VERB', `unknown verb ${JSON.stringify(verb)}`);
  const rawData = value.msg_data ?? null;
  if (rawData !== null && !isObject(rawData)) {
    throw new PtpchatError('BAD_MSG_DATA', `${verb}: msg_data is not an object`);
  }
  const data = check
    ? checkData(verb as Verb, rawData)
    : (rawData as Record<string, unknown> | null);
  let ttl = 1;
  if (value.ttl !== undefined && value.ttl !== null) {
    if (typeof value.ttl !== 'number' || !Number.isSafeInteger(value.ttl)) {
      throw new PtpchatError('BAD_ENVELOPE', 'ttl is not an integer');
    }
    ttl = value.ttl;
  }
  let flood = false;
  if (value.flood !== undefined && value.flood !== null) {
    if (value.flood === true || value.flood === 'true') flood = true;
    else if (value.flood !== false && value.flood !== 'false') {
      throw new PtpchatError('BAD_ENVELOPE', 'flood is not a boolean');
    }
  }
  const sender =
    optionalNodeId(value.sender_id, 'sender_id') ??
    (check && typeof data?.node_id === 'string' ? (data.node_id as NodeId) : null);
  const target = optionalNodeId(value.target_id, 'target_id');
  let id: string | null = null;
  const rawId = value.msg_id ?? (isObject(rawData) ? rawData.msg_id : undefined);
  if (rawId !== undefined && rawId !== null) {
    if (typeof rawId !== 'string' || rawId.length === 0 || rawId.length > 64) {
      throw new PtpchatError('BAD_ENVELOPE', 'msg_id is not a short string');
    }
    id = rawId.toLowerCase();
  }
  if (id === null && !HOP_LOCAL_VERBS.has(verb as Verb)) {
    throw new PtpchatError('BAD_ENVELOPE', `${verb} without a msg_id`);
  }
  return {
    msg_type: verb as Verb,
    msg_data: data,
    ttl,
    flood,
    sender_id: sender,
    target_id: target,
    msg_id: id,
  };
}

/**
 * Decodes one JSON message: a TCP frame's payload or a UDP datagram (spec §1). Throws
 * `PtpchatError`: `BAD_UTF8`, `BAD_JSON`, or one of `parseMessage`'s codes.
 */
export function decodeMessage(
  bytes: Uint8Array,
  maxLength: number = DEFAULT_LIMITS.maxFrameLength,
): PtpchatMessage {
  return parseMessage(decodeJson(bytes, maxLength).value);
}

/** UTF-8 JSON bytes to their text and value (`FRAME_TOO_LARGE`, `BAD_UTF8`, `BAD_JSON`). */
export function decodeJson(
  bytes: Uint8Array,
  maxLength: number = DEFAULT_LIMITS.maxFrameLength,
): { text: string; value: unknown } {
  if (bytes.length > maxLength) {
    throw new PtpchatError(
      'FRAME_TOO_LARGE',
      `message of ${bytes.length} bytes exceeds ${maxLength}`,
    );
  }
  let text: string;
  try {
    text = utf8Decode(bytes, 0, bytes.length, 'ptpchat message');
  } catch (cause) {
    throw new PtpchatError('BAD_UTF8', 'message is not UTF-8', { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PtpchatError('BAD_JSON', 'message is not JSON', { cause });
  }
  return { text, value };
}

/** A message to emit: the strict TCP-era envelope, every field present. */
export interface OutgoingMessage<V extends Verb = Verb> {
  readonly msg_type: V;
  readonly msg_data: unknown;
  readonly ttl: number;
  readonly flood: boolean;
  readonly sender_id: NodeId;
  readonly target_id: NodeId | null;
  readonly msg_id: string;
}

/** The JSON text of a message, keys in the spec's order (§2.1). */
export function messageJson(message: OutgoingMessage): string {
  return JSON.stringify({
    msg_type: message.msg_type,
    msg_data: message.msg_data,
    ttl: message.ttl,
    flood: message.flood,
    sender_id: message.sender_id,
    target_id: message.target_id,
    msg_id: message.msg_id,
  });
}

/**
 * UTF-8 JSON of a message with the TCP-era envelope (spec §2.1): a TCP frame's payload or one
 * UDP datagram. Throws `MESSAGE_TOO_LARGE` above `maxLength` (default 99999).
 */
export function encodeMessage(
  message: OutgoingMessage,
  maxLength: number = DEFAULT_LIMITS.maxFrameLength,
): Uint8Array {
  const bytes = utf8Encode(messageJson(message));
  if (bytes.length > maxLength) {
    throw new PtpchatError(
      'MESSAGE_TOO_LARGE',
      `${message.msg_type} of ${bytes.length} bytes exceeds the limit of ${maxLength}`,
    );
  }
  return bytes;
}
