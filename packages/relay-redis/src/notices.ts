import { z } from 'zod';
import { RelayRedisError } from './errors.js';

const srv = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);
const hash = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const cid = z.string().min(3).max(128);

/** Presence notices on the cluster's presence channel (JSON). */
export const PresenceNotice = z.discriminatedUnion('t', [
  /** heartbeat: `srv` is alive, with `n` connections announced and these public hosts */
  z.object({
    t: z.literal('hb'),
    srv,
    hosts: z.array(z.string().max(256)).max(64),
    n: z.number().int().nonnegative(),
  }),
  z.object({ t: z.literal('on'), srv, cid, hash, groups: z.array(hash).max(256) }),
  z.object({ t: z.literal('off'), srv, cid }),
  /** `srv` rewrote its presence in Redis (after a reconnect): read it again */
  z.object({ t: z.literal('sync'), srv }),
  /** `srv` is stopping: forget it now */
  z.object({ t: z.literal('bye'), srv }),
]);
export type PresenceNotice = z.infer<typeof PresenceNotice>;

/** One connection in a relay's presence hash (field = cid). */
export const PresenceRecord = z.object({ h: hash, g: z.array(hash).max(256) });

/** Relay record (`relay:<srv>`). */
export const RelayRecord = z.object({ hosts: z.array(z.string().max(256)).max(64) });

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

export const MembershipRecord = z.object({
  bytes: base64,
  group: hash,
  subject: hash,
  issued: z.number(),
  status: z.string().max(64),
});

export type MembershipRecord = z.infer<typeof MembershipRecord>;

/** Store notices on the cluster's store channel (JSON). */
export const StoreNotice = z.discriminatedUnion('t', [
  z.object({ t: z.literal('card'), srv, hash, issued: z.number(), blob: base64 }),
  z.object({ t: z.literal('member'), srv, m: MembershipRecord }),
]);
export type StoreNotice = z.infer<typeof StoreNotice>;

/** Parses JSON text against `schema`; anything else throws `RelayRedisError` (`code`). */
export function parseJson<T>(
  schema: z.ZodType<T>,
  text: string,
  code: 'BAD_NOTICE' | 'BAD_RECORD',
): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RelayRedisError(code, `not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new RelayRedisError(code, `invalid: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
