// The Node record layers must put exactly the core's bytes on the wire (the core is checked
// against the spec's vectors in record.test.ts) and accept exactly what the core accepts.
import { randomBytes } from 'node:crypto';
import { concatBytes, fromHex, toHex, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../../tooling/test-helpers.js';
import {
  BobError,
  CLOSE_RECORD,
  MAX_RECORD_PAYLOAD,
  type RecordEvent,
  RecordOpener,
  RecordSealer,
  recordKeys,
  SpokeCipher,
} from '../../src/index.js';
import { nodePrimitives } from '../../src/node/index.js';
import { RecordBatcher } from '../../src/node/record-batcher.js';
import { StreamingRecordOpener } from '../../src/node/record-stream.js';
import { VECTOR_A } from '../spec-vectors.js';

const keys = recordKeys(
  { client: fromHex(VECTOR_A.clientSk), server: fromHex(VECTOR_A.serverSk) },
  [SpokeCipher.AesGcm, SpokeCipher.AesGcm],
  'sender',
);

/** Splits `bytes` at the given cut points (any order, any values). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}

function plain(events: RecordEvent[]): Uint8Array {
  return concatBytes(...events.flatMap((e) => (e.type === 'data' ? [e.bytes] : [])));
}

// Each case seals and opens up to ~100 KB with AES-GCM three times: 500 runs keep this file
// within a few seconds.
const RUNS = { numRuns: 500 };

describe('RecordBatcher (node:crypto sender records)', () => {
  it('the vector records byte for byte', () => {
    const batcher = new RecordBatcher(keys.send);
    const sealed = VECTOR_A.records.flatMap((r) => {
      const out = batcher.write(utf8Encode(r.plaintext));
      return [...out, ...batcher.flush()];
    });
    expect(sealed.map(toHex)).toEqual(VECTOR_A.records.map((r) => r.record));
  });

  it('equals RecordSealer for any data cut into any pieces, in batches of whole records', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 * MAX_RECORD_PAYLOAD + 100 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        (size, cuts, recordsPerBatch) => {
          const data = randomBytes(size);
          const sealer = new RecordSealer(keys.send, nodePrimitives.aead);
          const expected = concatBytes(...sealer.write(data), ...sealer.close());
          const batcher = new RecordBatcher(keys.send, recordsPerBatch * (MAX_RECORD_PAYLOAD + 18));
          const batches = [
            ...split(data, cuts).flatMap((piece) => batcher.write(piece)),
            ...batcher.close(),
          ];
          expect(toHex(concatBytes(...batches))).toBe(toHex(expected));
          expect(batcher.sequence).toBe(sealer.sequence);
          // Every batch but the close marker holds whole records.
          for (const b of batches.slice(0, -1)) {
            let at = 0;
            while (at < b.length) at += 2 + ((b[at]! << 8) | b[at + 1]!) + 16;
            expect(at).toBe(b.length);
            expect(b.length).toBeLessThanOrEqual(recordsPerBatch * (MAX_RECORD_PAYLOAD + 18));
          }
        },
      ),
      RUNS,
    );
  });

  it('refuses writes after close and ciphers that cannot carry bob records', () => {
    const batcher = new RecordBatcher(keys.send);
    expect(batcher.close().at(-1)).toEqual(CLOSE_RECORD);
    expectThrowsCode(() => batcher.write(new Uint8Array(1)), BobError, 'PROTOCOL');
    expectThrowsCode(
      () => new RecordBatcher({ ...keys.send, cipher: SpokeCipher.ChaCha20Poly1305 }),
      BobError,
      'UNSUPPORTED_CIPHER',
    );
  });
});

describe('StreamingRecordOpener (node:crypto receiver records)', () => {
  const wire = (data: Uint8Array) => {
    const sealer = new RecordSealer(keys.send, nodePrimitives.aead);
    return concatBytes(...sealer.write(data), ...sealer.close());
  };

  it('opens the vector records', () => {
    const opener = new StreamingRecordOpener(keys.send);
    const events = opener.push(concatBytes(...VECTOR_A.records.map((r) => fromHex(r.record))));
    expect(new TextDecoder().decode(plain(events))).toBe(
      VECTOR_A.records.map((r) => r.plaintext).join(''),
    );
    expect(opener.sequence).toBe(VECTOR_A.records.length);
  });

  it('gives the plaintext back for any chunking, and stops at the close marker', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 * MAX_RECORD_PAYLOAD + 100 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (size, cuts) => {
          const data = randomBytes(size);
          const opener = new StreamingRecordOpener(keys.send);
          const bytes = concatBytes(wire(data), utf8Encode('ignored after the marker'));
          const events = split(bytes, cuts).flatMap((c) => opener.push(c));
          expect(toHex(plain(events))).toBe(toHex(data));
          expect(events.at(-1)).toEqual({ type: 'close' });
          expect(opener.closed).toBe(true);
          opener.end();
        },
      ),
      RUNS,
    );
  });

  it('behaves like RecordOpener on arbitrary bytes (same events or the same error code)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (b, cuts) => {
          // Arbitrary bytes give a value or a BobError, never anything else.
          const run = (opener: RecordOpener | StreamingRecordOpener) => {
            let code = 'ok';
            const value = valueOrTypedError(() => {
              try {
                const events = split(b, cuts).flatMap((c) => opener.push(c));
                opener.end();
                return events.map((e) => (e.type === 'data' ? toHex(e.bytes) : e.type)).join('');
              } catch (error) {
                if (error instanceof BobError) code = error.code;
                throw error;
              }
            }, BobError);
            return { value, code };
          };
          const core = run(new RecordOpener(keys.send, nodePrimitives.aead));
          const streaming = run(new StreamingRecordOpener(keys.send));
          expect(streaming).toEqual(core);
        },
      ),
      RUNS,
    );
  });

  it('a flipped bit anywhere in a record is TAMPERED and nothing of that record comes out', () => {
    const data = randomBytes(MAX_RECORD_PAYLOAD + 10);
    const bytes = wire(data);
    for (const at of [0, 1, 2, 1000, MAX_RECORD_PAYLOAD + 2 + 5, MAX_RECORD_PAYLOAD + 18 + 3]) {
      const bad = Uint8Array.from(bytes);
      bad[at]! ^= 0x40;
      const opener = new StreamingRecordOpener(keys.send);
      const out: RecordEvent[] = [];
      const error = (() => {
        try {
          for (const c of split(bad, [7, 20_000, 40_000])) out.push(...opener.push(c));
          opener.end();
        } catch (e) {
          return e;
        }
      })();
      expect(error, `flip at ${at}`).toBeInstanceOf(BobError);
      expect(['TAMPERED', 'RECORD_TOO_LARGE', 'TRUNCATED']).toContain((error as BobError).code);
      // Only records before the damaged one were released.
      const released = plain(out);
      expect(released.length % MAX_RECORD_PAYLOAD).toBe(0);
      expect(toHex(released)).toBe(toHex(data.subarray(0, released.length)));
      expectThrowsCode(() => opener.push(new Uint8Array(1)), BobError, (error as BobError).code);
    }
  });

  it('an end inside a record is TRUNCATED; on a record boundary it is a clean end', () => {
    const bytes = wire(randomBytes(100));
    const cut = new StreamingRecordOpener(keys.send);
    cut.push(bytes.subarray(0, 50));
    expectThrowsCode(() => cut.end(), BobError, 'TRUNCATED');
    const clean = new StreamingRecordOpener(keys.send);
    clean.push(bytes.subarray(0, bytes.length - CLOSE_RECORD.length));
    clean.end();
    expect(clean.closed).toBe(false);
  });
});
