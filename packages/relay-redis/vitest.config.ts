export { default } from '../../tooling/vitest.preset.js';
