import { PeerwireError } from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { PtpchatError } from '../src/index.js';

describe('PtpchatError', () => {
  it('is a PeerwireError with a stable code and a cause', () => {
    const cause = new Error('inner');
    const e = new PtpchatError('BAD_JSON', 'not JSON', { cause });
    expect(e).toBeInstanceOf(PeerwireError);
    expect(e.code).toBe('BAD_JSON');
    expect(e.name).toBe('PtpchatError');
    expect(e.cause).toBe(cause);
  });
});
