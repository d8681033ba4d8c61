import { describe, expect, it } from 'vitest';
import { expectThrowsCode } from '../../../tooling/test-helpers.js';
import { BobError, checkEntryName, safeBasename } from '../src/index.js';

describe('received names (spec §12)', () => {
  it('reduces a file name to its last component', () => {
    expect(safeBasename('report.pdf')).toBe('report.pdf');
    expect(safeBasename('../../etc/passwd')).toBe('passwd');
    expect(safeBasename('/tmp/x')).toBe('x');
    expect(safeBasename('C:\\Users\\me\\notes.txt')).toBe('notes.txt');
    expect(safeBasename('dir/')).toBe('dir');
  });

  it('refuses names with nothing usable in them', () => {
    for (const name of ['', '/', '..', '.', 'a/..', 'tab\tname', 'nul\0', 'x'.repeat(256)]) {
      expectThrowsCode(() => safeBasename(name), BobError, 'UNSAFE_PATH');
    }
  });

  it('accepts only plain components in folder trees', () => {
    checkEntryName('ok name (1).txt');
    checkEntryName('.hidden');
    for (const name of ['..', '.', '', 'a/b', 'a\\b', 'bell\u0007']) {
      expectThrowsCode(() => checkEntryName(name), BobError, 'UNSAFE_PATH');
    }
  });
});
