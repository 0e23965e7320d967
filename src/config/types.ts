/**
 * The effective cluster configuration that netpack works from: every default filled in and
 * every alias mapped onto its canonical spelling. Only `loadConfig` builds one, and only when
 * there are no errors, so code that receives a `ClusterConfig` may trust every field.
 */

export const PROVIDERS = ['weave', 'calico', 'custom'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const CLOUDS = ['aws', 'azure', 'gcp', 'vmware', 'baremetal'] as const;
export type Cloud = (typeof CLOUDS)[number];

export const ENCAPSULATION_MODES = ['Always', 'CrossSubnet', 'Never'] as const;
export type EncapsulationMode = (typeof ENCAPSULATION_MODES)[number];

export const ENCAPSULATIONS = ['ipip', 'vxlan'] as const;
/** Canonical Calico encapsulation. `mode: Never` means the pool is not encapsulated. */
export type Encapsulation = (typeof ENCAPSULATIONS)[number];

export const DATASTORES = ['kubernetes', 'etcd'] as const;
export type Datastore = (typeof DATASTORES)[number];

export const KUBE_PROXY_MODES = ['iptables', 'ipvs', 'nftables'] as const;
export type KubeProxyMode = (typeof KUBE_PROXY_MODES)[number];

export interface Host {
  /** Public address (IP or, as Pharos allowed, a hostname). */
  address: string;
  private_address?: string;
  role: 'master' | 'worker';
  labels: Record<string, string>;
  /** Pharos' ssh port; `address:ssh_port` is unique. */
  ssh_port: number;
}

export interface WeaveConfig {
  trusted_subnets: string[];
  no_masq_local: boolean;
  /** Absolute path of the shared-secret file, resolved against the directory of cluster.yml. */
  password?: string;
  known_peers: string[];
  ipalloc_default_subnet?: string;
  /** Other clusters' allocation subnets, routed through the weave bridge (multi-cluster). */
  remote_subnets: string[];
  peering: PeeringConfig;
}

/** The region-aware peering side-car on the weave-net DaemonSet. */
export interface PeeringConfig {
  enabled: boolean;
  /** Image of the side-car (this package's `netpack peers run`). */
  image: string;
  /** Route kubelet traffic (port 10250) to peers in other regions through the overlay. */
  kubelet_dnat: boolean;
}

export interface EtcdConfig {
  endpoints: string[];
  /** Absolute paths of the TLS assets that go into Secret calico-etcd-secrets. */
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
}

export interface CalicoConfig {
  encapsulation: Encapsulation;
  /** How the pool encapsulates: Never turns encapsulation off. */
  mode: EncapsulationMode;
  /** MTU of the host network, or 'auto' to let Calico detect it. */
  mtu: number | 'auto';
  nat_outgoing: boolean;
  /**
   * calico-node's IP_AUTODETECTION_METHOD: how it picks the node address BGP and tunnels use.
   * Default: can-reach= a master's private address when hosts: gives one, else kubernetes-internal-ip.
   */
  ip_autodetection_method: string;
  /** Extra env vars for calico-node; values are strings. */
  environment: Record<string, string>;
  datastore: Datastore;
  etcd?: EtcdConfig;
  /**
   * Run Typha (upstream's calico-typha.yaml), the fan-out proxy between the API server and
   * Felix. The file's `auto` is resolved here: on above 50 hosts, kubernetes datastore only.
   */
  typha: boolean;
  /** Replicas of Deployment calico-typha (`auto` resolved from the host count); used when `typha` is on. */
  typha_replicas: number;
}

export interface CustomConfig {
  /** Absolute path of a manifest file or directory. */
  manifest_path: string;
  options: Record<string, unknown>;
}

export interface FirewallPort {
  /** A port ("22") or a range ("30000-32767"). */
  port: string;
  protocol: 'tcp' | 'udp';
  roles: ('master' | 'worker' | '*')[];
}

export interface FirewalldConfig {
  enabled: boolean;
  open_ports: FirewallPort[];
  trusted_subnets: string[];
}

export interface NetworkConfig {
  provider: Provider;
  service_cidr: string;
  pod_network_cidr: string;
  node_local_dns_cache: { enabled: boolean };
  dns_replicas: number;
  cloud?: Cloud;
  image_repository?: string;
  weave: WeaveConfig;
  calico: CalicoConfig;
  custom?: CustomConfig;
  firewalld: FirewalldConfig;
  /** From the top-level `kube_proxy.mode` of a Pharos cluster.yml. */
  kube_proxy_mode: KubeProxyMode;
}

export interface ClusterConfig {
  /** Path of the cluster file as given, or `<built-in default>`. */
  file: string;
  /** Directory that relative paths in the file are resolved against. */
  baseDir: string;
  hosts: Host[];
  network: NetworkConfig;
  /** The whole parsed file, as plain data (Pharos' `cluster_config` for ERB templates). */
  raw: Record<string, unknown>;
}

/** Where an effective value came from, for `netpack explain`. */
export type Origin =
  | {
      from: 'file' /** Dotted path the operator wrote (an alias when it differs from the canonical one). */;
      path: string;
      line: number;
      col: number;
    }
  | {
      from: 'default' /** Why this default, when it depends on something (e.g. "cloud azure"). */;
      reason?: string;
    };
