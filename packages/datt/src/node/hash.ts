// SHA-256 through node:crypto for the Node entry point: several times faster than the portable
// pure-JS one on the DMsg hot path (one checksum per message sent and received).
import { hash } from 'node:crypto';
import type { HashFunction } from '../hash.js';

function sha256Buffer(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer');
}

/** SHA-256 with `node:crypto` (a plain `Uint8Array` view of the digest). */
export const nodeSha256: HashFunction = (data) => {
  const d = sha256Buffer(data);
  return new Uint8Array(d.buffer, d.byteOffset, d.length);
};

/** SHA-256(SHA-256(data)) with `node:crypto`: pass it as `sha256d` to the DMsg codecs and `DattEngine`. */
export const nodeSha256d: HashFunction = (data) => {
  const d = sha256Buffer(sha256Buffer(data));
  return new Uint8Array(d.buffer, d.byteOffset, d.length);
};
