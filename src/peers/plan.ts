/**
 * The region-aware peering planner (pure).
 *
 * Rule (Pharos' "flying shuttle", kept): a node peers with every other node — Weave builds a
 * full mesh — over the address that reaches it: within its own region the private address
 * (InternalIP, else ExternalIP, else the external-ip label); across regions the public address
 * (ExternalIP, else the external-ip label). `weave.known_peers` (other clusters) are added to
 * every list. Nodes without a region label form one region of their own.
 *
 * Cost. Every node in a region gets the same list except for its own addresses, so the index
 * keeps one list per region (private addresses of that region plus public addresses of every
 * other region, plus the known peers) and derives a node's list by dropping its own addresses:
 * O(n) per node. The index keeps counted address sets per region, so a node event costs O(1) to
 * apply plus O(R) to note, in each region list already built, which addresses it touched (a
 * changed private address touches its own region's list, a changed public address every list).
 * When a list is next read, each touched address is checked (is it still wanted?) and inserted
 * into or removed from the sorted list by binary search; only a list that was never built, or
 * that collected more than `MAX_PENDING` touched addresses unread, is rebuilt and sorted.
 * A node event that changes nothing the plan reads (heartbeats, conditions) changes nothing.
 */
import {
  crossRegionAddress,
  EXTERNAL_IP_LABEL,
  type PeerNode,
  REGION_LABEL,
  samePeerNode,
  sameRegionAddress,
} from './node.ts';

export type FindingKind =
  | 'unknown-node'
  | 'no-address'
  | 'no-public-address'
  | 'no-region'
  | 'duplicate-address';

/** Something about the nodes that makes the mesh incomplete or ambiguous. */
export interface Finding {
  kind: FindingKind;
  /** The node concerned (absent for duplicate-address, which names `nodes`). */
  node?: string;
  nodes?: string[];
  address?: string;
  message: string;
}

/** One node's plan. `peers` is undefined when the node itself is not among the nodes. */
export interface NodePlan {
  peers: string[] | undefined;
  findings: Finding[];
}

/** Every node's peers, keyed by node name in name order. */
export interface ClusterPlan {
  peers: Record<string, string[]>;
  findings: Finding[];
}

/** A node as the region plan states it: the address each side dials. */
export interface PlannedNode {
  name: string;
  /** What nodes of its own region dial (InternalIP, else ExternalIP, else the external-ip label). */
  private?: string;
  /** What nodes of other regions dial (ExternalIP, else the external-ip label). */
  public?: string;
  /** Its other addresses, never in its own list (e.g. an external-ip label beside an ExternalIP). */
  also?: string[];
}

/** One region of the plan. Nodes without a region label form region "". */
export interface PlannedRegion {
  region: string;
  /** Its nodes, by name. */
  nodes: PlannedNode[];
  /** The private mesh: its nodes' private addresses, sorted, de-duplicated. */
  private: string[];
  /** Its nodes' public addresses, sorted, de-duplicated: what every other region dials. */
  public: string[];
}

/**
 * The whole cluster's plan in linear size: each region's private mesh and public addresses,
 * stated once. A node of region R peers with R's `private` addresses, every other region's
 * `public` addresses and `knownPeers`, never with its own addresses (`private`, `public`,
 * `also`): exactly `PeerIndex.peersOf`, without writing n lists of ~n addresses.
 */
export interface RegionPlan {
  knownPeers: string[];
  regions: PlannedRegion[];
  findings: Finding[];
}

/** Key of the region of nodes that have no region label. */
const NO_REGION = '';

/** A multiset of addresses: two nodes may (wrongly) share one. */
class Counted {
  readonly counts = new Map<string, number>();
  add(a: string | undefined): void {
    if (a !== undefined) this.counts.set(a, (this.counts.get(a) ?? 0) + 1);
  }
  remove(a: string | undefined): void {
    if (a === undefined) return;
    const n = (this.counts.get(a) ?? 0) - 1;
    if (n <= 0) this.counts.delete(a);
    else this.counts.set(a, n);
  }
  get(a: string): number {
    return this.counts.get(a) ?? 0;
  }
}

interface Region {
  nodes: Set<string>;
  /** Same-region addresses of this region's nodes. */
  same: Counted;
  /** Cross-region addresses of this region's nodes. */
  cross: Counted;
  /** The region's list (own addresses not yet removed), sorted; undefined until first built. */
  list?: string[];
  /** Addresses whose membership in `list` may have changed since it was last brought up to date. */
  pending: Set<string>;
}

/**
 * A built list that collected more touched addresses than this, unread, is dropped and rebuilt
 * when next read: applying k changes costs k binary searches plus k array moves, a rebuild one sort.
 */
const MAX_PENDING = 64;

const IPV4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/;
const sortKeys = new Map<string, string>();
/** Sort key that orders IPv4 addresses numerically and anything else (IPv6, names) after them. */
function sortKey(a: string): string {
  let k = sortKeys.get(a);
  if (k === undefined) {
    const m = IPV4.exec(a);
    k = m
      ? `0${m
          .slice(1, 5)
          .map((o) => o.padStart(3, '0'))
          .join('.')}`
      : `1${a}`;
    if (sortKeys.size > 100_000) sortKeys.clear();
    sortKeys.set(a, k);
  }
  return k;
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Deterministic address order: IPv4 numerically, then the rest by code point. A total order
 * (spellings with the same numeric value, such as `10.0.0.01` and `10.0.0.1`, fall back to the
 * text), so binary search finds exactly the address it looks for.
 */
export function compareAddresses(a: string, b: string): number {
  if (a === b) return 0;
  const ka = sortKey(a);
  const kb = sortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : compareText(a, b);
}

/** Index of `a` in the sorted `list` if present, else `-(insertion point) - 1`. */
function search(list: readonly string[], a: string): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareAddresses(list[mid]!, a);
    if (c < 0) lo = mid + 1;
    else if (c > 0) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

const regionKey = (n: PeerNode): string => n.region ?? NO_REGION;

function ownAddresses(n: PeerNode): string[] {
  return [n.internalIp, n.externalIp, n.labelExternalIp].filter((a): a is string => a !== undefined);
}

/**
 * The nodes of a cluster, indexed for planning; `upsert`/`remove` apply node events.
 * Pure in the sense that matters: no I/O, no clock; output depends only on the nodes present.
 */
export class PeerIndex {
  private readonly nodes = new Map<string, PeerNode>();
  private readonly regions = new Map<string, Region>();
  /** Cross-region addresses of all nodes. */
  private readonly crossAll = new Counted();
  private readonly knownPeers: ReadonlySet<string>;

  constructor(nodes: Iterable<PeerNode> = [], knownPeers: readonly string[] = []) {
    this.knownPeers = new Set(knownPeers.map((p) => p.trim()).filter((p) => p !== ''));
    for (const n of nodes) this.upsert(n);
  }

  get size(): number {
    return this.nodes.size;
  }

  get(name: string): PeerNode | undefined {
    return this.nodes.get(name);
  }

  /** All nodes, by name. */
  all(): PeerNode[] {
    return [...this.nodes.values()].sort((a, b) => compareText(a.name, b.name));
  }

  /** Region names present, sorted; nodes without a region label count as region "". */
  regionNames(): string[] {
    return [...this.regions.keys()].sort();
  }

  /** Adds or replaces a node. Returns false when nothing the plan reads changed. */
  upsert(node: PeerNode): boolean {
    const old = this.nodes.get(node.name);
    if (samePeerNode(old, node)) return false;
    if (old) this.detach(old);
    this.nodes.set(node.name, { ...node });
    this.attach(node);
    return true;
  }

  /** Removes a node. Returns false when it was not there. */
  remove(name: string): boolean {
    const old = this.nodes.get(name);
    if (!old) return false;
    this.nodes.delete(name);
    this.detach(old);
    return true;
  }

  private attach(n: PeerNode): void {
    const key = regionKey(n);
    let r = this.regions.get(key);
    if (!r) {
      r = { nodes: new Set(), same: new Counted(), cross: new Counted(), pending: new Set() };
      this.regions.set(key, r);
    }
    r.nodes.add(n.name);
    this.change(r, n, 1);
  }

  private detach(n: PeerNode): void {
    const key = regionKey(n);
    const r = this.regions.get(key)!;
    r.nodes.delete(n.name);
    this.change(r, n, -1);
    if (r.nodes.size === 0) this.regions.delete(key);
  }

  /** Counts node `n` of region `r` in (+1) or out (-1), and notes what each built list must recheck. */
  private change(r: Region, n: PeerNode, by: 1 | -1): void {
    const same = sameRegionAddress(n);
    if (same !== undefined) {
      if (by > 0) r.same.add(same);
      else r.same.remove(same);
      touch(r, same);
    }
    const cross = crossRegionAddress(n);
    if (cross !== undefined) {
      if (by > 0) {
        r.cross.add(cross);
        this.crossAll.add(cross);
      } else {
        r.cross.remove(cross);
        this.crossAll.remove(cross);
      }
      // Its own region's list is unaffected (other regions' public addresses only).
      for (const other of this.regions.values()) if (other !== r) touch(other, cross);
    }
  }

  /** Whether address `a` belongs to region `r`'s list. */
  private wanted(r: Region, a: string): boolean {
    return r.same.get(a) > 0 || this.crossAll.get(a) - r.cross.get(a) > 0 || this.knownPeers.has(a);
  }

  /** The list every node of `key` shares, before its own addresses are removed (sorted). */
  private regionList(key: string): string[] {
    const r = this.regions.get(key);
    if (!r) return [];
    if (r.list) {
      for (const a of r.pending) {
        const at = search(r.list, a);
        const want = this.wanted(r, a);
        if (want && at < 0) r.list.splice(-at - 1, 0, a);
        else if (!want && at >= 0) r.list.splice(at, 1);
      }
      r.pending.clear();
      return r.list;
    }
    const set = new Set<string>(r.same.counts.keys());
    for (const [a, n] of this.crossAll.counts) if (n - r.cross.get(a) > 0) set.add(a);
    for (const p of this.knownPeers) set.add(p);
    r.list = [...set].sort(compareAddresses);
    r.pending.clear();
    return r.list;
  }

  /** The peers of node `name` (sorted, de-duplicated, never its own addresses); undefined if unknown. */
  peersOf(name: string): string[] | undefined {
    const n = this.nodes.get(name);
    if (!n) return undefined;
    const own = ownAddresses(n);
    const list = this.regionList(regionKey(n));
    return own.length === 0 ? list.slice() : list.filter((a) => !own.includes(a));
  }

  /** Whether the cluster spans more than one region (unlabelled nodes counting as one). */
  multiRegion(): boolean {
    return this.regions.size >= 2;
  }

  /** Findings over the whole cluster, in a fixed order. O(n). */
  findings(): Finding[] {
    const out: Finding[] = [];
    const multi = this.multiRegion();
    const byAddress = new Map<string, string[]>();
    for (const n of this.all()) {
      if (sameRegionAddress(n) === undefined) {
        out.push({
          kind: 'no-address',
          node: n.name,
          message: `node ${n.name} reports no InternalIP or ExternalIP and has no ${EXTERNAL_IP_LABEL} label: no node can peer with it`,
        });
      } else if (multi && crossRegionAddress(n) === undefined) {
        out.push({
          kind: 'no-public-address',
          node: n.name,
          message: `node ${n.name} (region ${n.region ?? '<none>'}) has no ExternalIP and no ${EXTERNAL_IP_LABEL} label: nodes in other regions cannot peer with it`,
        });
      }
      if (multi && n.region === undefined) {
        out.push({
          kind: 'no-region',
          node: n.name,
          message: `node ${n.name} has no ${REGION_LABEL} label in a cluster with regions ${this.regionNames()
            .filter((r) => r !== NO_REGION)
            .join(', ')}: it is treated as a region of its own`,
        });
      }
      for (const a of new Set(ownAddresses(n))) {
        const names = byAddress.get(a);
        if (names) names.push(n.name);
        else byAddress.set(a, [n.name]);
      }
    }
    const dups = [...byAddress]
      .filter(([, names]) => names.length > 1)
      .sort(([a], [b]) => compareAddresses(a, b));
    for (const [address, nodes] of dups) {
      out.push({
        kind: 'duplicate-address',
        address,
        nodes,
        message: `address ${address} belongs to ${nodes.length} nodes (${nodes.join(', ')}): Weave connects to only one of them, and no node peers with its own address`,
      });
    }
    const order: FindingKind[] = [
      'unknown-node',
      'no-address',
      'no-public-address',
      'no-region',
      'duplicate-address',
    ];
    return out.sort(
      (a, b) =>
        order.indexOf(a.kind) - order.indexOf(b.kind) ||
        compareText(a.node ?? '', b.node ?? '') ||
        compareAddresses(a.address ?? '', b.address ?? ''),
    );
  }

  /** The plan of one node. */
  planFor(name: string): NodePlan {
    const peers = this.peersOf(name);
    const findings = this.findings();
    if (peers === undefined) {
      findings.unshift({
        kind: 'unknown-node',
        node: name,
        message: `node ${name} is not among the ${this.size} nodes: its region is unknown, so no peer list is planned`,
      });
    }
    return { peers, findings };
  }

  /** The plan stated per region (see `RegionPlan`): O(n log n) time, O(n) size. */
  regionPlan(): RegionPlan {
    const byRegion = new Map<string, PlannedNode[]>();
    for (const n of this.all()) {
      const planned: PlannedNode = { name: n.name };
      const same = sameRegionAddress(n);
      const cross = crossRegionAddress(n);
      if (same !== undefined) planned.private = same;
      if (cross !== undefined) planned.public = cross;
      const also = [...new Set(ownAddresses(n))].filter((a) => a !== same && a !== cross);
      if (also.length > 0) planned.also = also;
      const key = regionKey(n);
      const list = byRegion.get(key);
      if (list) list.push(planned);
      else byRegion.set(key, [planned]);
    }
    const regions = this.regionNames().map((region): PlannedRegion => {
      const r = this.regions.get(region)!;
      return {
        region,
        nodes: byRegion.get(region) ?? [],
        private: [...r.same.counts.keys()].sort(compareAddresses),
        public: [...r.cross.counts.keys()].sort(compareAddresses),
      };
    });
    return { knownPeers: [...this.knownPeers].sort(compareAddresses), regions, findings: this.findings() };
  }

  /** Every node's plan. Materialises n lists of about n addresses each: O(n²) output by nature. */
  planAll(): ClusterPlan {
    const peers: Record<string, string[]> = {};
    for (const n of this.all()) peers[n.name] = this.peersOf(n.name)!;
    return { peers, findings: this.findings() };
  }
}

/** Notes that `a`'s membership in `r`'s built list may have changed; drops a list too far behind. */
function touch(r: Region, a: string): void {
  if (!r.list) return;
  r.pending.add(a);
  if (r.pending.size > MAX_PENDING) {
    r.list = undefined;
    r.pending.clear();
  }
}

/** The plan of node `self` among `nodes`. */
export function planForNode(
  nodes: Iterable<PeerNode>,
  knownPeers: readonly string[],
  self: string,
): NodePlan {
  return new PeerIndex(nodes, knownPeers).planFor(self);
}

/** Every node's plan (the offline view). */
export function planCluster(nodes: Iterable<PeerNode>, knownPeers: readonly string[]): ClusterPlan {
  return new PeerIndex(nodes, knownPeers).planAll();
}

/** Whether two peer lists (both sorted) are the same. */
export function samePeers(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
