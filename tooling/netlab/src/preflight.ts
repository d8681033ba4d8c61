// What a lab needs from the machine, checked before anything is created.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { NetlabError } from './errors.js';

/** The programs a lab runs, and the Debian/Ubuntu package that provides each. */
export const REQUIRED_TOOLS = {
  ip: 'iproute2',
  nft: 'nftables',
  sysctl: 'procps',
} as const;

export type ToolName = keyof typeof REQUIRED_TOOLS;
export type ToolPaths = Readonly<Record<ToolName, string>>;

/** Directories searched after PATH (root's tools live in sbin, which a user's PATH may lack). */
export const EXTRA_TOOL_DIRS: readonly string[] = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export interface PreflightOptions {
  /** The effective uid to check; default `process.geteuid()`. */
  readonly uid?: number;
  /** The directories searched for the tools; default PATH followed by {@link EXTRA_TOOL_DIRS}. */
  readonly searchPath?: readonly string[];
}

function findTool(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Checks that this process can build a lab: root, and `ip`, `nft` and `sysctl` installed. Returns
 * the tools' paths; throws a {@link NetlabError} that names exactly what is missing.
 */
export function checkLabPrerequisites(options: PreflightOptions = {}): ToolPaths {
  const problems: string[] = [];
  const uid = options.uid ?? process.geteuid?.() ?? -1;
  const dirs = options.searchPath ?? [
    ...(process.env.PATH ?? '').split(delimiter),
    ...EXTRA_TOOL_DIRS,
  ];
  const found: Partial<Record<ToolName, string>> = {};
  const missing: string[] = [];
  for (const [tool, pkg] of Object.entries(REQUIRED_TOOLS) as [ToolName, string][]) {
    const path = findTool(tool, dirs);
    if (path === undefined) missing.push(`\`${tool}\` (apt package ${pkg})`);
    else found[tool] = path;
  }
  if (uid !== 0) {
    problems.push(
      `netlab must run as root (uid 0) to create network namespaces, but runs as uid ${uid}`,
    );
  }
  if (missing.length > 0) {
    problems.push(
      `netlab needs ${missing.join(', ')}, not found in ${dirs.filter((d) => d !== '').join(delimiter)}`,
    );
  }
  if (problems.length > 0) {
    throw new NetlabError(
      uid !== 0 ? 'NETLAB_NOT_ROOT' : 'NETLAB_MISSING_TOOL',
      `cannot build a NAT lab: ${problems.join('; ')}`,
    );
  }
  return found as ToolPaths;
}
