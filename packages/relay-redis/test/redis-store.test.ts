import { generatePrivateKey, Membership } from '@peerwire/crypto';
import { toBase64Url, utf8Encode } from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { makeIdentity, useClusters, waitFor } from './harness.js';

const clusters = useClusters('s');
const cluster = (count: number, relayLimits = {}) => clusters.cluster(count, { relayLimits });

const key = (s: string) => utf8Encode(s);

describe('RedisRelayStore', () => {
  it('blob quotas hold under concurrent writes through two relays (count and bytes)', async () => {
    const [r0, r1] = await cluster(2);
    const owner = 'o'.repeat(43);
    const quota = { maxBlobs: 10, maxBytes: 1000 };
    const writes = Array.from({ length: 60 }, (_, i) =>
      (i % 2 ? r0 : r1)!.cluster.store.putBlobWithin(
        owner,
        key(`k${i}`),
        new Uint8Array(10),
        quota,
      ),
    );
    const results = await Promise.all(writes);
    expect(results.filter((r) => r === 'ok')).toHaveLength(10);
    expect(results.filter((r) => r === 'too_many')).toHaveLength(50);
    expect(await r0!.cluster.store.blobUsage(owner)).toEqual({ count: 10, bytes: 100 });
    // bytes: replacing counts the difference, a write over the byte quota is refused
    const okKey = key('k0');
    const stored = (await r0!.cluster.store.getBlob(owner, okKey)) ? okKey : key('k1');
    expect(await r1!.cluster.store.putBlobWithin(owner, stored, new Uint8Array(910), quota)).toBe(
      'ok',
    );
    expect(await r0!.cluster.store.blobUsage(owner)).toEqual({ count: 10, bytes: 1000 });
    expect(await r0!.cluster.store.putBlobWithin(owner, stored, new Uint8Array(911), quota)).toBe(
      'too_big',
    );
    expect(await r1!.cluster.store.deleteBlob(owner, stored)).toBe(true);
    expect(await r1!.cluster.store.deleteBlob(owner, stored)).toBe(false);
    expect(await r0!.cluster.store.blobUsage(owner)).toEqual({ count: 9, bytes: 90 });
    // plain putBlob keeps the byte total right too
    await r0!.cluster.store.putBlob(owner, key('plain'), new Uint8Array(5));
    expect(await r0!.cluster.store.blobUsage(owner)).toEqual({ count: 10, bytes: 95 });
  });

  it('pipelined @/store_blob through two relays never passes the quota; fetched through another', async () => {
    const [r0, r1] = await cluster(2, { maxBlobsPerIdentity: 3 });
    const a = await makeIdentity();
    const p0 = await r0!.connect(a);
    const p1 = await r1!.connect(a);
    const ids: Uint8Array[] = [];
    for (let i = 0; i < 8; i++) {
      const payload = new Uint8Array([...key(`key${i}`), 0, ...key(`value${i}`)]);
      ids.push(await (i % 2 ? p0 : p1).sendSigned('@/store_blob', payload));
    }
    await waitFor(() => ids.every((id, i) => (i % 2 ? p0 : p1).reply(id) !== undefined));
    const flags = ids.map((id, i) => (i % 2 ? p0 : p1).reply(id)!.flags);
    expect(flags.filter((f) => f === 5n)).toHaveLength(3);
    expect(flags.filter((f) => f === 7n)).toHaveLength(5);
    expect((await r0!.cluster.store.blobUsage(a.hash)).count).toBe(3);
    const okIndex = flags.indexOf(5n);
    const fetch = await p0.sendSigned('@/fetch_blob', key(`key${okIndex}`));
    await waitFor(() => p0.reply(fetch) !== undefined);
    expect(new TextDecoder().decode(p0.reply(fetch)!.body)).toBe(`value${okIndex}`);
  });

  it('idcard_find answers from any relay; idcard_update reaches a subscriber on another relay', async () => {
    const [r0, r1] = await cluster(2);
    const a = await makeIdentity();
    const watcher = await makeIdentity();
    await r0!.connect(a);
    const pw = await r1!.connect(watcher);
    const { fromBase64Url } = await import('@peerwire/wire');
    const find = await pw.sendSigned('@/idcard_find', fromBase64Url(a.hash));
    await waitFor(() => pw.reply(find) !== undefined);
    expect(pw.reply(find)!.flags).toBe(5n);
    expect(pw.reply(find)!.body).toEqual(a.blob);
    // a comes back through r0 with a newer card: the watcher on r1 is pushed it
    a.card.issued += 10;
    a.blob = await a.card.sign(a.self);
    await r0!.connect(a);
    await waitFor(() => pw.messages.some((m) => m.recipient === `k.${watcher.hash}/idcard_update`));
    const push = pw.messages.find((m) => m.recipient === `k.${watcher.hash}/idcard_update`)!;
    expect(push.body).toEqual(a.blob);
  });

  it('a membership registered through one relay is listed and routed by another', async () => {
    const [r0, r1] = await cluster(2);
    const admin = await makeIdentity();
    const member = await makeIdentity();
    const groupKey = await generatePrivateKey('P-256');
    const pa = await r0!.connect(admin);
    const pm = await r1!.connect(member);
    const m = Membership.create(member.card.self, groupKey.publicKey, { now: 1_700_000_000 });
    await m.sign(groupKey);
    const upd = await pa.sendSigned('@/group_update', m.encode());
    await waitFor(() => pa.reply(upd) !== undefined);
    expect(pa.reply(upd)!.flags).toBe(5n);
    // r1 hears of it, re-challenges the member with grp, and the member's card now has it
    await waitFor(() => (member.card.groups?.length ?? 0) === 1, 5000, 'grp refresh');
    const list = await pm.sendSigned('@/group_list', groupKey.publicKey.pkix);
    await waitFor(() => pm.reply(list) !== undefined);
    expect(toBase64Url(pm.reply(list)!.body)).toBe(member.hash);
    expect((await r1!.cluster.store.listMemberships()).map((x) => x.subject)).toEqual([
      member.hash,
    ]);
  });
});
