import { describe, expect, it } from 'vitest';
import {
  decodeMulticast,
  encodeMulticast,
  formatIp,
  isAcceptableMulticastSource,
  MULTICAST_GROUPS,
  MULTICAST_PORT,
  parseIp,
} from '../src/index.js';
import {
  cat,
  expectCode,
  roundTripOrTypedError,
  sizedBytes,
  testIdentity,
  u16le,
} from './helpers.js';

const id = testIdentity(1).deviceId;

describe('link-local discovery datagram (spec §10)', () => {
  it('is sourcePort(u16 LE) ‖ deviceId(16), 18 bytes, unsigned', () => {
    const bytes = encodeMulticast({ port: 5582, deviceId: id });
    expect(bytes).toEqual(cat(u16le(5582), id));
    expect(bytes.length).toBe(18);
    expect(decodeMulticast(bytes)).toEqual({ port: 5582, deviceId: id });
  });
  it('groups and port', () => {
    expect(MULTICAST_PORT).toBe(5581);
    expect(MULTICAST_GROUPS.map(formatIp)).toEqual([
      'ff02:88bb:31e4:95f7:2b87:6b52:e112:19ac',
      '224.3.252.148',
    ]);
  });
  it('is accepted only from link-local or private IPv4 sources', () => {
    for (const ok of [
      'fe80::1',
      'febf::1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.9',
      '169.254.1.1',
    ])
      expect(isAcceptableMulticastSource(parseIp(ok))).toBe(true);
    for (const no of [
      'fec0::1',
      '2001:db8::1',
      '::1',
      '127.0.0.1',
      '172.32.0.1',
      '8.8.8.8',
      'fc94::1',
    ])
      expect(isAcceptableMulticastSource(parseIp(no))).toBe(false);
  });
  it('strict length; encoder checks fields', () => {
    for (const n of [0, 17, 19]) expectCode(() => decodeMulticast(new Uint8Array(n)), 'BAD_LENGTH');
    expectCode(() => encodeMulticast({ port: 65536, deviceId: id }), 'BAD_VALUE');
    expectCode(() => encodeMulticast({ port: 1, deviceId: new Uint8Array(14) }), 'BAD_VALUE');
  });
  it('fast-check: arbitrary bytes re-encode identically or give a NatbaseError', () => {
    roundTripOrTypedError(sizedBytes([0, 0x16, 0xff], [18]), decodeMulticast, encodeMulticast);
  });
});
