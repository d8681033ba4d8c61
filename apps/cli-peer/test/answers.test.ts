import { generatePrivateKey, IDCard } from '@peerwire/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAnswer, decodeCard, decodeTime, showResult } from '../src/answers.js';

function timeBytes(seconds: bigint, nanos: number): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, seconds, false);
  view.setUint32(8, nanos, false);
  return out;
}

function fakeStdout(isTTY: boolean) {
  const chunks: (Uint8Array | string)[] = [];
  return { isTTY, chunks, write: (b: Uint8Array | string) => chunks.push(b) };
}

describe('known answers', () => {
  it('@/time: seconds and nanoseconds as a date', () => {
    expect(decodeTime(timeBytes(1_700_000_000n, 123_456_789))).toEqual({
      seconds: 1_700_000_000,
      nanoseconds: 123_456_789,
      iso: '2023-11-14T22:13:20.123Z',
    });
    expect(decodeTime(timeBytes(1n, 1_000_000_000))).toBeUndefined(); // nanoseconds out of range
    expect(decodeTime(new Uint8Array(11))).toBeUndefined();
  });

  it('arbitrary bytes never throw: undefined, or a time/card that reads back', async () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const t = decodeTime(bytes);
        if (t) expect(Date.parse(t.iso)).toBe(t.seconds * 1000 + Math.floor(t.nanoseconds / 1e6));
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        expect(await decodeCard(bytes)).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });

  it('finger: a signed card as its fields, on a terminal as lines', async () => {
    const key = await generatePrivateKey('Ed25519');
    const card = IDCard.create(key.publicKey);
    card.meta = new Map([['name', 'Bob']]);
    const signed = await card.sign(key);
    const decoded = await decodeAnswer(`${card.address}/finger`, signed);
    expect(decoded).toMatchObject({ card: { address: card.address, name: 'Bob' } });
    const tty = fakeStdout(true);
    await showResult({}, {}, `${card.address}/finger`, signed, {}, tty);
    expect(String(tty.chunks[0])).toMatch(new RegExp(`^identity ${card.address}\\nissued `));
    expect(String(tty.chunks[0])).toMatch(/\nname {5}Bob\n/);
    // Piped, the same answer is the raw signed bytes.
    const pipe = fakeStdout(false);
    await showResult({}, {}, `${card.address}/finger`, signed, {}, pipe);
    expect(pipe.chunks).toEqual([signed]);
  });

  it('other binary: hex on a terminal, raw when piped; text stays text', async () => {
    const bin = new Uint8Array([0, 1, 2, 255]);
    const tty = fakeStdout(true);
    await showResult({}, {}, 'k.x/echo', bin, {}, tty);
    expect(tty.chunks).toEqual(['0x000102ff\n']);
    const pipe = fakeStdout(false);
    await showResult({}, {}, 'k.x/echo', bin, {}, pipe);
    expect(pipe.chunks).toEqual([bin]);
    const text = fakeStdout(false);
    await showResult({}, {}, 'k.x/echo', new TextEncoder().encode('hi'), {}, text);
    expect(text.chunks).toEqual(['hi\n']);
  });
});
