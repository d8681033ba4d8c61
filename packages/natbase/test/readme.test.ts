import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeExamples, runReadmeExample } from '../../../tooling/readme-examples.js';

const dir = fileURLToPath(new URL('..', import.meta.url));
const examples = readmeExamples(dir);

describe('README examples run', () => {
  it('has examples', () => expect(examples.length).toBeGreaterThan(0));
  it.each(examples.map((_, i) => [i]))('example %i', async (i) => {
    await runReadmeExample(dir, i);
  });
});
