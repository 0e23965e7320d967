/**
 * The rules behind the defaults that depend on something (the cloud, the hosts, the datastore),
 * which the option declarations in schema.ts call with the facts at hand, and constants that are
 * not options. An option's plain default lives in its declaration only.
 */
import { NODE_IMAGE } from '../render/node-image.ts';
import { KUBERNETES_INTERNAL_IP } from './autodetect.ts';
import { parseIp } from './cidr.ts';
import type { Default } from './option.ts';
import type { CalicoConfig, Cloud, Host } from './types.ts';

export { DEFAULT_WEAVE_VERSION } from './types.ts';

/**
 * Calico's MTU without `cloud`: auto, as upstream's manifests (veth_mtu "0"): calico-node reads
 * the MTU of the host interface it uses and subtracts the encapsulation overhead itself.
 */
export const DEFAULT_MTU = 'auto' as const;

/**
 * The network MTU of each cloud, from Calico's MTU guide (and the clouds' own documents): Google
 * Cloud VPC networks default to 1460, AWS VPCs carry jumbo frames of 9001 between instances,
 * Azure virtual networks 1500. A cloud not listed (vmware, baremetal) says nothing about the MTU.
 */
export const CLOUD_MTU: Readonly<Partial<Record<Cloud, { mtu: number; why: string }>>> = Object.freeze({
  gcp: { mtu: 1460, why: 'Google Cloud VPC networks default to MTU 1460' },
  aws: { mtu: 9001, why: 'AWS VPCs carry jumbo frames (MTU 9001) between instances' },
  azure: { mtu: 1500, why: 'Azure virtual networks run at MTU 1500' },
});

/** The host MTU netpack assumes when `mtu` is not written, with the reason explain shows. */
export function defaultMtu(cloud: Cloud | undefined): Default<number | 'auto'> {
  const known = cloud ? CLOUD_MTU[cloud] : undefined;
  if (known) return { value: known.mtu, reason: `cloud ${cloud}: ${known.why}` };
  return {
    value: DEFAULT_MTU,
    reason: "auto: calico-node detects the host interface's MTU, as upstream's manifests do",
  };
}

/**
 * Calico's address autodetection when the file does not choose: `can-reach=` the first master's
 * private address when `hosts:` gives one (what Pharos did: the route to the masters' private
 * network picks the private interface even when a public one comes first), else
 * `kubernetes-internal-ip` (Calico's method for kubeadm-style clusters: the node's InternalIP,
 * which kubelet registers). Calico's own default, first-found, takes the first interface with an
 * address, which on hosts with a public and a private interface is often the public one.
 */
export function defaultAutodetection(hosts: readonly Host[]): Default<string> {
  const master = hosts.findIndex(
    // IPv4 only: IP_AUTODETECTION_METHOD picks the IPv4 address (netpack's Calico runs without IPv6).
    (h) => h.role === 'master' && h.private_address !== undefined && parseIp(h.private_address).ok,
  );
  const host = hosts[master];
  if (host?.private_address)
    return {
      value: `can-reach=${host.private_address}`,
      reason: `hosts[${master}] is a master with private address ${host.private_address}: the interface that reaches it, as Pharos chose`,
    };
  return {
    value: KUBERNETES_INTERNAL_IP,
    reason: "no master with a private address in hosts: the node's Kubernetes InternalIP",
  };
}
/** Link-local address node-local-dns listens on (upstream's choice, also Pharos'). */
export const NODE_LOCAL_DNS_IP = '169.254.20.10';

/**
 * Image of the peering side-car: the official Node.js image, which runs netpack's side-car
 * script from a ConfigMap (nothing of ours to build or pull).
 */
export const DEFAULT_PEERING_IMAGE = NODE_IMAGE;

/**
 * weaver's connection limit (launch.sh's CONN_LIMIT, default 200): 0 is unlimited. Weave is a
 * full mesh, one connection per other peer, so any fixed limit splits a cluster that grows past
 * it (Pharos raised it for the same reason); peers of other clusters count too.
 */
export const WEAVE_CONN_LIMIT = 0;

/** Calico recommends Typha above 50 nodes (kubernetes datastore); `typha: auto` follows that. */
export const TYPHA_AUTO_ABOVE_HOSTS = 50;
/** Calico's manifest guide: at least one Typha replica for every 200 nodes... */
export const TYPHA_NODES_PER_REPLICA = 200;
/** ...no more than 20 replicas... */
export const TYPHA_MAX_REPLICAS = 20;
/** ...and at least three in production, so a rolling upgrade or a lost node leaves two. */
export const TYPHA_MIN_HA_REPLICAS = 3;
/** calico-typha.yaml's own `replicas`, used when the cluster file lists no hosts. */
export const TYPHA_UPSTREAM_REPLICAS = 1;

/** `typha: auto`: on for the kubernetes datastore above 50 hosts, with the reason explain shows. */
export function autoTypha(
  hostCount: number,
  datastore: CalicoConfig['datastore'] = 'kubernetes',
): { enabled: boolean; reason: string } {
  if (datastore !== 'kubernetes')
    return { enabled: false, reason: 'etcd datastore: Typha serves the kubernetes datastore only' };
  if (hostCount === 0)
    return {
      enabled: false,
      reason: `no hosts listed; Calico recommends Typha above ${TYPHA_AUTO_ABOVE_HOSTS} nodes`,
    };
  const enabled = hostCount > TYPHA_AUTO_ABOVE_HOSTS;
  return {
    enabled,
    reason: `${hostCount} host${hostCount === 1 ? '' : 's'} ${enabled ? '>' : '<='} ${TYPHA_AUTO_ABOVE_HOSTS}`,
  };
}

/**
 * `typha_replicas: auto`, Calico's manifest guidance: one replica per started 200 nodes, at least
 * three (production), fewer replicas than nodes (else rolling upgrades stall, and Typha only
 * helps when there are fewer of it than nodes), at most 20, never below one. Without hosts:
 * upstream's 1.
 */
export function defaultTyphaReplicas(hostCount: number): number {
  if (hostCount === 0) return TYPHA_UPSTREAM_REPLICAS;
  const byLoad = Math.ceil(hostCount / TYPHA_NODES_PER_REPLICA);
  const wanted = Math.max(byLoad, TYPHA_MIN_HA_REPLICAS);
  return Math.max(1, Math.min(wanted, TYPHA_MAX_REPLICAS, hostCount - 1));
}

/** Why `defaultTyphaReplicas(hostCount)` is what it is, for explain. */
export function typhaReplicasReason(hostCount: number): string {
  if (hostCount === 0) return `no hosts listed: calico-typha.yaml's ${TYPHA_UPSTREAM_REPLICAS}`;
  return `${hostCount} host${hostCount === 1 ? '' : 's'}: one per ${TYPHA_NODES_PER_REPLICA} nodes, at least ${TYPHA_MIN_HA_REPLICAS}, fewer than the hosts, at most ${TYPHA_MAX_REPLICAS}`;
}

/** DNS replicas: one for a single host, else one more per started ten hosts. */
export function defaultDnsReplicas(hostCount: number): number {
  return hostCount <= 1 ? 1 : 1 + Math.ceil(hostCount / 10);
}

/** The node labels that name a region (the legacy one as Pharos-era clusters have it). */
const REGION_LABELS = ['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'];

/** The distinct regions the hosts' labels name, sorted. */
export function hostRegions(hosts: readonly Host[]): string[] {
  const regions = new Set(
    hosts
      .map((h) => REGION_LABELS.map((l) => h.labels[l]).find((v) => typeof v === 'string' && v !== ''))
      .filter((r): r is string => r !== undefined),
  );
  return [...regions].sort();
}
