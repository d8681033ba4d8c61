// Types of hash-wasm's Adler-32-only build (a UMD file; the package declares only its root entry).
declare module 'hash-wasm/dist/adler32.umd.min.js' {
  const build: { readonly createAdler32: typeof import('hash-wasm').createAdler32 };
  export default build;
}
