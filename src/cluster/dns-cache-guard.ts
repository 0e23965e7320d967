/**
 * Turning the node-local DNS cache off on a running cluster: apply and diff refuse it unless the
 * operator confirms with `--allow-dns-cache-removal`, and say what to change on the kubelets
 * first. Pods resolve names through kubelet's `clusterDNS`; where that is 169.254.20.10 (IPVS or
 * nftables clusters, and every Pharos cluster: Pharos set it), removing the cache leaves every
 * pod without DNS. Kept apart from guard.ts (provider and ranges, which no flag unlocks). Pure.
 */

import { NODE_LOCAL_DNS_IP } from '../config/defaults.ts';
import { clusterDnsIp } from '../config/derived.ts';
import type { NetworkConfig } from '../config/types.ts';
import { NODE_LOCAL_DNS_NAME, NODE_LOCAL_DNS_NAMESPACE } from '../providers/nodelocaldns/index.ts';
import type { Refusal } from './guard.ts';
import type { StoredState } from './inventory.ts';
import type { KubeObject } from './types.ts';

/** The flag that confirms the removal. */
export const ALLOW_DNS_CACHE_REMOVAL_FLAG = '--allow-dns-cache-removal';

/**
 * A refusal when the config turns the cache off while the stored state says it is on or its
 * DaemonSet (netpack's, from `live`) runs; none when `allowed`.
 */
export function dnsCacheRemovalRefusals(
  network: NetworkConfig,
  state: StoredState | undefined,
  live: Iterable<KubeObject>,
  allowed: boolean,
): Refusal[] {
  if (allowed || network.node_local_dns_cache.enabled) return [];
  let running = false;
  for (const o of live)
    if (
      o.kind === 'DaemonSet' &&
      o.metadata.name === NODE_LOCAL_DNS_NAME &&
      (o.metadata.namespace ?? NODE_LOCAL_DNS_NAMESPACE) === NODE_LOCAL_DNS_NAMESPACE
    )
      running = true;
  const stored = state?.network.node_local_dns_cache?.enabled === true;
  if (!running && !stored) return [];
  const where = running
    ? `DaemonSet ${NODE_LOCAL_DNS_NAMESPACE}/${NODE_LOCAL_DNS_NAME} runs`
    : 'the applied state (ConfigMap kube-system/netpack-state) has it on';
  const kubeDns = clusterDnsIp(network.service_cidr);
  return [
    {
      field: 'network.node_local_dns_cache',
      current: 'true',
      wanted: 'false',
      source: running ? 'daemonset' : 'state',
      message: `network.node_local_dns_cache is on in the cluster (${where}); the config turns it off, which removes node-local-dns: pods whose kubelet clusterDNS is ${NODE_LOCAL_DNS_IP} lose DNS. First set clusterDNS back to the kube-dns Service IP ${kubeDns} on every kubelet (KubeletConfiguration clusterDNS, or --cluster-dns; restart kubelet, then recreate pods so they get the new resolv.conf; netpack status lists kubelets still pointing at ${NODE_LOCAL_DNS_IP}), then run again with ${ALLOW_DNS_CACHE_REMOVAL_FLAG}`,
    },
  ];
}
