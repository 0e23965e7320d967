/**
 * Reads what `status` judges: one list per kind, pods only in the namespaces netpack runs in.
 * Every list starts at once, pods in kube-system (where every provider runs) among them, so the
 * sequential round trips are the pages of the longest list, not the sum of the lists' pages;
 * pods of another namespace (custom manifests) are listed once the workloads name it.
 */
import type { NetworkConfig } from '../config/types.ts';
import { OUR_SELECTOR } from './apply.ts';
import { parseState, STATE_REF } from './inventory.ts';
import { readKubeletDns } from './kubelet-dns.ts';
import { isOurs } from './plan.ts';
import { detectNetworks } from './running.ts';
import type { ClusterSnapshot } from './status.ts';
import type { ClusterClient } from './types.ts';

/** The namespace whose pods are listed with everything else, before the workloads say where they run. */
const EARLY_NAMESPACE = 'kube-system';

export interface SnapshotOptions {
  /** Nodes whose kubelet configz is read (`readKubeletDns`); 'all' for every node, 0 for none. */
  kubeletSample?: number | 'all';
}

export async function readSnapshot(
  client: ClusterClient,
  network?: NetworkConfig,
  opts: SnapshotOptions = {},
): Promise<ClusterSnapshot & { stateProblem?: string }> {
  const listPods = (namespace: string) => client.list('v1', 'Pod', { namespace }).then((l) => l.items);
  const early = new Map([[EARLY_NAMESPACE, listPods(EARLY_NAMESPACE)]]);
  // Not awaited until the workloads are known: a failure must not go unhandled meanwhile.
  for (const p of early.values()) p.catch(() => undefined);
  const nodeList = client.list('v1', 'Node');
  // The kubelets as soon as the nodes are known, and the Services at once: neither waits for the rest.
  const kubeletRead = nodeList.then((n) => readKubeletDns(client, n.items, opts.kubeletSample));
  const serviceList = client.list('v1', 'Service', { namespace: 'kube-system' });
  for (const p of [kubeletRead, serviceList]) p.catch(() => undefined);
  const [stateCm, nodes, allDaemonSets, deployments, ipPools, installations] = await Promise.all([
    network ? Promise.resolve(undefined) : client.get(STATE_REF),
    nodeList,
    // Every DaemonSet: netpack's are judged, the others are looked at for a second network.
    client.list('apps/v1', 'DaemonSet'),
    client.list('apps/v1', 'Deployment', { labelSelector: OUR_SELECTOR }),
    client.list('crd.projectcalico.org/v1', 'IPPool'),
    client.list('operator.tigera.io/v1', 'Installation'),
  ]);
  const daemonSets = { items: allDaemonSets.items.filter(isOurs) };
  let stateProblem: string | undefined;
  let applied = network;
  if (!applied && stateCm) {
    const parsed = parseState(stateCm);
    if (parsed.ok) applied = parsed.state.network;
    else stateProblem = parsed.reason;
  }
  const namespaces = [
    ...new Set([...daemonSets.items, ...deployments.items].map((o) => o.metadata.namespace ?? 'kube-system')),
  ].sort();
  const [pods, kubelets, services] = await Promise.all([
    Promise.all(namespaces.map((ns) => early.get(ns) ?? listPods(ns))).then((lists) => lists.flat()),
    kubeletRead,
    serviceList,
  ]);
  const kubeSystemServiceIps = services.items.flatMap((s) => {
    const spec = (s.spec ?? {}) as { clusterIP?: string; clusterIPs?: string[] };
    return spec.clusterIPs ?? (spec.clusterIP && spec.clusterIP !== 'None' ? [spec.clusterIP] : []);
  });
  return {
    network: applied,
    nodes: nodes.items,
    daemonSets: daemonSets.items,
    deployments: deployments.items,
    pods,
    ipPools: ipPools.items,
    networks: detectNetworks({
      daemonSets: allDaemonSets.items,
      ipPools: ipPools.items,
      installations: installations.items,
    }),
    ...(stateProblem ? { stateProblem } : {}),
    ...(kubelets
      ? { kubelets: kubelets.kubelets, kubeletCoverage: kubelets.coverage, kubeSystemServiceIps }
      : {}),
  };
}
