// Compact signatures through libsecp256k1 compiled to WebAssembly (tiny-secp256k1, bitcoinjs's
// library): the same bytes as the portable noble backend, several times faster. Node only here:
// in a browser the package needs a bundler that loads .wasm modules.
import * as ecc from 'tiny-secp256k1';
import type { CompactBackend } from '../bsm.js';

/** libsecp256k1 (WebAssembly) for `signCompact`, `VerifyOptions.backend` and `DattEngine`. */
export const nodeCompact: CompactBackend = {
  sign: (hash, privateKey) => ecc.signRecoverable(hash, privateKey),
  recover(hash, signature, recoveryId) {
    try {
      return ecc.recover(hash, signature, recoveryId as 0 | 1 | 2 | 3, true);
    } catch {
      return null;
    }
  },
};
