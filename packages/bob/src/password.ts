import type { RandomSource } from './spoke.js';

const ONSETS = [
  'b',
  'c',
  'd',
  'f',
  'g',
  'h',
  'j',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'w',
  'z',
  'bl',
  'br',
  'ch',
  'dr',
  'fr',
  'gr',
  'pl',
  'pr',
  'sh',
  'st',
  'th',
  'tr',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou'];
const CODAS = ['', 'l', 'm', 'n', 'r', 's', 't'];

/** Default syllables per part: 2 parts × 3 syllables + codas ≈ 53 bits. */
export const DEFAULT_SYLLABLES_PER_PART = 3;

export interface PasswordOptions {
  /** Syllables in each of the two parts (default {@link DEFAULT_SYLLABLES_PER_PART}, at least 1). */
  readonly syllablesPerPart?: number;
}

/** A uniform index below `n` from a CSPRNG (rejection sampling, no modulo bias). */
function pick(random: RandomSource, n: number): number {
  const limit = 65536 - (65536 % n);
  for (;;) {
    const b = random(2);
    const v = (b[0]! << 8) | b[1]!;
    if (v < limit) return v % n;
  }
}

/** Bits of entropy of a generated password with these options. */
export function passwordEntropyBits(options: PasswordOptions = {}): number {
  const n = options.syllablesPerPart ?? DEFAULT_SYLLABLES_PER_PART;
  const perPart = n * Math.log2(ONSETS.length * VOWELS.length) + Math.log2(CODAS.length);
  return 2 * perPart;
}

/**
 * A password in bob's style, two pronounceable syllable chains joined by `-` (like
 * `wei-widwagamboostu`), but drawn from a CSPRNG (spec §12): every syllable is uniform over the
 * tables, so the entropy is exact (`passwordEntropyBits`). bob's own generator uses OCaml's
 * non-cryptographic `Random`; the password is only a shared string, so interop does not depend on
 * the format.
 */
export function generatePassword(random: RandomSource, options: PasswordOptions = {}): string {
  const n = options.syllablesPerPart ?? DEFAULT_SYLLABLES_PER_PART;
  if (!Number.isInteger(n) || n < 1 || n > 16)
    throw new RangeError('syllablesPerPart must be 1 to 16');
  const part = () => {
    let s = '';
    for (let i = 0; i < n; i++)
      s += ONSETS[pick(random, ONSETS.length)]! + VOWELS[pick(random, VOWELS.length)]!;
    return s + CODAS[pick(random, CODAS.length)]!;
  };
  return `${part()}-${part()}`;
}
