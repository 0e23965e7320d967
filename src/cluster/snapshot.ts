/** Reads what `status` judges: one list per kind, pods only in the namespaces netpack runs in. */
import type { NetworkConfig } from '../config/types.ts';
import { OUR_SELECTOR } from './apply.ts';
import { parseState, STATE_REF } from './inventory.ts';
import { readKubeletDns } from './kubelet-dns.ts';
import { isOurs } from './plan.ts';
import { detectNetworks } from './running.ts';
import type { ClusterSnapshot } from './status.ts';
import type { ClusterClient } from './types.ts';

export async function readSnapshot(
  client: ClusterClient,
  network?: NetworkConfig,
): Promise<ClusterSnapshot & { stateProblem?: string }> {
  const [stateCm, nodes, allDaemonSets, deployments, ipPools, installations] = await Promise.all([
    network ? Promise.resolve(undefined) : client.get(STATE_REF),
    client.list('v1', 'Node'),
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
  const [podLists, kubelets, services] = await Promise.all([
    Promise.all(namespaces.map((ns) => client.list('v1', 'Pod', { namespace: ns }))),
    readKubeletDns(client, nodes.items),
    client.list('v1', 'Service', { namespace: 'kube-system' }),
  ]);
  const pods = podLists.flatMap((l) => l.items);
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
    ...(kubelets ? { kubelets, kubeSystemServiceIps } : {}),
  };
}
