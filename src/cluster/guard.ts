/**
 * Changes that would break a running cluster, refused as Pharos refused them: the provider, the
 * service and pod ranges, and Calico's datastore cannot change once applied. Checked against the
 * stored state and against the live cluster (Calico's IPPool, nodes' pod CIDRs, which network
 * DaemonSet runs), so a lost or missing state ConfigMap does not open the door. Pure; `--force`
 * does not bypass it.
 */
import { parseCidr } from '../config/cidr.ts';
import type { NetworkConfig } from '../config/types.ts';
import { IPPOOL_NAME } from '../providers/calico/constants.ts';
import type { StoredState } from './inventory.ts';

/** What the live cluster says about the network already in place. */
export interface LiveFacts {
  /** Calico IPPools (crd.projectcalico.org/v1), when that API is served. */
  ipPools: { name: string; cidr: string }[];
  nodes: { name: string; podCIDRs: string[] }[];
  /** Network providers whose DaemonSet netpack applied and that runs now (from the component label). */
  runningProviders: string[];
}

export type RefusalSource = 'state' | 'ippool' | 'node' | 'daemonset';

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

export function guardChanges(
  network: NetworkConfig,
  state: StoredState | undefined,
  live: LiveFacts,
): Refusal[] {
  const out: Refusal[] = [];
  const stateWhere = 'the applied state (ConfigMap kube-system/netpack-state)';
  if (state) {
    const was = state.network;
    if (was.provider !== network.provider)
      out.push(refuse('network.provider', was.provider, network.provider, 'state', stateWhere));
    if (was.service_cidr !== network.service_cidr) {
      out.push(refuse('network.service_cidr', was.service_cidr, network.service_cidr, 'state', stateWhere));
    }
    if (was.pod_network_cidr !== network.pod_network_cidr) {
      out.push(
        refuse(
          'network.pod_network_cidr',
          was.pod_network_cidr,
          network.pod_network_cidr,
          'state',
          stateWhere,
        ),
      );
    }
    if (
      was.provider === 'calico' &&
      network.provider === 'calico' &&
      was.calico?.datastore !== network.calico.datastore
    ) {
      out.push(
        refuse(
          'network.calico.datastore',
          String(was.calico?.datastore),
          network.calico.datastore,
          'state',
          stateWhere,
        ),
      );
    }
  }
  for (const p of live.runningProviders) {
    if (p !== network.provider && !out.some((r) => r.field === 'network.provider')) {
      out.push(
        refuse(
          'network.provider',
          p,
          network.provider,
          'daemonset',
          `the cluster (its ${p} DaemonSet, applied by netpack, is running)`,
        ),
      );
    }
  }
  const pod = parseCidr(network.pod_network_cidr, { allowV6: true });
  if (network.provider === 'calico' && network.calico.datastore === 'kubernetes') {
    const pool = live.ipPools.find((p) => p.name === IPPOOL_NAME);
    if (
      pool &&
      pool.cidr !== network.pod_network_cidr &&
      !out.some((r) => r.field === 'network.pod_network_cidr')
    ) {
      out.push(
        refuse(
          'network.pod_network_cidr',
          pool.cidr,
          network.pod_network_cidr,
          'ippool',
          `the cluster (spec.cidr of Calico IPPool ${pool.name})`,
        ),
      );
    }
  }
  if (pod.ok) {
    for (const node of live.nodes) {
      for (const text of node.podCIDRs) {
        const c = parseCidr(text, { allowV6: true });
        if (!c.ok || c.value.family !== pod.value.family) continue;
        const inside = pod.value.start <= c.value.start && c.value.end <= pod.value.end;
        if (!inside) {
          out.push({
            field: 'network.pod_network_cidr',
            current: text,
            wanted: network.pod_network_cidr,
            source: 'node',
            message: `network.pod_network_cidr ${network.pod_network_cidr} does not contain spec.podCIDR ${text} of node ${node.name}: the controller manager allocated node ranges from another pod network; set network.pod_network_cidr to the cluster's (kube-controller-manager --cluster-cidr)`,
          });
        }
      }
    }
  }
  return out;
}
