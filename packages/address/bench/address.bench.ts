// parseAddress runs on every routed message; compare it with the least any parser must do
// (splitting at '/' and '.') on the same inputs, in the same run.
import { measureAll, report } from '../../../tooling/bench.js';
import { parseAddress } from '../src/index.js';

const inputs = [
  'k.WbGGmxhIVIK1b5J2VvrqDQLAW1YzKAID7hIOlxQkPvA/6ba7b810-9dad-41d1-80b4-00c04fd430c8',
  'c.4p84.conn-ubzvcl-h7yv-g7pe-tfp6-mddcsqtu/echo',
  '@/idcard_find',
  '/noreply',
];
let i = 0;
let sink = 0;
const r = measureAll({
  parseAddress: () => {
    sink += parseAddress(inputs[i++ & 3]!).target.type.length;
  },
  split: () => {
    const s = inputs[i++ & 3]!;
    const slash = s.indexOf('/');
    sink += s.slice(0, slash).split('.').length + s.slice(slash + 1).length;
  },
});
report('Address parsing (addresses per second, a mix of k., c., @ and /)', [
  {
    name: 'parseAddress (validating)',
    value: r.parseAddress!,
    unit: 'addr/s',
    baseline: r.split!,
    baselineName: 'bare split at / and .',
  },
]);
if (sink === 42) console.log('');
