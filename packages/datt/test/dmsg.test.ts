import { concatBytes, fromHex, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  DattError,
  DEFAULT_MAX_DMSG_DATA_LENGTH,
  DmsgDecoder,
  DmsgFramer,
  decodeDmsg,
  dmsgChecksum,
  encodeDmsg,
  sha256d,
} from '../src/index.js';
import { chunk } from './helpers.js';

// Spec datt.md §1 test vector (yours-core test/dmsg.js @HEAD): cmd "inv", empty data.
const INV_VECTOR = '255a484b' + '696e76000000000000000000' + '00000000' + '5df6e0e2';

const arbCmd = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'.split('')),
  minLength: 1,
  maxLength: 12,
});
const arbMsg = fc.record({ cmd: arbCmd, data: fc.uint8Array({ maxLength: 400 }) });

describe('DMsg framing', () => {
  it('encodes and decodes the spec vector byte for byte', () => {
    expect(toHex(encodeDmsg('inv', new Uint8Array(0)))).toBe(INV_VECTOR);
    const msg = decodeDmsg(fromHex(INV_VECTOR));
    expect(msg.cmd).toBe('inv');
    expect(msg.data.length).toBe(0);
    expect(toHex(dmsgChecksum(new Uint8Array(0)))).toBe('5df6e0e2');
  });

  it('writes big-endian lengths and the double-SHA-256 checksum', () => {
    const data = new TextEncoder().encode('hello');
    const frame = encodeDmsg('ping', data);
    expect(toHex(frame.subarray(16, 20))).toBe('00000005');
    // SHA-256d("hello") = 9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50
    expect(toHex(frame.subarray(20, 24))).toBe('9595c9df');
  });

  it('rejects wrong magic, bad checksum, truncation and trailing bytes', () => {
    const good = encodeDmsg('inv', Uint8Array.of(1, 2, 3));
    const badMagic = good.slice();
    badMagic[0] = 0xf9; // Bitcoin's mainnet magic starts with f9
    expectThrowsCode(() => decodeDmsg(badMagic), DattError, 'BAD_MAGIC');
    const badSum = good.slice();
    badSum[good.length - 1]! ^= 1;
    expectThrowsCode(() => decodeDmsg(badSum), DattError, 'BAD_CHECKSUM');
    expectThrowsCode(() => decodeDmsg(good.subarray(0, good.length - 1)), DattError, 'TRUNCATED');
    expectThrowsCode(() => decodeDmsg(good.subarray(0, 10)), DattError, 'TRUNCATED');
    expectThrowsCode(
      () => decodeDmsg(concatBytes(good, Uint8Array.of(0))),
      DattError,
      'TRAILING_BYTES',
    );
  });

  it('applies the command rules: trailing NULs only, printable ASCII, 1-12 characters', () => {
    const frame = encodeDmsg('getdata', new Uint8Array(0));
    const interior = frame.slice();
    interior[4 + 3] = 0; // "get\0data"
    expectThrowsCode(() => decodeDmsg(interior), DattError, 'BAD_COMMAND');
    const empty = frame.slice();
    empty.fill(0, 4, 16);
    expectThrowsCode(() => decodeDmsg(empty), DattError, 'BAD_COMMAND');
    const control = frame.slice();
    control[4] = 0x07;
    expectThrowsCode(() => decodeDmsg(control), DattError, 'BAD_COMMAND');
    expectThrowsCode(
      () => encodeDmsg('thirteenchars', new Uint8Array(0)),
      DattError,
      'BAD_COMMAND',
    );
    expectThrowsCode(() => encodeDmsg('', new Uint8Array(0)), DattError, 'BAD_COMMAND');
    expectThrowsCode(() => encodeDmsg('café', new Uint8Array(0)), DattError, 'BAD_COMMAND');
    expect(decodeDmsg(encodeDmsg('twelve_chars', new Uint8Array(0))).cmd).toBe('twelve_chars');
  });

  it('enforces the size limit on both sides (default 30000, configurable)', () => {
    expect(DEFAULT_MAX_DMSG_DATA_LENGTH).toBe(30_000);
    encodeDmsg('x', new Uint8Array(30_000));
    expectThrowsCode(() => encodeDmsg('x', new Uint8Array(30_001)), DattError, 'TOO_LARGE');
    const big = encodeDmsg('x', new Uint8Array(100), { maxDataLength: 100 });
    expectThrowsCode(() => decodeDmsg(big, { maxDataLength: 99 }), DattError, 'TOO_LARGE');
  });

  it('rejects an oversized datasize on the header, before buffering any data', () => {
    const decoder = new DmsgDecoder({ maxDataLength: 1000 });
    const header = encodeDmsg('post', new Uint8Array(0)).slice();
    new DataView(header.buffer).setUint32(16, 0xffffffff, false);
    expect(decoder.push(header.subarray(0, 23))).toEqual([]);
    expect(decoder.buffered).toBe(23);
    expectThrowsCode(() => decoder.push(header.subarray(23)), DattError, 'TOO_LARGE');
    // The stream is dead after an error.
    expectThrowsCode(() => decoder.push(new Uint8Array(1)), DattError, 'TOO_LARGE');
  });

  it('holds at most one partial message', () => {
    const decoder = new DmsgDecoder();
    const frame = encodeDmsg('x', new Uint8Array(1000));
    expect(decoder.push(frame.subarray(0, 600))).toEqual([]);
    expect(decoder.buffered).toBe(600); // the header is held too
    expect(decoder.push(frame.subarray(600)).length).toBe(1);
    expect(decoder.buffered).toBe(0);
  });

  it('streams the same messages under any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(arbMsg, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (msgs, cuts) => {
          const stream = concatBytes(...msgs.map((m) => encodeDmsg(m.cmd, m.data)));
          const decoder = new DmsgDecoder();
          const out = chunk(stream, cuts).flatMap((c) => decoder.push(c));
          expect(out.map((m) => ({ cmd: m.cmd, data: Uint8Array.from(m.data) }))).toEqual(msgs);
          expect(decoder.buffered).toBe(0);
        },
      ),
    );
  });

  it('decodes arbitrary bytes to a message that re-encodes identically, or a DattError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const msg = valueOrTypedError(() => decodeDmsg(bytes), DattError);
        if (msg) expect(toHex(encodeDmsg(msg.cmd, msg.data))).toBe(toHex(bytes));
      }),
    );
  });

  it('decodes valid headers with arbitrary fields to a value or a DattError', () => {
    // Random bytes almost never carry the magic: put it there and fuzz the rest.
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 80 }),
        fc.boolean(),
        (rest, fixLength) => {
          const bytes = concatBytes(fromHex('255a484b'), rest);
          if (fixLength) new DataView(bytes.buffer).setUint32(16, bytes.length - 24, false);
          const msg = valueOrTypedError(() => decodeDmsg(bytes), DattError);
          if (msg) expect(toHex(encodeDmsg(msg.cmd, msg.data))).toBe(toHex(bytes));
          const decoder = new DmsgDecoder();
          const streamed = valueOrTypedError(() => decoder.push(bytes), DattError);
          if (msg) expect(streamed?.length).toBe(1);
        },
      ),
    );
  });
});

describe('DmsgFramer (stream splitting for transports)', () => {
  it('gives the whole frames of a stream under any chunking, without checking checksums', () => {
    fc.assert(
      fc.property(
        fc.array(arbMsg, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.option(fc.nat()),
        (msgs, cuts, corrupt) => {
          const frames = msgs.map((m) => encodeDmsg(m.cmd, m.data).slice());
          // A damaged checksum is not the framer's business: decodeDmsg checks it later.
          if (corrupt !== null && frames.length > 0) frames[corrupt % frames.length]![20]! ^= 1;
          const framer = new DmsgFramer();
          const out = chunk(concatBytes(...frames), cuts).flatMap((c) => framer.push(c));
          expect(out.map(toHex)).toEqual(frames.map(toHex));
          expect(framer.buffered).toBe(0);
        },
      ),
    );
  });

  it('hands out views, not copies, for frames that lie in one chunk', () => {
    const a = encodeDmsg('ping', new Uint8Array(8));
    const b = encodeDmsg('getdata', new Uint8Array(32));
    const stream = concatBytes(a, b);
    const framer = new DmsgFramer();
    const [first, second] = framer.push(stream.subarray(0, a.length + 30));
    expect(first?.buffer).toBe(stream.buffer);
    expect(second).toBeUndefined();
    expect(framer.buffered).toBe(30);
    const [joined] = framer.push(stream.subarray(a.length + 30));
    expect(toHex(joined!)).toBe(toHex(b)); // spanned two chunks: joined into one array
  });

  it('refuses a bad header as soon as it arrives, before buffering data, and stays failed', () => {
    const framer = new DmsgFramer({ maxDataLength: 100 });
    const head = encodeDmsg('postdata', new Uint8Array(0)).slice();
    new DataView(head.buffer).setUint32(16, 101, false);
    expect(framer.push(head.subarray(0, 23))).toEqual([]);
    expectThrowsCode(() => framer.push(head.subarray(23)), DattError, 'TOO_LARGE');
    expectThrowsCode(() => framer.push(new Uint8Array(1)), DattError, 'TOO_LARGE');
    const other = new DmsgFramer();
    const wrong = head.slice();
    wrong[0] = 0;
    expectThrowsCode(() => other.push(wrong), DattError, 'BAD_MAGIC');
  });

  it('splits arbitrary bytes into frames that decodeDmsg accepts or refuses, or a DattError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 120 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (rest, cuts) => {
          const bytes = concatBytes(fromHex('255a484b'), rest);
          const framer = new DmsgFramer();
          const frames = valueOrTypedError(
            () => chunk(bytes, cuts).flatMap((c) => framer.push(c)),
            DattError,
          );
          for (const f of frames ?? []) {
            const msg = valueOrTypedError(() => decodeDmsg(f), DattError);
            if (msg) expect(toHex(encodeDmsg(msg.cmd, msg.data))).toBe(toHex(f));
          }
        },
      ),
    );
  });
});

describe('DMsg hashing', () => {
  it('uses the injected SHA-256d, once per frame, for encoding and decoding', () => {
    let calls = 0;
    const counting = (data: Uint8Array) => {
      calls++;
      return sha256d(data);
    };
    const frame = encodeDmsg('inv', new Uint8Array(0), { sha256d: counting });
    expect(toHex(frame)).toBe(INV_VECTOR);
    decodeDmsg(frame, { sha256d: counting });
    const decoder = new DmsgDecoder({ sha256d: counting });
    decoder.push(concatBytes(frame, frame));
    expect(calls).toBe(4);
    // A hash that disagrees with SHA-256d fails the checksum.
    const wrong = () => new Uint8Array(32);
    expectThrowsCode(() => decodeDmsg(frame, { sha256d: wrong }), DattError, 'BAD_CHECKSUM');
  });
});
