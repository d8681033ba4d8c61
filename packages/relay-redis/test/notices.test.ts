import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RelayRedisError } from '../src/index.js';
import { PresenceNotice, parseJson, StoreNotice } from '../src/notices.js';

const hash = 'A'.repeat(43);

describe('cluster notices', () => {
  it('accepts well-formed presence and store notices', () => {
    expect(
      parseJson(
        PresenceNotice,
        JSON.stringify({ t: 'on', srv: 'r1', cid: 'r1.conn-x', hash, groups: [] }),
        'BAD_NOTICE',
      ),
    ).toMatchObject({ t: 'on' });
    expect(
      parseJson(
        StoreNotice,
        JSON.stringify({ t: 'card', srv: 'r1', hash, issued: 5, blob: 'AAEC' }),
        'BAD_NOTICE',
      ),
    ).toMatchObject({ t: 'card' });
    expect(() =>
      parseJson(
        PresenceNotice,
        JSON.stringify({ t: 'on', srv: 'r 1', cid: 'x', hash, groups: [] }),
        'BAD_NOTICE',
      ),
    ).toThrow(RelayRedisError);
  });

  it('arbitrary text and JSON: a notice or BAD_NOTICE, never another exception', () => {
    const check = (text: string) => {
      for (const schema of [PresenceNotice, StoreNotice] as const) {
        try {
          parseJson(schema as never, text, 'BAD_NOTICE');
        } catch (error) {
          expect(error).toBeInstanceOf(RelayRedisError);
          expect((error as RelayRedisError).code).toBe('BAD_NOTICE');
        }
      }
    };
    fc.assert(fc.property(fc.string(), check));
    fc.assert(fc.property(fc.jsonValue(), (v) => check(JSON.stringify(v))));
    fc.assert(
      fc.property(
        fc.record({
          t: fc.constantFrom('hb', 'on', 'off', 'sync', 'bye', 'card', 'member'),
          srv: fc.string(),
          cid: fc.string(),
          hash: fc.string(),
          groups: fc.anything(),
          n: fc.anything(),
        }),
        (v) => check(JSON.stringify(v)),
      ),
    );
  });
});
