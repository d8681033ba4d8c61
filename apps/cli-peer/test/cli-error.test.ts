import { PeerwireError } from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { CliError } from '../src/cli-error.js';
import { EXIT } from '../src/exit-codes.js';

describe('CliError', () => {
  it('is a PeerwireError whose code follows from its exit code', () => {
    const cases: [number, string][] = [
      [EXIT.failure, 'FAILED'],
      [EXIT.usage, 'USAGE'],
      [EXIT.offline, 'OFFLINE'],
      [EXIT.timeout, 'TIMEOUT'],
      [EXIT.remote, 'REMOTE'],
      [EXIT.wrongPassword, 'WRONG_PASSWORD'],
      [EXIT.rejected, 'REJECTED'],
      [EXIT.paymentRequired, 'PAYMENT_REQUIRED'],
      [99, 'FAILED'],
    ];
    for (const [exit, code] of cases) {
      const e = new CliError('m', exit);
      expect(e).toBeInstanceOf(PeerwireError);
      expect([e.code, e.exitCode]).toEqual([code, exit]);
    }
    expect(new CliError('m').code).toBe('FAILED');
    const cause = new Error('x');
    expect(new CliError('m', EXIT.usage, { cause }).cause).toBe(cause);
  });
});
