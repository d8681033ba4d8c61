// createLab: namespaces, veth pairs, bridges and nftables laid out from a LabSpec.
import { spawn } from 'node:child_process';
import {
  destroyNamespace,
  destroyNamespaceSync,
  newLabId,
  registerOpenLab,
  sweepStale,
  unregisterOpenLab,
} from './cleanup.js';
import { type CommandOptions, type CommandResult, describeCommand, run } from './command.js';
import { NetlabError } from './errors.js';
import {
  type BlockProtocol,
  blockRule,
  ROUTER_LAN_IF,
  ROUTER_WAN_IF,
  routerRuleset,
  wanRuleset,
} from './nft.js';
import { checkLabPrerequisites, type PreflightOptions, type ToolPaths } from './preflight.js';
import { LabProcess } from './process.js';
import {
  isIpv4,
  type LabSpec,
  type NatKind,
  type NodeKind,
  natPrivateAddress,
  type PlannedNode,
  PRIVATE_PREFIX_LENGTH,
  PRIVATE_SPARE_RANGE,
  PUBLIC_PREFIX,
  PUBLIC_PREFIX_LENGTH,
  PUBLIC_SPARE_RANGE,
  planLab,
} from './spec.js';

/** The interface of a public node or host (its one link). */
export const NODE_IF = 'eth0';
/** The public segment's bridge, in the lab's `wan` namespace (which has no address at all). */
export const WAN_BRIDGE = 'br0';

export interface LabOptions {
  /** Timeout for each command the lab runs while building or changing itself. */
  readonly commandTimeoutMs?: number;
  /** Passed to {@link checkLabPrerequisites}. */
  readonly preflight?: PreflightOptions;
}

/** What a node looks like now (addresses change with `changeAddress`). */
export interface LabNode {
  readonly name: string;
  readonly kind: NodeKind;
  /** The network namespace it lives in (`ip netns exec <ns> ...`). */
  readonly ns: string;
  /** Public node: its address. NAT: its public address. Host: its private address. */
  readonly address: string;
  /**
   * The address the public segment sees: a public node's or NAT's own address; for a host, its
   * NAT's public address.
   */
  readonly publicAddress: string;
  /** Hosts: the NAT they sit behind. */
  readonly nat?: string;
  /** NATs: their kind. */
  readonly natKind?: NatKind;
  /** NATs: their hosts. */
  readonly hosts?: readonly string[];
  /** NATs: the router's private-side address (the hosts' gateway). */
  readonly gateway?: string;
}

export interface BlockSpec {
  /** A host (blocked at its NAT router) or a public node (blocked on the public segment). */
  readonly from: string;
  /** A destination address, or a node name (its `publicAddress`). Default: every destination. */
  readonly to?: string;
  /** Default 'udp'. 'all' drops every IPv4 packet. */
  readonly protocol?: BlockProtocol;
  /** Only this destination port (udp/tcp only). */
  readonly port?: number;
}

export interface LabBlock {
  /** The rule as loaded into nftables. */
  readonly rule: string;
  /** How many packets the rule has dropped so far. */
  dropped(): Promise<number>;
  /** Removes the rule (idempotent). */
  remove(): Promise<void>;
}

export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

interface NodeState {
  readonly plan: PlannedNode;
  readonly ns: string;
  address: string;
  /** The MAC address of its link (eth0, or wan0 for a router). */
  readonly mac: string;
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Builds a lab from `spec`. Rejects (never skips) when the machine cannot build it. */
export async function createLab(spec: LabSpec, options: LabOptions = {}): Promise<Lab> {
  const tools = checkLabPrerequisites(options.preflight);
  const plan = planLab(spec);
  try {
    await sweepStale(undefined, tools.ip);
  } catch {
    // Leftovers of dead labs are someone else's problem if they cannot be removed now.
  }
  const lab = new Lab(newLabId(), plan, tools, options.commandTimeoutMs);
  try {
    await lab.build();
  } catch (error) {
    await lab.close().catch(() => undefined);
    throw error;
  }
  return lab;
}

export class Lab {
  /** The lab's id, `nl-<pid>-<hex>`: the prefix of every namespace it owns. */
  readonly id: string;
  readonly #tools: ToolPaths;
  readonly #timeoutMs: number | undefined;
  readonly #nodes = new Map<string, NodeState>();
  readonly #wanNs: string;
  /** Namespaces created so far (what close() deletes). */
  readonly #created: string[] = [];
  readonly #processes = new Set<LabProcess>();
  #closing: Promise<void> | undefined;

  /** @internal use {@link createLab}. */
  constructor(id: string, plan: readonly PlannedNode[], tools: ToolPaths, timeoutMs?: number) {
    this.id = id;
    this.#tools = tools;
    this.#timeoutMs = timeoutMs;
    this.#wanNs = `${id}-wan`;
    let publicIndex = 0;
    for (const node of plan) {
      const natNumber =
        node.kind === 'nat' ? node.index : node.kind === 'host' ? this.#natNumber(plan, node) : 0;
      const mac =
        node.kind === 'public'
          ? `02:6e:6c:01:00:${hex2(publicIndex++)}`
          : node.kind === 'nat'
            ? `02:6e:6c:03:00:${hex2(natNumber)}`
            : `02:6e:6c:02:${hex2(natNumber)}:${hex2(node.index)}`;
      this.#nodes.set(node.name, {
        plan: node,
        ns: `${id}-${node.name}`,
        address: node.address,
        mac,
      });
    }
  }

  #natNumber(plan: readonly PlannedNode[], host: PlannedNode): number {
    return plan.find((n) => n.name === host.nat)!.index;
  }

  // ---- building -------------------------------------------------------------------------------

  /** @internal */
  async build(): Promise<void> {
    registerOpenLab(this.id, () => {
      for (const ns of this.#created) destroyNamespaceSync(ns, this.#tools.ip);
    });
    const all = [this.#wanNs, ...[...this.#nodes.values()].map((n) => n.ns)];
    // The first `ip netns add` may have to set up /run/netns; after that they can run together.
    await this.#addNamespace(all[0]!);
    await Promise.all(all.slice(1).map((ns) => this.#addNamespace(ns)));
    await Promise.all(all.map((ns) => this.#prepareNamespace(ns)));
    await this.#ip(this.#wanNs, 'link', 'add', WAN_BRIDGE, 'type', 'bridge', 'mcast_snooping', '0');
    await this.#ip(this.#wanNs, 'link', 'set', WAN_BRIDGE, 'up');
    await this.#nft(this.#wanNs, wanRuleset());
    const nodes = [...this.#nodes.values()];
    await Promise.all(
      nodes.filter((n) => n.plan.kind === 'public').map((n) => this.#buildPublic(n)),
    );
    await Promise.all(nodes.filter((n) => n.plan.kind === 'nat').map((n) => this.#buildNat(n)));
  }

  async #addNamespace(ns: string): Promise<void> {
    await run(this.#tools.ip, ['netns', 'add', ns], this.#cmd());
    this.#created.push(ns);
  }

  async #prepareNamespace(ns: string): Promise<void> {
    const router = [...this.#nodes.values()].some((n) => n.ns === ns && n.plan.kind === 'nat');
    await this.#sysctl(ns, [
      // Addresses are usable at once (no duplicate address detection delay) on links made later.
      'net.ipv6.conf.all.accept_dad=0',
      'net.ipv6.conf.default.accept_dad=0',
      `net.ipv4.ip_forward=${router ? 1 : 0}`,
    ]);
    await this.#ip(ns, 'link', 'set', 'lo', 'up');
  }

  /**
   * A veth pair: `ifname` (with `mac` and the address `cidr`) in `ns`, its peer `port` plugged
   * into `bridge` in `bridgeNs`; both ends up.
   */
  async #plug(
    ns: string,
    ifname: string,
    mac: string,
    cidr: string,
    bridgeNs: string,
    port: string,
    bridge: string,
  ): Promise<void> {
    await this.#ip(
      ns,
      'link',
      'add',
      ifname,
      'address',
      mac,
      'type',
      'veth',
      'peer',
      'name',
      port,
      'netns',
      bridgeNs,
    );
    await this.#ip(bridgeNs, 'link', 'set', port, 'master', bridge, 'up');
    await this.#ip(ns, 'addr', 'add', cidr, 'dev', ifname);
    await this.#ip(ns, 'link', 'set', ifname, 'up');
  }

  async #buildPublic(node: NodeState): Promise<void> {
    const cidr = `${node.address}/${PUBLIC_PREFIX_LENGTH}`;
    await this.#plug(
      node.ns,
      NODE_IF,
      node.mac,
      cidr,
      this.#wanNs,
      `p${node.plan.index}`,
      WAN_BRIDGE,
    );
  }

  async #buildNat(nat: NodeState): Promise<void> {
    const n = nat.plan.index;
    const wanCidr = `${nat.address}/${PUBLIC_PREFIX_LENGTH}`;
    await this.#plug(nat.ns, ROUTER_WAN_IF, nat.mac, wanCidr, this.#wanNs, `n${n}`, WAN_BRIDGE);
    await this.#ip(nat.ns, 'link', 'add', ROUTER_LAN_IF, 'type', 'bridge', 'mcast_snooping', '0');
    await this.#ip(
      nat.ns,
      'addr',
      'add',
      `${natPrivateAddress(n)}/${PRIVATE_PREFIX_LENGTH}`,
      'dev',
      ROUTER_LAN_IF,
    );
    await this.#ip(nat.ns, 'link', 'set', ROUTER_LAN_IF, 'up');
    await this.#nft(nat.ns, routerRuleset(nat.plan.natKind!));
    await Promise.all(
      (nat.plan.hosts ?? []).map(async (hostName) => {
        const host = this.#nodes.get(hostName)!;
        const cidr = `${host.address}/${PRIVATE_PREFIX_LENGTH}`;
        const port = `h${host.plan.index}`;
        await this.#plug(host.ns, NODE_IF, host.mac, cidr, nat.ns, port, ROUTER_LAN_IF);
        await this.#ip(
          host.ns,
          'route',
          'add',
          'default',
          'via',
          natPrivateAddress(n),
          'dev',
          NODE_IF,
        );
      }),
    );
  }

  // ---- looking ----------------------------------------------------------------------------------

  /** Every node, in the order of the spec (public nodes, then each NAT followed by its hosts). */
  nodes(): LabNode[] {
    return [...this.#nodes.keys()].map((name) => this.node(name));
  }

  /** A node's current view. Throws `NETLAB_UNKNOWN_NODE` for a name not in the lab. */
  node(name: string): LabNode {
    const state = this.#state(name);
    const { plan } = state;
    const base = { name, kind: plan.kind, ns: state.ns, address: state.address };
    if (plan.kind === 'host') {
      return { ...base, publicAddress: this.#state(plan.nat!).address, nat: plan.nat! };
    }
    if (plan.kind === 'nat') {
      return {
        ...base,
        publicAddress: state.address,
        natKind: plan.natKind!,
        hosts: plan.hosts ?? [],
        gateway: natPrivateAddress(plan.index),
      };
    }
    return { ...base, publicAddress: state.address };
  }

  /** The namespace of a node. */
  ns(name: string): string {
    return this.#state(name).ns;
  }

  /** A node's own address (see {@link LabNode.address}). */
  address(name: string): string {
    return this.#state(name).address;
  }

  /** The address the public segment sees for a node (see {@link LabNode.publicAddress}). */
  publicAddress(name: string): string {
    return this.node(name).publicAddress;
  }

  // ---- running things ---------------------------------------------------------------------------

  /** Runs `file args` inside a node's namespace and collects its output (rejects on non-zero). */
  exec(
    name: string,
    file: string,
    args: readonly string[] = [],
    options: CommandOptions = {},
  ): Promise<CommandResult> {
    const ns = this.#state(name).ns;
    return run(this.#tools.ip, ['netns', 'exec', ns, file, ...args], options);
  }

  /** Starts `file args` inside a node's namespace. The lab kills it on close at the latest. */
  spawn(
    name: string,
    file: string,
    args: readonly string[] = [],
    options: SpawnOptions = {},
  ): LabProcess {
    const ns = this.#state(name).ns;
    // `ip netns exec` enters the namespace and execs the program: the child's pid is the program's.
    const child = spawn(this.#tools.ip, ['netns', 'exec', ns, file, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ? { ...process.env, ...options.env } : process.env,
      cwd: options.cwd,
    });
    const proc = new LabProcess(name, describeCommand(file, args), child);
    this.#processes.add(proc);
    void proc.exited.then(() => this.#processes.delete(proc));
    return proc;
  }

  /**
   * Starts this process's Node binary inside a node's namespace: a script path, or the full
   * argument list (`['--import', 'tsx', 'x.ts']`, `['-e', code]`).
   */
  spawnNode(
    name: string,
    scriptOrArgs: string | readonly string[],
    options: SpawnOptions = {},
  ): LabProcess {
    const args = typeof scriptOrArgs === 'string' ? [scriptOrArgs] : scriptOrArgs;
    return this.spawn(name, process.execPath, args, options);
  }

  // ---- changing things --------------------------------------------------------------------------

  /**
   * Drops traffic from a host (at its NAT router, before address translation) or from a public
   * node (on the public segment's bridge). Matches the sender's MAC address, so it keeps working
   * after `changeAddress`; `to` is resolved to an address when the rule is added. Traffic between
   * two hosts behind the same NAT never passes the router's IP layer and is not affected.
   */
  async block(spec: BlockSpec): Promise<LabBlock> {
    const from = this.#state(spec.from);
    if (from.plan.kind === 'nat') {
      throw new NetlabError(
        'NETLAB_UNKNOWN_NODE',
        `block: from must be a host or a public node, and ${spec.from} is a NAT`,
      );
    }
    const protocol = spec.protocol ?? 'udp';
    if (
      spec.port !== undefined &&
      (protocol === 'all' || !Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535)
    ) {
      throw new NetlabError(
        'NETLAB_BAD_SPEC',
        `block: port ${spec.port} needs protocol udp or tcp and 1..65535`,
      );
    }
    let to: string | undefined;
    if (spec.to !== undefined) {
      to = this.#nodes.has(spec.to) ? this.publicAddress(spec.to) : spec.to;
      if (!isIpv4(to))
        throw new NetlabError(
          'NETLAB_BAD_SPEC',
          `block: to ${JSON.stringify(spec.to)} is neither a node nor an IPv4 address`,
        );
    }
    const rule = blockRule(from.mac, to, protocol, spec.port);
    const [ns, family, chain] =
      from.plan.kind === 'host'
        ? [this.#state(from.plan.nat!).ns, 'ip', 'blocks']
        : [this.#wanNs, 'bridge', 'forward'];
    const added = await this.#nftCmd(ns, [
      '--echo',
      '--handle',
      'add',
      'rule',
      family,
      'netlab',
      chain,
      ...rule.split(' '),
    ]);
    const handle = /# handle (\d+)/.exec(added.stdout)?.[1];
    if (handle === undefined) {
      throw new NetlabError(
        'NETLAB_COMMAND_FAILED',
        `block: nft did not report the new rule's handle: ${added.stdout}`,
      );
    }
    let removed = false;
    return {
      rule,
      dropped: async () => {
        const listing = await this.#nftCmd(ns, [
          '--handle',
          'list',
          'chain',
          family,
          'netlab',
          chain,
        ]);
        const line = listing.stdout
          .split('\n')
          .find((l) => l.trimEnd().endsWith(`# handle ${handle}`));
        const packets = line === undefined ? undefined : /counter packets (\d+)/.exec(line)?.[1];
        return packets === undefined ? 0 : Number(packets);
      },
      remove: async () => {
        if (removed || this.#closing !== undefined) return;
        removed = true;
        await this.#nftCmd(ns, ['delete', 'rule', family, 'netlab', chain, 'handle', handle]);
      },
    };
  }

  /** Drops UDP from `from` to `to` (every destination when omitted): `block({ from, to })`. */
  blockUdp(from: string, to?: string): Promise<LabBlock> {
    return this.block({ from, ...(to === undefined ? {} : { to }), protocol: 'udp' });
  }

  /**
   * Moves a node to another address while its processes keep running: a host within its private
   * segment, a public node or a NAT's public side within the public segment. Without `address`,
   * the next free spare one is taken. A NAT's old translations die with its old address (Linux
   * masquerade forgets them), as when a home router gets a new address from its provider.
   * Returns the new address.
   */
  async changeAddress(name: string, address?: string): Promise<string> {
    const state = this.#state(name);
    const { plan } = state;
    const isHost = plan.kind === 'host';
    const natNumber = isHost ? this.#state(plan.nat!).plan.index : 0;
    const prefix = isHost ? `10.0.${natNumber}` : PUBLIC_PREFIX;
    const inUse = new Set(
      [...this.#nodes.values()]
        .filter((n) =>
          isHost ? n.plan.kind === 'host' && n.plan.nat === plan.nat : n.plan.kind !== 'host',
        )
        .map((n) => n.address),
    );
    if (isHost) inUse.add(natPrivateAddress(natNumber));
    let next = address;
    if (next === undefined) {
      const range = isHost ? PRIVATE_SPARE_RANGE : PUBLIC_SPARE_RANGE;
      for (let last = range.first; last <= range.last && next === undefined; last++) {
        if (!inUse.has(`${prefix}.${last}`)) next = `${prefix}.${last}`;
      }
      if (next === undefined)
        throw new NetlabError('NETLAB_NO_ADDRESS', `no spare address left in ${prefix}.0/24`);
    } else {
      const lastOctet = Number(next.split('.')[3]);
      if (
        !isIpv4(next) ||
        !next.startsWith(`${prefix}.`) ||
        lastOctet === 0 ||
        lastOctet === 255 ||
        inUse.has(next)
      ) {
        throw new NetlabError(
          'NETLAB_BAD_SPEC',
          `changeAddress: ${next} is not a free address in ${prefix}.0/24`,
        );
      }
    }
    const dev = plan.kind === 'nat' ? ROUTER_WAN_IF : NODE_IF;
    const length = isHost ? PRIVATE_PREFIX_LENGTH : PUBLIC_PREFIX_LENGTH;
    await this.#ip(state.ns, 'addr', 'del', `${state.address}/${length}`, 'dev', dev);
    await this.#ip(state.ns, 'addr', 'add', `${next}/${length}`, 'dev', dev);
    if (isHost) {
      await this.#ip(
        state.ns,
        'route',
        'replace',
        'default',
        'via',
        natPrivateAddress(natNumber),
        'dev',
        NODE_IF,
      );
    }
    state.address = next;
    return next;
  }

  // ---- closing ----------------------------------------------------------------------------------

  /** Kills every process in the lab and deletes every namespace it made. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const proc of this.#processes) void proc.kill('SIGKILL');
      const errors: unknown[] = [];
      for (const ns of [...this.#created].reverse()) {
        try {
          await destroyNamespace(ns, this.#tools.ip);
        } catch (error) {
          errors.push(error);
        }
      }
      await Promise.all([...this.#processes].map((p) => p.exited));
      unregisterOpenLab(this.id);
      if (errors.length > 0) {
        throw new NetlabError(
          'NETLAB_COMMAND_FAILED',
          `lab ${this.id}: ${errors.length} namespace(s) could not be deleted`,
          { cause: errors[0] },
        );
      }
    })();
    return this.#closing;
  }

  // ---- helpers ----------------------------------------------------------------------------------

  #state(name: string): NodeState {
    if (this.#closing !== undefined)
      throw new NetlabError('NETLAB_CLOSED', `lab ${this.id} is closed`);
    const state = this.#nodes.get(name);
    if (state === undefined) {
      throw new NetlabError(
        'NETLAB_UNKNOWN_NODE',
        `lab ${this.id} has no node ${JSON.stringify(name)}; it has ${[...this.#nodes.keys()].join(', ')}`,
      );
    }
    return state;
  }

  #cmd(extra: CommandOptions = {}): CommandOptions {
    return this.#timeoutMs === undefined ? extra : { timeoutMs: this.#timeoutMs, ...extra };
  }

  #ip(ns: string, ...args: string[]): Promise<CommandResult> {
    return run(this.#tools.ip, ['-n', ns, ...args], this.#cmd());
  }

  #sysctl(ns: string, settings: readonly string[]): Promise<CommandResult> {
    return run(
      this.#tools.ip,
      ['netns', 'exec', ns, this.#tools.sysctl, '-q', '-w', ...settings],
      this.#cmd(),
    );
  }

  #nft(ns: string, ruleset: string): Promise<CommandResult> {
    return run(
      this.#tools.ip,
      ['netns', 'exec', ns, this.#tools.nft, '-f', '-'],
      this.#cmd({ input: ruleset }),
    );
  }

  #nftCmd(ns: string, args: readonly string[]): Promise<CommandResult> {
    return run(this.#tools.ip, ['netns', 'exec', ns, this.#tools.nft, ...args], this.#cmd());
  }
}
