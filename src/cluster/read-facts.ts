/**
 * Reads what the guard judges about the running network, whoever applied it: every DaemonSet
 * (no label selector), Calico IPPools, a Tigera `Installation`, nodes' podCIDRs and the
 * ClusterIPs of the `kubernetes` and `kube-dns` Services. One wave of parallel reads; only reads.
 * Its lists of every DaemonSet, IPPool and Installation serve apply's read of those kinds too
 * (`read.ts`): netpack's own are among them.
 */
import type { LiveFacts } from './guard.ts';
import { detectNetworks, serviceIps, weaveAllocRange } from './running.ts';
import type { ClusterClient, KubeObject } from './types.ts';

/** The kinds read here whole, cluster-wide and without a selector. */
export const RUNNING_KINDS = [
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool' },
  { apiVersion: 'operator.tigera.io/v1', kind: 'Installation' },
] as const;

export interface RunningView {
  facts: LiveFacts;
  /** Every object of the `RUNNING_KINDS`, labelled or not. */
  listed: KubeObject[];
}

/**
 * Facts no netpack run writes: nodes' podCIDRs (the controller manager's) and the Services'
 * ClusterIPs (the API server's and the cluster DNS's). The read under the lock takes them from the
 * read before it: another run cannot have changed them, and the node list is the one read whose
 * pages grow with the cluster.
 */
export type StableFacts = Pick<LiveFacts, 'nodes' | 'serviceIps'>;

async function readStable(client: ClusterClient): Promise<StableFacts> {
  const [nodes, apiService, dnsService] = await Promise.all([
    client.list('v1', 'Node'),
    client.get({ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'kubernetes' }),
    client.get({ apiVersion: 'v1', kind: 'Service', namespace: 'kube-system', name: 'kube-dns' }),
  ]);
  return {
    nodes: nodes.items.map((n) => {
      const spec = (n.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[] };
      return { name: n.metadata.name, podCIDRs: spec.podCIDRs ?? (spec.podCIDR ? [spec.podCIDR] : []) };
    }),
    serviceIps: serviceIps([apiService, dnsService]),
  };
}

/** The running network's reads; `stable` (from an earlier read of this run) skips those facts. */
export async function readRunning(client: ClusterClient, stable?: StableFacts): Promise<RunningView> {
  const [daemonSets, pools, installations, { nodes, serviceIps: ips }] = await Promise.all([
    client.list(RUNNING_KINDS[0].apiVersion, RUNNING_KINDS[0].kind),
    client.list(RUNNING_KINDS[1].apiVersion, RUNNING_KINDS[1].kind),
    client.list(RUNNING_KINDS[2].apiVersion, RUNNING_KINDS[2].kind),
    stable ?? readStable(client),
  ]);
  const facts: LiveFacts = {
    ipPools: pools.items.map((p) => ({
      name: p.metadata.name,
      cidr: String((p.spec as { cidr?: string })?.cidr ?? ''),
    })),
    nodes,
    networks: detectNetworks({
      daemonSets: daemonSets.items,
      ipPools: pools.items,
      installations: installations.items,
    }),
    serviceIps: ips,
  };
  const weave = weaveAllocRange(daemonSets.items);
  if (weave) facts.weaveRange = weave;
  return { facts, listed: [...daemonSets.items, ...pools.items, ...installations.items] };
}
