#!/usr/bin/env node
// Placeholder until the Spot relay lands (issue 4): says so and exits successfully.
console.log(
  'peerwire-relay: the relay daemon is not implemented yet; the wire and address packages are ready. See README.md.',
);
