import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatEndpoint,
  formatIp,
  isV4Mapped,
  NatbaseError,
  parseEndpoint,
  parseIp,
} from '../src/index.js';
import { expectCode } from './helpers.js';

describe('addresses (spec §3)', () => {
  it('IPv4 is carried v4-mapped', () => {
    const ip = parseIp('192.0.2.1');
    expect([...ip]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
    expect(isV4Mapped(ip)).toBe(true);
    expect(formatIp(ip)).toBe('192.0.2.1');
    expect(parseIp('::ffff:192.0.2.1')).toEqual(ip);
  });

  it('IPv6 text forms', () => {
    expect(formatIp(parseIp('fc94:0:0:0:0:0:0:1'))).toBe('fc94::1');
    expect(formatIp(parseIp('::1'))).toBe('::1');
    expect(formatIp(parseIp('::'))).toBe('::');
    expect(formatIp(parseIp('2001:db8:0:1:0:0:0:1'))).toBe('2001:db8:0:1::1');
    expect(formatIp(parseIp('ff02:88bb:31e4:95f7:2b87:6b52:e112:19ac'))).toBe(
      'ff02:88bb:31e4:95f7:2b87:6b52:e112:19ac',
    );
    expect(formatIp(parseIp('1:0:1:0:1:0:1:0'))).toBe('1:0:1:0:1:0:1:0');
  });

  it('endpoints', () => {
    expect(formatEndpoint({ ip: parseIp('10.0.0.1'), port: 5582 })).toBe('10.0.0.1:5582');
    expect(formatEndpoint({ ip: parseIp('fe80::1'), port: 5581 })).toBe('[fe80::1]:5581');
    expect(parseEndpoint('[fe80::1]:5581')).toEqual({ ip: parseIp('fe80::1'), port: 5581 });
    expect(parseEndpoint('10.0.0.1:443')).toEqual({ ip: parseIp('10.0.0.1'), port: 443 });
  });

  it('rejects what is not an address with BAD_ADDRESS', () => {
    for (const t of [
      '',
      '1.2.3',
      '1.2.3.256',
      '01.2.3.4',
      '1::2::3',
      '12345::',
      'g::',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8',
      'fe80::1%eth0',
    ]) {
      expectCode(() => parseIp(t), 'BAD_ADDRESS');
    }
    for (const t of ['1.2.3.4', '1.2.3.4:70000', '[::1]', '::1:5', '[::1]:x'])
      expectCode(() => parseEndpoint(t), 'BAD_ADDRESS');
  });

  it('fast-check: any 16 bytes format to text node:net accepts and that parses back', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.boolean(),
        (bytes, mapped) => {
          if (mapped) bytes.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
          const text = formatIp(bytes);
          expect(isIP(text)).not.toBe(0);
          expect(parseIp(text)).toEqual(bytes);
        },
      ),
    );
  });

  it('fast-check: arbitrary text parses to 16 bytes or throws BAD_ADDRESS', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f:.]{0,20}$/), (t) => {
        try {
          const ip = parseIp(t);
          expect(ip.length).toBe(16);
          expect(isIP(t)).not.toBe(0);
        } catch (e) {
          expect(e).toBeInstanceOf(NatbaseError);
        }
      }),
    );
  });
});
