export { nodePrimitives, nodeRandom } from './primitives.js';
