// The layer rule of DESIGN.md as Biome `noRestrictedImports` overrides, one per package.
// `node tooling/scripts/layers.mjs` writes tooling/biome-layers.json (extended by biome.json);
// `--check` fails when that file is out of date (run by `pnpm lint`).
import { readFileSync, writeFileSync } from 'node:fs';

/** What each package's src/ may import from @peerwire (besides itself). */
const BELOW = {
  wire: [],
  address: ['wire'],
  crypto: ['wire', 'address'],
  transport: ['wire'],
  relay: ['wire', 'address', 'crypto'],
  'relay-redis': ['wire', 'address', 'crypto', 'relay'],
  client: ['wire', 'address', 'crypto'],
  bob: ['wire', 'address', 'crypto'],
  ptpchat: ['wire', 'address', 'crypto'],
  natbase: ['wire', 'address', 'crypto'],
  datt: ['wire', 'address', 'crypto'],
};
/** Packages that are I/O (no sans-I/O core with a separate `./node` entry). */
const BASE = new Set(['wire', 'address', 'crypto', 'transport', 'relay-redis']);

const names = (list) => list.map((p) => `@peerwire/${p}`).join(', ');
const restrict = (allowed, message) => ({
  linter: {
    rules: {
      style: {
        noRestrictedImports: {
          level: 'error',
          options: {
            patterns: [
              {
                group: [
                  '@peerwire/*',
                  '@peerwire/*/**',
                  ...allowed.flatMap((p) => [`!@peerwire/${p}`, `!@peerwire/${p}/node`]),
                ],
                message,
              },
              {
                group: ['@peerwire/*/src/**', '@peerwire/*/dist/**'],
                message:
                  'import a package through its exports map, never its src/ or dist/ (DESIGN.md)',
              },
            ],
          },
        },
      },
    },
  },
});

const overrides = [];
for (const [pkg, allowed] of Object.entries(BELOW)) {
  const core = BASE.has(pkg)
    ? [`packages/${pkg}/src/**`]
    : [`packages/${pkg}/src/**`, `!packages/${pkg}/src/node/**`];
  const what = allowed.length
    ? `may import only ${names(allowed)}`
    : 'imports no other @peerwire package';
  overrides.push({
    includes: core,
    ...restrict(allowed, `@peerwire/${pkg} ${what} (DESIGN.md layers)`),
  });
  if (!BASE.has(pkg)) {
    const io = [...allowed, pkg, 'transport'];
    const message = `@peerwire/${pkg}/node may import ${names(io)} (its core, the transports and the layers below; DESIGN.md)`;
    overrides.push({ includes: [`packages/${pkg}/src/node/**`], ...restrict(io, message) });
  }
}

const file = new URL('../biome-layers.json', import.meta.url);
const text = `${JSON.stringify({ overrides }, null, 2)}\n`;
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== text) {
    console.error(
      'tooling/biome-layers.json is out of date: run `node tooling/scripts/layers.mjs`',
    );
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
}
