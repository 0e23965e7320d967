/**
 * Reads what the guard judges about the running network, whoever applied it: every DaemonSet
 * (no label selector), Calico IPPools, a Tigera `Installation`, nodes' podCIDRs and the
 * ClusterIPs of the `kubernetes` and `kube-dns` Services. One wave of parallel reads; only reads.
 */
import type { LiveFacts } from './guard.ts';
import { detectNetworks, serviceIps, weaveAllocRange } from './running.ts';
import type { ClusterClient, KubeObject } from './types.ts';

export interface RunningView {
  facts: LiveFacts;
  /** Every DaemonSet of the cluster, labelled or not. */
  daemonSets: KubeObject[];
}

export async function readRunning(client: ClusterClient): Promise<RunningView> {
  const [daemonSets, pools, installations, nodes, apiService, dnsService] = await Promise.all([
    client.list('apps/v1', 'DaemonSet'),
    client.list('crd.projectcalico.org/v1', 'IPPool'),
    client.list('operator.tigera.io/v1', 'Installation'),
    client.list('v1', 'Node'),
    client.get({ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'kubernetes' }),
    client.get({ apiVersion: 'v1', kind: 'Service', namespace: 'kube-system', name: 'kube-dns' }),
  ]);
  const facts: LiveFacts = {
    ipPools: pools.items.map((p) => ({
      name: p.metadata.name,
      cidr: String((p.spec as { cidr?: string })?.cidr ?? ''),
    })),
    nodes: nodes.items.map((n) => {
      const spec = (n.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[] };
      return { name: n.metadata.name, podCIDRs: spec.podCIDRs ?? (spec.podCIDR ? [spec.podCIDR] : []) };
    }),
    networks: detectNetworks({
      daemonSets: daemonSets.items,
      ipPools: pools.items,
      installations: installations.items,
    }),
    serviceIps: serviceIps([apiService, dnsService]),
  };
  const weave = weaveAllocRange(daemonSets.items);
  if (weave) facts.weaveRange = weave;
  return { facts, daemonSets: daemonSets.items };
}
