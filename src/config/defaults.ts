import type { CalicoConfig, ClusterConfig, FirewallPort, NetworkConfig, WeaveConfig } from './types.ts';

/** Pharos' defaults: Weave's own pod range and kubeadm's service range. */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
export const DEFAULT_POD_NETWORK_CIDR = '10.32.0.0/12';
/** MTU of the host network when the operator says nothing (Ethernet). */
export const DEFAULT_MTU = 1500;
/** Link-local address node-local-dns listens on (upstream's choice, also Pharos'). */
export const NODE_LOCAL_DNS_IP = '169.254.20.10';

/** Image of the peering side-car, built from this package by the Dockerfile. */
export const DEFAULT_PEERING_IMAGE = 'docker.io/netpack/netpack:0.1.0';

export const DEFAULT_WEAVE: Readonly<WeaveConfig> = Object.freeze({
  trusted_subnets: [],
  no_masq_local: false,
  known_peers: [],
  remote_subnets: [],
  peering: { enabled: false, image: DEFAULT_PEERING_IMAGE, kubelet_dnat: false },
});

export const DEFAULT_CALICO: Readonly<CalicoConfig> = Object.freeze({
  encapsulation: 'ipip',
  mode: 'Always',
  mtu: DEFAULT_MTU,
  nat_outgoing: true,
  environment: {},
  datastore: 'kubernetes',
});

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
    calico: structuredClone(DEFAULT_CALICO) as CalicoConfig,
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
