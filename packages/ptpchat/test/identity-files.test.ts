// @peerwire/ptpchat/node's identity files: the node id (GUID kept, name may change) and pins.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateNodeId, readPinsFile, writePinsFile } from '../src/node/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ptpchat-ids-'));
  dirs.push(d);
  return d;
};

describe('identity files', () => {
  it('creates a node id (0600), keeps its GUID, follows the chosen name', () => {
    const file = join(temp(), 'node-id');
    const first = loadOrCreateNodeId(file, (stored) => stored ?? 'alice');
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`${first.nodeId}\n`);
    const same = loadOrCreateNodeId(file, (stored) => stored ?? 'nobody');
    expect(same).toEqual({ nodeId: first.nodeId, created: false });
    const renamed = loadOrCreateNodeId(file, () => 'hub');
    expect(renamed.nodeId).toBe(first.nodeId.replace(/^alice@/, 'hub@'));
    expect(readFileSync(file, 'utf8').trim()).toBe(renamed.nodeId);
  });

  it('refuses a file that holds no node id, and a bad name, with BAD_NODE_ID', () => {
    const file = join(temp(), 'node-id');
    writeFileSync(file, 'garbage\n');
    expect(() => loadOrCreateNodeId(file, () => 'x')).toThrowError(
      expect.objectContaining({ code: 'BAD_NODE_ID', message: expect.stringContaining(file) }),
    );
    const ok = join(temp(), 'node-id');
    loadOrCreateNodeId(ok, () => 'alice');
    expect(() => loadOrCreateNodeId(ok, () => 'not a name')).toThrowError(
      expect.objectContaining({ code: 'BAD_NODE_ID' }),
    );
  });

  it('writes pins atomically (0600) and reads back what is readable', () => {
    const file = join(temp(), 'pins.json');
    expect(readPinsFile(file)).toEqual({ pins: [] });
    const guid = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    writePinsFile(file, [[guid, Uint8Array.of(1, 2, 3)]]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readPinsFile(file)).toEqual({ pins: [[guid, Uint8Array.of(1, 2, 3)]] });
    writeFileSync(
      file,
      JSON.stringify({ [guid]: 'AQID', 'not-a-guid': 'AQID', [guid.replace('3f', '4f')]: 7 }),
    );
    const partly = readPinsFile(file);
    expect(partly.pins).toEqual([[guid, Uint8Array.of(1, 2, 3)]]);
    expect(partly.problem).toMatch(/2 unreadable/);
    writeFileSync(file, '{');
    expect(readPinsFile(file)).toMatchObject({
      pins: [],
      problem: expect.stringMatching(/not JSON/),
    });
  });
});
