// The Node layer's IPv6 link-local helpers (§10): scopes of fe80:: peers, the IPv6 group's socket.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../src/index.js';
import { isLinkLocal, LinkLocalScopes } from '../../src/node/index.js';
import { Ipv6Discovery } from '../../src/node/link-local.js';

const at = (ip: string) => ({ ip: parseIp(ip), port: 5582 });

describe('LinkLocalScopes', () => {
  it('keeps the scope a link-local source was heard with and adds it to datagrams back', () => {
    const s = new LinkLocalScopes();
    expect(s.address(at('fe80::1'))).toBeUndefined(); // no scope heard: cannot be reached
    s.learn('fe80::1%eth0');
    expect(s.address(at('fe80::1'))).toBe('fe80::1%eth0');
    s.learn('FE80::1%eth1'); // the same address on another interface: the latest wins
    expect(s.address(at('fe80::1'))).toBe('fe80::1%eth1');
    expect(s.address(at('fe80::2'))).toBeUndefined();
  });

  it('other addresses need no scope and are not remembered', () => {
    const s = new LinkLocalScopes();
    s.learn('10.0.1.11');
    s.learn('2001:db8::1%eth0');
    s.learn('fe80::1'); // no scope given
    expect(s.size).toBe(0);
    expect(s.address(at('10.0.1.11'))).toBe('10.0.1.11');
    expect(s.address(at('2001:db8::1'))).toBe('2001:db8::1');
  });

  it('holds at most `limit` addresses, forgetting the oldest heard', () => {
    const s = new LinkLocalScopes(2);
    s.learn('fe80::1%a');
    s.learn('fe80::2%b');
    s.learn('fe80::1%a'); // heard again: now the newest
    s.learn('fe80::3%c');
    expect(s.size).toBe(2);
    expect(s.address(at('fe80::2'))).toBeUndefined();
    expect(s.address(at('fe80::1'))).toBe('fe80::1%a');
    expect(s.address(at('fe80::3'))).toBe('fe80::3%c');
  });

  it('fast-check: any source string is taken or ignored without throwing, within the limit', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 30 }), (xs) => {
        const s = new LinkLocalScopes(8);
        for (const x of xs) s.learn(x);
        expect(s.size).toBeLessThanOrEqual(8);
      }),
    );
  });

  it('isLinkLocal is fe80::/10', () => {
    for (const ok of ['fe80::1', 'febf::1']) expect(isLinkLocal(parseIp(ok))).toBe(true);
    for (const no of ['fec0::1', 'fe7f::1', '2001:db8::1', '10.0.0.1', 'ff02::1'])
      expect(isLinkLocal(parseIp(no))).toBe(false);
  });
});

describe('Ipv6Discovery (bound on ::1)', () => {
  it('a join that fails is reported once per interface and error and does not stop the socket', async () => {
    const errors: Error[] = [];
    const d = await Ipv6Discovery.open(
      0,
      (e) => errors.push(e),
      () => ['nosuchif0', 'nosuchif1'],
      '::1',
    );
    try {
      d.refresh();
      d.refresh();
      expect(d.interfaces).toEqual([]);
      expect(errors.map((e) => (e as { code?: string }).code)).toEqual([
        'LISTEN_FAILED',
        'LISTEN_FAILED',
      ]);
      expect(errors.map((e) => e.message).join('\n')).toMatch(/nosuchif0[\s\S]*nosuchif1/);
      d.announce(new Uint8Array(18), 5581); // nothing joined: nothing sent, nothing thrown
    } finally {
      await d.close();
    }
  });
});
