import { describe, expect, it } from 'vitest';
import { randomCode } from '../src/server.js';

describe('randomCode (the server code when none is configured)', () => {
  it('is 4 lower-case base32 characters, every one of the 32 reachable', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = randomCode();
      expect(code).toMatch(/^[a-z2-7]{4}$/);
      for (const c of code) seen.add(c);
    }
    // 8000 draws of 32 symbols: missing one has probability ~32·(31/32)^8000, about 1e-109.
    expect(seen.size).toBe(32);
  });
});
