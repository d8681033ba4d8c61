import { concatBytes, fromHex, toHex, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  BobError,
  CLOSE_RECORD,
  MAX_RECORD_PAYLOAD,
  type RecordEvent,
  RecordOpener,
  RecordSealer,
  recordAad,
  recordKeys,
  recordNonce,
  SpokeCipher,
} from '../src/index.js';
import { nodePrimitives } from '../src/node/index.js';
import { VECTOR_A, VECTOR_B } from './spec-vectors.js';

const ciphers = [SpokeCipher.AesGcm, SpokeCipher.ChaCha20Poly1305] as const;

function keysOf(v: typeof VECTOR_A) {
  return { client: fromHex(v.clientSk), server: fromHex(v.serverSk) };
}

function data(events: RecordEvent[]): string {
  return toHex(concatBytes(...events.flatMap((e) => (e.type === 'data' ? [e.bytes] : []))));
}

describe.each([
  ['noble', undefined],
  ['node:crypto', nodePrimitives.aead],
] as const)('records with %s AES-GCM (spec §7)', (_name, aead) => {
  it.each([VECTOR_A, VECTOR_B])('seals the vector $name records byte for byte', (v) => {
    const { send } = recordKeys(keysOf(v), ciphers, 'sender');
    const sealer = new RecordSealer(send, aead);
    for (const [seq, r] of v.records.entries()) {
      expect(toHex(recordNonce(send.nonceBase, seq))).toBe(r.nonce);
      expect(toHex(recordAad(r.plaintext.length))).toBe(r.aad);
      expect(toHex(sealer.seal(utf8Encode(r.plaintext)))).toBe(r.record);
    }
  });

  it.each([VECTOR_A, VECTOR_B])(
    'the receiver opens vector $name records, then the close marker',
    (v) => {
      const { receive } = recordKeys(keysOf(v), ciphers, 'receiver');
      const opener = new RecordOpener(receive, aead);
      const stream = concatBytes(...v.records.map((r) => fromHex(r.record)), CLOSE_RECORD);
      const events = opener.push(stream);
      expect(events.at(-1)).toEqual({ type: 'close' });
      expect(data(events)).toBe(toHex(utf8Encode(v.records.map((r) => r.plaintext).join(''))));
      opener.end();
    },
  );

  it('detects a flipped bit anywhere in a record as TAMPERED', () => {
    const { send, receive } = recordKeys(keysOf(VECTOR_A), ciphers, 'sender');
    const record = new RecordSealer(send, aead).seal(utf8Encode('Hello World!\n'));
    for (let i = 2; i < record.length; i++) {
      const bad = Uint8Array.from(record);
      bad[i]! ^= 0x01;
      // Receiver keys: same direction key as the sender's send key.
      expectThrowsCode(() => new RecordOpener(send, aead).push(bad), BobError, 'TAMPERED');
    }
    // A record replayed out of order fails too: nonces are sequence numbers.
    const sealer = new RecordSealer(send, aead);
    const r0 = sealer.seal(utf8Encode('a'));
    const r1 = sealer.seal(utf8Encode('b'));
    expectThrowsCode(
      () => new RecordOpener(send, aead).push(concatBytes(r1, r0)),
      BobError,
      'TAMPERED',
    );
    expect(receive.cipher).toBe(SpokeCipher.ChaCha20Poly1305);
  });
});

describe('record stream', () => {
  const { send, receive } = recordKeys(keysOf(VECTOR_A), ciphers, 'sender');

  it('cuts a stream into full 0x7fff-byte records, as bob does, and ends with ff ff ff ff', () => {
    const sealer = new RecordSealer(send);
    const payload = new Uint8Array(MAX_RECORD_PAYLOAD * 2 + 5).map((_, i) => i & 0xff);
    const records = [
      ...sealer.write(payload.subarray(0, 10)),
      ...sealer.write(payload.subarray(10)),
      ...sealer.close(),
    ];
    expect(records.map((r) => r.length)).toEqual([
      2 + MAX_RECORD_PAYLOAD + 16,
      2 + MAX_RECORD_PAYLOAD + 16,
      2 + 5 + 16,
      4,
    ]);
    expect(toHex(records.at(-1)!)).toBe('ffffffff');
    expectThrowsCode(() => sealer.seal(new Uint8Array(1)), BobError, 'PROTOCOL');
    const opener = new RecordOpener(send);
    const out = opener.push(concatBytes(...records));
    expect(data(out)).toBe(toHex(payload));
    expect(opener.closed).toBe(true);
  });

  it('any chunking gives the same plaintext; memory holds at most one record', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
        (payload, cuts) => {
          const sealer = new RecordSealer(send);
          const stream = concatBytes(...sealer.write(payload), ...sealer.close());
          const opener = new RecordOpener(send);
          const events: RecordEvent[] = [];
          let o = 0;
          let i = 0;
          while (o < stream.length) {
            const n = cuts[i++ % cuts.length]!;
            events.push(...opener.push(stream.subarray(o, o + n)));
            expect(opener.buffered).toBeLessThanOrEqual(2 + MAX_RECORD_PAYLOAD + 16 + 700);
            o += n;
          }
          expect(data(events)).toBe(toHex(payload));
          expect(events.at(-1)).toEqual({ type: 'close' });
        },
      ),
    );
  });

  it('fuzz: arbitrary bytes give records or a BobError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (input) => {
        const opener = new RecordOpener(send);
        valueOrTypedError(() => {
          opener.push(input);
          opener.end();
        }, BobError);
      }),
    );
  });

  it('EOF on a record boundary is a clean end; inside a record it is TRUNCATED', () => {
    const sealer = new RecordSealer(send);
    const record = sealer.seal(utf8Encode('hello'));
    const clean = new RecordOpener(send);
    clean.push(record);
    clean.end();
    const cut = new RecordOpener(send);
    cut.push(record.subarray(0, 5));
    expectThrowsCode(() => cut.end(), BobError, 'TRUNCATED');
  });

  it('refuses lengths above 0x7fff other than the close marker', () => {
    expectThrowsCode(
      () => new RecordOpener(send).push(Uint8Array.of(0x80, 0x00)),
      BobError,
      'RECORD_TOO_LARGE',
    );
    expectThrowsCode(
      () => new RecordSealer(send).seal(new Uint8Array(0x8000)),
      BobError,
      'RECORD_TOO_LARGE',
    );
  });

  it('the sender accepts only the close marker from the receiver', () => {
    const toSender = new RecordOpener(receive, undefined, { allowData: false });
    expect(toSender.push(CLOSE_RECORD)).toEqual([{ type: 'close' }]);
    // Bytes after the close (the relay's own marker) are ignored.
    expect(toSender.push(CLOSE_RECORD)).toEqual([]);
    expectThrowsCode(
      () => new RecordOpener(receive, undefined, { allowData: false }).push(Uint8Array.of(0, 1, 2)),
      BobError,
      'UNEXPECTED_DATA',
    );
  });

  it('refuses to seal with ChaCha20-Poly1305: bob cannot use it with 20-byte nonces', () => {
    const { send: back } = recordKeys(keysOf(VECTOR_A), ciphers, 'receiver');
    expectThrowsCode(
      () => new RecordSealer(back).seal(new Uint8Array(1)),
      BobError,
      'UNSUPPORTED_CIPHER',
    );
  });
});
