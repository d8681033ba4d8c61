import { z } from 'zod';
import { hasControlCharacter, isGuid, normalizeNodeId } from '../node-id.js';

/** The verbs of spec §8. `RELAY` is not one of them (§8.13). */
export const VERBS = [
  'HELLO',
  'ACK',
  'NACK',
  'JOIN',
  'LEAVE',
  'CHANNEL',
  'GETCERTIFICATE',
  'CERTIFICATE',
  'GETKEY',
  'KEY',
  'MESSAGE',
  'CONNECT',
  'ROUTING',
] as const;
export type Verb = (typeof VERBS)[number];

/** Verbs that are delivered to the neighbour only and bypass the duplicate cache (§3.1). */
export const HOP_LOCAL_VERBS: ReadonlySet<Verb> = new Set(['HELLO', 'ACK', 'ROUTING', 'CONNECT']);
/** Verbs the receiver ACKs to the immediate sender (§4). */
export const ACKED_VERBS: ReadonlySet<Verb> = new Set([
  'GETCERTIFICATE',
  'CERTIFICATE',
  'GETKEY',
  'KEY',
  'MESSAGE',
]);
/** Verbs a sender retransmits until ACKed (§4). */
export const RETRANSMITTED_VERBS: ReadonlySet<Verb> = new Set(['MESSAGE', 'KEY', 'CERTIFICATE']);

/** Longest id string (msg_id, channel_id) accepted. */
const MAX_ID = 64;

const nodeId = z.string().transform((s, ctx) => {
  try {
    return normalizeNodeId(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a node id (name@GUID)' });
    return z.NEVER;
  }
});
const msgId = z
  .string()
  .min(1)
  .max(MAX_ID)
  .transform((s) => s.toLowerCase());
const channelId = z
  .string()
  .refine(isGuid, 'channel_id is not a GUID')
  .transform((s) => s.toLowerCase());
const channelName = z
  .string()
  .min(1)
  .max(256)
  .refine((s) => !hasControlCharacter(s), 'control character');
/** `true`/`false`, also as the strings the seed's doc shows (§2.2). */
const looseBool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
/** A non-negative integer, also as a numeric string (§2.2, ROUTING `ttl`). */
const looseInt = z.union([
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  z
    .string()
    .regex(/^[0-9]{1,15}$/)
    .transform(Number),
]);
const member = z.object({ node_id: nodeId });
const base64Text = z.string().max(200_000);
/** ISO 8601 date-time with an offset (§2.3); peerwire emits RFC 3339 UTC with milliseconds. */
const timestamp = z
  .string()
  .max(64)
  .regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)$/)
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a date');
/** A MIME type `type/subtype` with optional parameters (RFC 6838 characters). */
const mimeType = z
  .string()
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.*)?$/);

const channelRef = { node_id: nodeId.optional(), channel: channelName, channel_id: channelId };

export const helloSchema = z
  .object({
    node_id: nodeId.optional(),
    version: z.string().max(256).optional().catch(undefined),
    attributes: z
      .object({
        node_type: z.enum(['client', 'server']).optional().catch(undefined),
        udp_port: z.number().int().min(1).max(65535).optional().catch(undefined),
      })
      .optional()
      .catch(undefined),
  })
  .nullable();
export const ackSchema = z.object({ msg_id: msgId });
export const nackSchema = z.object({ msg_id: msgId, reason: z.string().max(64).optional() });
export const joinSchema = z.object(channelRef);
export const leaveSchema = z.object(channelRef);
export const getKeySchema = z.object(channelRef);
export const channelSchema = z.object({
  ...channelRef,
  members: z.array(member).max(65_536),
  closed: looseBool.optional().default(false),
});
export const getCertificateSchema = z.object({ node_id: nodeId.optional() });
export const certificateSchema = z.object({
  node_id: nodeId.optional(),
  recipient_id: nodeId.optional(),
  certificate: base64Text,
  msg_id: msgId.optional(),
});
export const keySchema = z.object({
  ...channelRef,
  recipient_id: nodeId.optional(),
  cipher: z.string().max(64),
  key: base64Text,
});
export const attachmentSchema = z.object({ attachment: base64Text, attachment_type: mimeType });
export const messageSchema = z.object({
  ...channelRef,
  recipient: z.array(member).max(65_536).optional().default([]),
  timestamp,
  message: base64Text,
  attachment: z.array(attachmentSchema).max(1_024).optional(),
});
const addressText = z.string().max(64);
export const connectSchema = z.object({
  stage: z.number().int().min(1).max(5),
  initiator_id: nodeId,
  responder_id: nodeId,
  dst: addressText.optional().default(''),
  src: addressText.optional().default(''),
});
/** A ROUTING entry: TCP-era `{node_id, ttl}`, or UDP-era `{node_id, address}` (§2.2). */
const routingEntry = z.union([
  z.object({ node_id: nodeId, ttl: looseInt }),
  z.object({ node_id: nodeId, address: z.string().max(64) }).transform((e) => ({
    node_id: e.node_id,
    ttl: 1,
    address: e.address,
  })),
]);
export const routingSchema = z.object({ nodes: z.array(routingEntry).max(65_536) });

export type HelloData = z.output<typeof helloSchema>;
export type AckData = z.output<typeof ackSchema>;
export type NackData = z.output<typeof nackSchema>;
export type JoinData = z.output<typeof joinSchema>;
export type LeaveData = z.output<typeof leaveSchema>;
export type ChannelData = z.output<typeof channelSchema>;
export type GetCertificateData = z.output<typeof getCertificateSchema>;
export type CertificateData = z.output<typeof certificateSchema>;
export type GetKeyData = z.output<typeof getKeySchema>;
export type KeyData = z.output<typeof keySchema>;
export type AttachmentData = z.output<typeof attachmentSchema>;
export type MessageData = z.output<typeof messageSchema>;
export type ConnectData = z.output<typeof connectSchema>;
export type RoutingData = z.output<typeof routingSchema>;
export type RoutingEntry = RoutingData['nodes'][number];

/** `msg_data` of each verb, as decoded. */
export interface VerbData {
  HELLO: HelloData;
  ACK: AckData;
  NACK: NackData;
  JOIN: JoinData;
  LEAVE: LeaveData;
  CHANNEL: ChannelData;
  GETCERTIFICATE: GetCertificateData;
  CERTIFICATE: CertificateData;
  GETKEY: GetKeyData;
  KEY: KeyData;
  MESSAGE: MessageData;
  CONNECT: ConnectData;
  ROUTING: RoutingData;
}

export const VERB_SCHEMAS: { readonly [V in Verb]: z.ZodType<VerbData[V], unknown> } = {
  HELLO: helloSchema,
  ACK: ackSchema,
  NACK: nackSchema,
  JOIN: joinSchema,
  LEAVE: leaveSchema,
  CHANNEL: channelSchema,
  GETCERTIFICATE: getCertificateSchema,
  CERTIFICATE: certificateSchema,
  GETKEY: getKeySchema,
  KEY: keySchema,
  MESSAGE: messageSchema,
  CONNECT: connectSchema,
  ROUTING: routingSchema,
};
