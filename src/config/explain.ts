/**
 * `netpack explain`: the effective configuration with every default filled in, where each value
 * came from, and the facts that follow from it. Pure: returns data and text.
 */

import { NODE_IMAGE_NODE_VERSION } from '../render/node-image.ts';
import { parseIp } from './cidr.ts';
import { DEFAULT_PEERING_IMAGE } from './defaults.ts';
import { type DerivedFacts, type DerivedValues, deriveFacts, deriveValues } from './derived.ts';
import type { ClusterConfig, Origin } from './types.ts';

export interface ExplainEntry {
  path: string;
  value: unknown;
  origin: Origin;
}

export interface Explanation {
  file: string;
  entries: ExplainEntry[];
  derived: DerivedFacts;
  /** The derived facts as values (numbers, addresses alone), for `-o json`. */
  derived_values: DerivedValues;
  hosts: { count: number; hostnames: string[] };
  notes: string[];
}

/** Secrets are files; explain shows the path, never the contents. */
function flatten(prefix: string, value: unknown, out: [string, unknown][]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else out.push([prefix, value]);
}

function originFor(path: string, origins: Record<string, Origin>): Origin {
  // Exact match, else the nearest ancestor that has one (e.g. environment entries).
  for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const o = origins[p];
    if (o) return o;
  }
  return { from: 'default' };
}

export function explain(config: ClusterConfig, origins: Record<string, Origin>): Explanation {
  const net = config.network;
  // Show only the blocks that matter for the chosen provider.
  const shown: Record<string, unknown> = { ...net };
  if (net.provider !== 'weave') delete shown.weave;
  if (net.provider !== 'calico') delete shown.calico;
  if (!net.firewalld.enabled) shown.firewalld = { enabled: false };
  const pairs: [string, unknown][] = [];
  flatten('network', shown, pairs);
  const entries = pairs.map(([path, value]) => ({ path, value, origin: originFor(path, origins) }));

  const hostnames: string[] = [];
  for (const h of config.hosts) {
    for (const a of [h.address, h.private_address]) {
      if (a && !parseIp(a, { allowV6: true }).ok) hostnames.push(a);
    }
  }
  const notes: string[] = [];
  if (hostnames.length > 0)
    notes.push(
      `host names (${hostnames.join(', ')}) are not IP addresses: they were skipped in the CIDR overlap checks`,
    );
  if (net.cloud)
    notes.push(
      `cloud: ${net.cloud}${net.cloud === 'azure' ? ' (Azure carries no IP-in-IP: Calico uses VXLAN)' : ''}`,
    );
  if (net.node_local_dns_cache.enabled && net.kube_proxy_mode !== 'iptables')
    notes.push(
      `kube-proxy runs in ${net.kube_proxy_mode === 'ipvs' ? 'IPVS' : 'nftables'} mode: node-local-dns binds only 169.254.20.10, so kubelet's clusterDNS must be 169.254.20.10`,
    );
  if (net.provider === 'calico' && net.calico.typha)
    notes.push(
      `Typha is on: Deployment kube-system/calico-typha runs ${net.calico.typha_replicas} replica${net.calico.typha_replicas === 1 ? '' : 's'}, and Felix on every node reads the datastore through it (5473/tcp between nodes)`,
    );
  if (net.provider === 'weave') notes.push(...weaveNotes(config));
  if (net.provider === 'weave' && !net.weave.password)
    notes.push(
      'no weave.password: apply generates a random shared secret once and keeps it in Secret kube-system/weave-passwd',
    );
  return {
    file: config.file,
    entries,
    derived: deriveFacts(net),
    derived_values: deriveValues(net),
    hosts: { count: config.hosts.length, hostnames },
    notes,
  };
}

/** What the Weave options mean on the nodes: where the peers come from, IPAM start, side-car. */
function weaveNotes(config: ClusterConfig): string[] {
  const w = config.network.weave;
  const notes = [
    `Weave ${w.image_version} (${w.image_version === '2.8.1' ? 'upstream weaveworks images, archived' : 'the maintained fork, rajchaudhuri images'}); iptables backend ${w.iptables_backend === 'auto' ? 'detected by launch.sh on each node' : w.iptables_backend}`,
    `peers: this cluster's nodes from the Kubernetes node list${w.known_peers.length > 0 ? `, plus known_peers ${w.known_peers.join(', ')}` : ''}`,
    w.ipalloc_init === 'observer'
      ? 'IP allocation: observer: the nodes take address space from peers that have it (another cluster of the pod network), so pods here get addresses once those are reachable'
      : `IP allocation: starts once a majority of this cluster's nodes agree (launch.sh's consensus over the node list${config.hosts.length > 0 ? `, ${config.hosts.length} with these hosts` : ''})`,
  ];
  if (w.peering.enabled)
    notes.push(
      w.peering.image === DEFAULT_PEERING_IMAGE
        ? `peering side-car: the official node image runs netpack's side-car script from ConfigMap kube-system/weave-net-peers (node ${NODE_IMAGE_NODE_VERSION})`
        : `peering side-car: the self-built image ${w.peering.image} runs netpack peers run`,
    );
  return notes;
}

function describeOrigin(o: Origin, file: string, path: string): string {
  if (o.from === 'default') return o.reason ? `default (${o.reason})` : 'default';
  const where = `${file}:${o.line}:${o.col}`;
  return o.path === path || path.startsWith(`${o.path}.`) ? where : `${where} (as ${o.path})`;
}

function show(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function explainText(e: Explanation): string {
  const lines: string[] = [`# effective network configuration of ${e.file}`];
  const width = Math.min(64, Math.max(...e.entries.map((x) => x.path.length + show(x.value).length)) + 4);
  for (const x of e.entries) {
    const left = `${x.path}: ${show(x.value)}`;
    lines.push(`${left.padEnd(width)} # ${describeOrigin(x.origin, e.file, x.path)}`);
  }
  lines.push('', '# derived');
  for (const [k, v] of Object.entries(e.derived)) lines.push(`${k}: ${v}`);
  lines.push('', `# hosts: ${e.hosts.count}`);
  if (e.notes.length) {
    lines.push('', '# notes');
    for (const n of e.notes) lines.push(`- ${n}`);
  }
  return `${lines.join('\n')}\n`;
}
