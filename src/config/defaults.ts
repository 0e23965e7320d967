import { NODE_IMAGE } from '../render/node-image.ts';
import { KUBERNETES_INTERNAL_IP } from './autodetect.ts';
import { parseIp } from './cidr.ts';
import type {
  CalicoConfig,
  Cloud,
  ClusterConfig,
  FirewallPort,
  Host,
  NetworkConfig,
  WeaveConfig,
} from './types.ts';

/** Pharos' defaults: Weave's own pod range and kubeadm's service range. */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
export const DEFAULT_POD_NETWORK_CIDR = '10.32.0.0/12';
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
export function defaultMtu(cloud: Cloud | undefined): { mtu: number | 'auto'; reason: string } {
  const known = cloud ? CLOUD_MTU[cloud] : undefined;
  if (known) return { mtu: known.mtu, reason: `cloud ${cloud}: ${known.why}` };
  return {
    mtu: DEFAULT_MTU,
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
export function defaultAutodetection(hosts: readonly Host[]): { method: string; reason: string } {
  const master = hosts.findIndex(
    // IPv4 only: IP_AUTODETECTION_METHOD picks the IPv4 address (netpack's Calico runs without IPv6).
    (h) => h.role === 'master' && h.private_address !== undefined && parseIp(h.private_address).ok,
  );
  const host = hosts[master];
  if (host?.private_address)
    return {
      method: `can-reach=${host.private_address}`,
      reason: `hosts[${master}] is a master with private address ${host.private_address}: the interface that reaches it, as Pharos chose`,
    };
  return {
    method: KUBERNETES_INTERNAL_IP,
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
 * Weave Net release by default: the maintained fork's 2.9.0. Upstream 2.8.1 is archived with
 * known CVEs in its Go runtime and Alpine base, and its images drive iptables-legacy only, which
 * breaks on hosts whose kube-proxy writes nftables-backed rules; 2.9.0 fixes both (README).
 */
export const DEFAULT_WEAVE_VERSION = '2.9.0' as const;

/**
 * weaver's connection limit (launch.sh's CONN_LIMIT, default 200): 0 is unlimited. Weave is a
 * full mesh, one connection per other peer, so any fixed limit splits a cluster that grows past
 * it (Pharos raised it for the same reason); peers of other clusters count too.
 */
export const WEAVE_CONN_LIMIT = 0;

export const DEFAULT_WEAVE: Readonly<WeaveConfig> = Object.freeze({
  trusted_subnets: [],
  no_masq_local: false,
  known_peers: [],
  remote_subnets: [],
  image_version: DEFAULT_WEAVE_VERSION,
  iptables_backend: 'auto',
  ipalloc_init: 'consensus',
  peering: { enabled: false, image: DEFAULT_PEERING_IMAGE, kubelet_dnat: false },
});

export const DEFAULT_CALICO: Readonly<CalicoConfig> = Object.freeze({
  encapsulation: 'ipip',
  mode: 'Always',
  mtu: DEFAULT_MTU,
  nat_outgoing: true,
  ip_autodetection_method: KUBERNETES_INTERNAL_IP,
  environment: {},
  datastore: 'kubernetes',
  typha: false,
  typha_replicas: 1,
});

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

/** Pharos' default open ports: ssh everywhere, HTTP(S) ingress on workers, the API on masters, NodePorts. */
export const DEFAULT_OPEN_PORTS: readonly FirewallPort[] = Object.freeze([
  { port: '22', protocol: 'tcp', roles: ['*'] },
  { port: '80', protocol: 'tcp', roles: ['worker'] },
  { port: '443', protocol: 'tcp', roles: ['worker'] },
  { port: '6443', protocol: 'tcp', roles: ['master'] },
  { port: '30000-32767', protocol: 'tcp', roles: ['*'] },
  { port: '30000-32767', protocol: 'udp', roles: ['*'] },
]);

/** DNS replicas: one for a single host, else one more per started ten hosts. */
export function defaultDnsReplicas(hostCount: number): number {
  return hostCount <= 1 ? 1 : 1 + Math.ceil(hostCount / 10);
}

export function defaultNetwork(hostCount = 0): NetworkConfig {
  return {
    provider: 'weave',
    service_cidr: DEFAULT_SERVICE_CIDR,
    pod_network_cidr: DEFAULT_POD_NETWORK_CIDR,
    node_local_dns_cache: { enabled: true },
    dns_replicas: defaultDnsReplicas(hostCount),
    weave: structuredClone(DEFAULT_WEAVE) as WeaveConfig,
    calico: {
      ...(structuredClone(DEFAULT_CALICO) as CalicoConfig),
      typha: autoTypha(hostCount).enabled,
      typha_replicas: defaultTyphaReplicas(hostCount),
    },
    firewalld: {
      enabled: false,
      open_ports: structuredClone(DEFAULT_OPEN_PORTS) as FirewallPort[],
      trusted_subnets: [],
    },
    kube_proxy_mode: 'iptables',
  };
}

/** The built-in default: a Weave network with every default, no hosts. */
export function defaultClusterConfig(): ClusterConfig {
  return {
    file: '<built-in default>',
    baseDir: process.cwd(),
    hosts: [],
    network: defaultNetwork(),
    raw: {},
  };
}
