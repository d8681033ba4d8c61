// Assertions shared by the packages' tests.
import { expect } from 'vitest';

interface CodedError {
  readonly code: string;
}

/** Asserts that `fn` throws an instance of `type` whose `code` is `code`; returns the error. */
export function expectThrowsCode<E extends Error & CodedError>(
  fn: () => unknown,
  type: abstract new (...args: never[]) => E,
  code: string,
): E {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${type.name} with code ${code}, but nothing was thrown`).toBeInstanceOf(
    type,
  );
  expect((caught as E).code).toBe(code);
  return caught as E;
}

/** Same for async functions. */
export async function expectRejectsCode<E extends Error & CodedError>(
  fn: () => Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  code: string,
): Promise<E> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${type.name} with code ${code}, but nothing was thrown`).toBeInstanceOf(
    type,
  );
  expect((caught as E).code).toBe(code);
  return caught as E;
}

/**
 * Runs `fn` and, if it throws, requires the error to be an instance of `type` (the package's
 * typed error). Returns the value, or undefined when it threw. For "garbage in gives a value or
 * a typed error" properties.
 */
export function valueOrTypedError<T>(
  fn: () => T,
  type: abstract new (...args: never[]) => Error,
): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof type)) {
      throw new Error(`expected only ${type.name}, got ${String(error)}`, { cause: error });
    }
    return undefined;
  }
}
