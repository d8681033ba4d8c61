// The few sodium-native (libsodium N-API bindings, CommonJS) functions natbase uses.
declare module 'sodium-native' {
  interface Sodium {
    crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
    crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
  }
  const sodium: Sodium;
  export default sodium;
}
