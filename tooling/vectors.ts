// Loads a reference vector file from tooling/vectors (a verbatim copy of shared/vectors).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function loadVectors<T = unknown>(relativePath: string): T {
  const url = new URL(`./vectors/${relativePath}`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as T;
}
