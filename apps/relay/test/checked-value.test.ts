import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openValue, sealValue } from '../src/checked-value.js';

describe('checked values', () => {
  it('a sealed value opens to itself under its key only', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.uint8Array(), (key, other, value) => {
        const sealed = sealValue(key, value);
        expect(openValue(key, sealed)).toEqual(value);
        if (other !== key) expect(openValue(other, sealed)).toBeUndefined();
      }),
    );
  });

  it('arbitrary bytes open to undefined or to a value that seals back to the same bytes', () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array(), (key, bytes) => {
        const value = openValue(key, bytes);
        if (value !== undefined) expect(sealValue(key, value)).toEqual(new Uint8Array(bytes));
      }),
    );
  });

  it('any flipped bit is caught', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (value, at, bit) => {
          const sealed = sealValue('k', value);
          sealed[at % sealed.length]! ^= 1 << bit;
          expect(openValue('k', sealed)).toBeUndefined();
        },
      ),
    );
  });
});
