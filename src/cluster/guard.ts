/**
 * Changes that would break a running cluster, refused as Pharos refused them: the provider, the
 * service and pod ranges, and Calico's datastore cannot change once applied. Checked against the
 * stored state and against the live cluster (Calico's IPPool, nodes' pod CIDRs, which network
 * DaemonSet runs), so a lost or missing state ConfigMap does not open the door. Pure; `--force`
 * does not bypass it.
 */
import { parseCidr } from '../config/cidr.ts';
import { clusterDnsIp } from '../config/derived.ts';
import type { NetworkConfig } from '../config/types.ts';
import { IPPOOL_NAME } from '../providers/calico/constants.ts';
import type { StoredState } from './inventory.ts';
import type { RunningNetwork, ServiceIp } from './running.ts';

/** What the live cluster says about the network already in place. */
export interface LiveFacts {
  /** Calico IPPools (crd.projectcalico.org/v1), when that API is served. */
  ipPools: { name: string; cidr: string }[];
  nodes: { name: string; podCIDRs: string[] }[];
  /** Pod networks that run in the cluster, whoever applied them (`running.ts`). */
  networks: RunningNetwork[];
  /** ClusterIPs of Services default/kubernetes and kube-system/kube-dns, when they exist. */
  serviceIps?: ServiceIp[];
  /** The range a running weave-net allocates pod addresses from. */
  weaveRange?: { where: string; cidr: string };
}

export type RefusalSource = 'state' | 'ippool' | 'node' | 'daemonset' | 'service' | 'operator';

export interface Refusal {
  /** The config field that cannot change, e.g. `network.pod_network_cidr`. */
  field: string;
  /** The value in place (stored or live). */
  current: string;
  /** The value the config asks for. */
  wanted: string;
  source: RefusalSource;
  /** Why, naming where `current` was found. */
  message: string;
}

const WHY: Record<string, string> = {
  'network.provider':
    'switching the network provider of a running cluster cuts every pod off; rebuild the cluster to change it',
  'network.service_cidr':
    'Service IPs, the cluster DNS address and kubelet configs all come from it; it cannot change in place',
  'network.pod_network_cidr':
    'pods and node ranges already hold addresses from it; it cannot change in place',
  'network.calico.datastore':
    "Calico's data (pools, blocks, policies) lives in the datastore; switching leaves it behind",
};

function refuse(
  field: string,
  current: string,
  wanted: string,
  source: RefusalSource,
  where: string,
): Refusal {
  return {
    field,
    current,
    wanted,
    source,
    message: `${field} is ${current} in ${where}; the config asks for ${wanted}: ${WHY[field] ?? 'it cannot change once applied'}`,
  };
}

/** What the stored state says cannot change: provider, service and pod ranges, Calico's datastore. */
function stateRefusals(network: NetworkConfig, state: StoredState): Refusal[] {
  const out: Refusal[] = [];
  const stateWhere = 'the applied state (ConfigMap kube-system/netpack-state)';
  const was = state.network;
  const unlike = (field: string, current: string, wanted: string) => {
    if (current !== wanted) out.push(refuse(field, current, wanted, 'state', stateWhere));
  };
  unlike('network.provider', was.provider, network.provider);
  unlike('network.service_cidr', was.service_cidr, network.service_cidr);
  unlike('network.pod_network_cidr', was.pod_network_cidr, network.pod_network_cidr);
  if (was.provider === 'calico' && network.provider === 'calico')
    unlike('network.calico.datastore', String(was.calico?.datastore), network.calico.datastore);
  return out;
}

/**
 * The pod range a running network allocates from (weave-net's IPALLOC_RANGE, Calico's default
 * IPPool), unless a refusal of the pod range is made already.
 */
function runningRangeRefusals(network: NetworkConfig, live: LiveFacts, so: Refusal[]): Refusal[] {
  if (so.some((r) => r.field === 'network.pod_network_cidr')) return [];
  const weave = live.weaveRange;
  if (network.provider === 'weave' && weave && weave.cidr !== network.pod_network_cidr) {
    return [
      refuse(
        'network.pod_network_cidr',
        weave.cidr,
        network.pod_network_cidr,
        'daemonset',
        `the cluster (${weave.where})`,
      ),
    ];
  }
  if (network.provider !== 'calico' || network.calico.datastore !== 'kubernetes') return [];
  const pool = live.ipPools.find((p) => p.name === IPPOOL_NAME);
  if (!pool || pool.cidr === network.pod_network_cidr) return [];
  return [
    refuse(
      'network.pod_network_cidr',
      pool.cidr,
      network.pod_network_cidr,
      'ippool',
      `the cluster (spec.cidr of Calico IPPool ${pool.name})`,
    ),
  ];
}

/** Node ranges the controller manager allocated outside the config's pod network. */
function nodeRefusals(network: NetworkConfig, nodes: LiveFacts['nodes']): Refusal[] {
  const pod = parseCidr(network.pod_network_cidr, { allowV6: true });
  if (!pod.ok) return [];
  const out: Refusal[] = [];
  for (const node of nodes) {
    for (const text of node.podCIDRs) {
      const c = parseCidr(text, { allowV6: true });
      if (!c.ok || c.value.family !== pod.value.family) continue;
      const inside = pod.value.start <= c.value.start && c.value.end <= pod.value.end;
      if (inside) continue;
      out.push({
        field: 'network.pod_network_cidr',
        current: text,
        wanted: network.pod_network_cidr,
        source: 'node',
        message: `network.pod_network_cidr ${network.pod_network_cidr} does not contain spec.podCIDR ${text} of node ${node.name}: the controller manager allocated node ranges from another pod network; set network.pod_network_cidr to the cluster's (kube-controller-manager --cluster-cidr)`,
      });
    }
  }
  return out;
}

export function guardChanges(
  network: NetworkConfig,
  state: StoredState | undefined,
  live: LiveFacts,
): Refusal[] {
  const out: Refusal[] = state ? stateRefusals(network, state) : [];
  out.push(...networkRefusals(network, live.networks, out));
  out.push(...serviceRefusals(network, live.serviceIps ?? [], out));
  out.push(...runningRangeRefusals(network, live, out));
  out.push(...nodeRefusals(network, live.nodes));
  return out;
}

/**
 * Another pod network than the config's runs (whoever applied it), or Calico runs under the
 * Tigera operator: two networks on one cluster, or netpack and the operator undoing each other.
 */
function networkRefusals(
  network: NetworkConfig,
  running: readonly RunningNetwork[],
  so: Refusal[],
): Refusal[] {
  if (so.some((r) => r.field === 'network.provider')) return [];
  const foreign = running.filter((n) => n.provider !== network.provider || n.operator);
  if (foreign.length === 0) return [];
  const first = foreign[0]!;
  const where = foreign
    .map((n) => `${n.provider} (${n.where}${n.ours ? ', applied by netpack' : ''})`)
    .join(', ');
  const field = 'network.provider';
  if (first.provider === network.provider) {
    return [
      {
        field,
        current: `${first.provider} (Tigera operator)`,
        wanted: network.provider,
        source: 'operator',
        message: `${field} is ${first.provider} (Tigera operator) in the cluster: ${where}; the config asks for ${network.provider}: the operator manages Calico there and would undo netpack's objects; remove the operator first or keep Calico under it`,
      },
    ];
  }
  return [
    {
      field,
      current: first.provider,
      wanted: network.provider,
      source: 'daemonset',
      message: `${field} is ${first.provider} in the cluster (another pod network runs: ${where}); the config asks for ${network.provider}: ${WHY[field]}`,
    },
  ];
}

/** The running Services' ClusterIPs: the API server's inside the service range, kube-dns at the address node-local-dns uses. */
function serviceRefusals(network: NetworkConfig, ips: readonly ServiceIp[], so: Refusal[]): Refusal[] {
  if (so.some((r) => r.field === 'network.service_cidr')) return [];
  const range = parseCidr(network.service_cidr, { allowV6: true });
  if (!range.ok) return [];
  const wanted = network.service_cidr;
  for (const { service, ip } of ips) {
    const at = parseCidr(ip.includes(':') ? `${ip}/128` : `${ip}/32`, { allowV6: true });
    if (!at.ok || at.value.family !== range.value.family) continue;
    const inside = range.value.start <= at.value.start && at.value.end <= range.value.end;
    const where = `the cluster (ClusterIP of Service ${service})`;
    if (!inside) return [refuse('network.service_cidr', ip, wanted, 'service', where)];
    if (
      service === 'kube-system/kube-dns' &&
      network.node_local_dns_cache.enabled &&
      ip !== clusterDnsIp(wanted)
    )
      return [
        {
          ...refuse('network.service_cidr', ip, wanted, 'service', where),
          message: `network.service_cidr ${wanted} puts the cluster DNS at ${clusterDnsIp(wanted)}, but it is ${ip} in ${where}: node-local-dns would forward to an address nothing answers; ${WHY['network.service_cidr']}`,
        },
      ];
  }
  return [];
}
