import { PeerwireError } from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { NatbaseError } from '../src/index.js';

describe('NatbaseError', () => {
  it('is a PeerwireError with a stable code and a cause', () => {
    const cause = new Error('inner');
    const e = new NatbaseError('BAD_LENGTH', 'short', { cause });
    expect(e).toBeInstanceOf(PeerwireError);
    expect(e.code).toBe('BAD_LENGTH');
    expect(e.name).toBe('NatbaseError');
    expect(e.cause).toBe(cause);
  });
});
