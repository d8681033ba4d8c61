import { concatBytes, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  DATT_COMMANDS,
  DattError,
  type DattMessage,
  decodeMessage,
  decodeMessageData,
  encodeDmsg,
  encodeMessage,
  encodeMessageData,
  Services,
} from '../src/index.js';

const h = (b: number) => new Uint8Array(32).fill(b);
const ca = new Uint8Array(200).fill(7);

const SAMPLES: DattMessage[] = [
  { type: 'ping', nonce: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
  { type: 'pong', nonce: Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1) },
  { type: 'contentauth', hash: h(1), contentAuth: ca },
  { type: 'auth', contentAuth: ca },
  {
    type: 'init',
    version: 1,
    services: Services.SERVES_CONTENT | Services.ACCEPTS_POSTS,
    addresses: ['tcp://203.0.113.5:4000', 'wss://node.example/datt'],
  },
  { type: 'initack', version: 1, services: 0n, addresses: [] },
  { type: 'postdata', hash: h(2), contentAuth: ca },
  { type: 'getdata', hash: h(3) },
  { type: 'reqpayment', ref: h(4), amount: 12_345n, address: new Uint8Array(21).fill(9) },
  { type: 'sendpayment', ref: h(5), transaction: Uint8Array.of(1, 0, 0, 0) },
  { type: 'paymentack', ref: h(6), txid: h(7) },
];

describe('Datt messages (spec §3, §6)', () => {
  it('round-trips every command through a DMsg frame', () => {
    for (const msg of SAMPLES) expect(decodeMessage(encodeMessage(msg))).toEqual(msg);
    expect(new Set(SAMPLES.map((m) => m.type))).toEqual(new Set(DATT_COMMANDS));
  });

  it('uses the proposed layouts', () => {
    expect(toHex(encodeMessageData(SAMPLES[8]!))).toBe(
      `${'04'.repeat(32)}0000000000003039${'09'.repeat(21)}`,
    );
    expect(toHex(encodeMessageData(SAMPLES[5]!))).toBe('00000001000000000000000000');
    const init = encodeMessageData(SAMPLES[4]!);
    expect(toHex(init.subarray(0, 14))).toBe('0000000100000000000000030216');
  });

  it('rejects unknown commands and wrong sizes with precise codes', () => {
    expectThrowsCode(
      () => decodeMessageData('inv', new Uint8Array(0)),
      DattError,
      'UNKNOWN_COMMAND',
    );
    expectThrowsCode(() => decodeMessageData('ping', new Uint8Array(7)), DattError, 'TRUNCATED');
    expectThrowsCode(
      () => decodeMessageData('getdata', new Uint8Array(33)),
      DattError,
      'TRAILING_BYTES',
    );
    expectThrowsCode(
      () => decodeMessageData('contentauth', new Uint8Array(226)),
      DattError,
      'TRUNCATED',
    );
    expectThrowsCode(
      () => decodeMessageData('sendpayment', new Uint8Array(32)),
      DattError,
      'TRUNCATED',
    );
    const tooMany = concatBytes(new Uint8Array(12), Uint8Array.of(17));
    expectThrowsCode(() => decodeMessageData('init', tooMany), DattError, 'TOO_LARGE');
    const badUtf8 = concatBytes(new Uint8Array(12), Uint8Array.of(1, 1, 0xff));
    expectThrowsCode(() => decodeMessageData('init', badUtf8), DattError, 'BAD_UTF8');
    expectThrowsCode(
      () => encodeMessage({ type: 'getdata', hash: new Uint8Array(31) }),
      DattError,
      'BAD_LENGTH',
    );
    expectThrowsCode(
      () =>
        encodeMessage({ type: 'init', version: 1, services: 0n, addresses: Array(17).fill('x') }),
      DattError,
      'TOO_LARGE',
    );
  });

  it('decodes arbitrary data for every command to a message that re-encodes identically, or a DattError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DATT_COMMANDS),
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          fc.uint8Array({ minLength: 190, maxLength: 260 }),
        ),
        (cmd, data) => {
          const msg = valueOrTypedError(() => decodeMessageData(cmd, data), DattError);
          if (msg) {
            expect(msg.type).toBe(cmd);
            expect(toHex(encodeMessageData(msg))).toBe(toHex(data));
          }
        },
      ),
    );
  });

  it('decodes arbitrary init bodies built from the layout', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 40 }), { maxLength: 16 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (addresses, services) => {
          const msg: DattMessage = { type: 'init', version: 1, services, addresses };
          const frame = encodeMessage(msg);
          expect(decodeMessage(frame)).toEqual({
            ...msg,
            addresses: addresses.map((a) => new TextDecoder().decode(new TextEncoder().encode(a))),
          });
        },
      ),
    );
  });

  it('decodes whole frames with arbitrary command names to a message or a DattError', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.uint8Array({ maxLength: 64 }),
        (cmd, data) => {
          const frame = valueOrTypedError(() => encodeDmsg(cmd, data), DattError);
          if (frame) valueOrTypedError(() => decodeMessage(frame), DattError);
        },
      ),
    );
  });
});
