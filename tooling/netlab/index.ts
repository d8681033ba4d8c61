// @peerwire/netlab: NAT labs built from network namespaces, for end-to-end tests.

export { LAB_PREFIX, listNamespaces, sweepStale } from './src/cleanup.js';
export {
  type CommandOptions,
  type CommandResult,
  DEFAULT_COMMAND_TIMEOUT_MS,
  MAX_COMMAND_OUTPUT_BYTES,
} from './src/command.js';
export { NetlabError, type NetlabErrorCode } from './src/errors.js';
export {
  type BlockSpec,
  createLab,
  Lab,
  type LabBlock,
  type LabNode,
  type LabOptions,
  NODE_IF,
  type SpawnOptions,
  WAN_BRIDGE,
} from './src/lab.js';
export { type BlockProtocol, ROUTER_LAN_IF, ROUTER_WAN_IF } from './src/nft.js';
export {
  checkLabPrerequisites,
  EXTRA_TOOL_DIRS,
  type PreflightOptions,
  REQUIRED_TOOLS,
  type ToolPaths,
} from './src/preflight.js';
export {
  DEFAULT_WAIT_MS,
  KILL_GRACE_MS,
  LabProcess,
  type LineMatcher,
  MAX_KEPT_LINES,
  type ProcessExit,
  type WaitOptions,
} from './src/process.js';
export {
  type LabSpec,
  MAX_HOSTS_PER_NAT,
  MAX_NATS,
  MAX_PUBLIC_NODES,
  type NatKind,
  type NatSpec,
  NODE_NAME,
  type NodeKind,
  PRIVATE_SPARE_RANGE,
  PUBLIC_SPARE_RANGE,
} from './src/spec.js';
