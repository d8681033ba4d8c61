// fast-check runs at least 10,000 cases per property unless a test asks for fewer (for
// properties whose single case is expensive) or FC_NUM_RUNS overrides it for a quick local loop.
import fc from 'fast-check';

const runs = Number(process.env.FC_NUM_RUNS ?? 10_000);
fc.configureGlobal({ numRuns: Number.isFinite(runs) && runs > 0 ? runs : 10_000 });
