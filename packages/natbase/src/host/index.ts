export type { HostAgentLimits } from '../limits.js';
export { DEFAULT_HOST_AGENT_LIMITS } from '../limits.js';
export type { HostAgentOptions } from './host-agent.js';
export { HostAgent } from './host-agent.js';
export type {
  HostAgentAction,
  HostAgentEvent,
  HostAgentStats,
  HostConnectionId,
  HostDropReason,
  PathKind,
  PeerPath,
} from './types.js';
