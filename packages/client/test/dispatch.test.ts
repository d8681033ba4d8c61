import { generatePrivateKey, Keychain } from '@peerwire/crypto';
import { decodeInstantMessage, encodeInstantMessage, MsgFlag } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch.js';
import { ClientError } from '../src/errors.js';
import { systemClock } from '../src/link.js';
import { Queries } from '../src/queries.js';

describe('Dispatcher', () => {
  it('survives arbitrary packets: problems are reported, answers are valid packets, nothing throws', async () => {
    const self = await generatePrivateKey('Ed25519');
    const keychain = new Keychain().add(self);
    const unknown = () =>
      Promise.reject(new ClientError('UNKNOWN_IDENTITY', 'the relay knows no identity'));
    const nowSeconds = () => 1_700_000_000;
    const queries = new Queries(systemClock, { keychain, card: unknown, nowSeconds });
    const problems: string[] = [];
    const answers: Uint8Array[] = [];
    let answered = 0;
    const dispatcher = new Dispatcher({
      keychain,
      self,
      queries,
      card: unknown,
      nowSeconds,
      transmit: async (packet) => {
        answers.push(packet);
        answered++;
      },
      problem: (message) => problems.push(message),
    });
    dispatcher.handle('echo', (req) => req.payload);
    dispatcher.handle('boom', () => {
      throw new Error('handler failed');
    });
    const message = fc
      .record({
        flags: fc.constantFrom(0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n),
        recipient: fc.constantFrom('k.x/echo', 'k.x/boom', 'k.x/none', '@/echo', 'k.x/echo/more'),
        sender: fc.constantFrom('@/', 'k.AAAA/q', '/x', ''),
        body: fc.uint8Array({ maxLength: 64 }),
      })
      .map((m) => encodeInstantMessage({ id: new Uint8Array(16), ...m }));
    const packet = fc.oneof(fc.uint8Array({ maxLength: 80 }), message);
    await fc.assert(
      fc.asyncProperty(packet, async (bytes) => {
        answers.length = 0;
        expect(() => dispatcher.packet('mem://r', bytes)).not.toThrow();
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        for (const a of answers) {
          const m = decodeInstantMessage(a);
          expect(m.flags & MsgFlag.Response).toBe(MsgFlag.Response);
        }
      }),
      { numRuns: Math.min(fc.readConfigureGlobal().numRuns ?? 2000, 2000) },
    );
    // the runs reached both sides: raw requests answered, bad ones reported
    expect(answered).toBeGreaterThan(0);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => typeof p === 'string' && p.length > 0)).toBe(true);
  });
});
