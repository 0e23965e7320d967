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

/**
 * Weave Net releases netpack renders: upstream's last (2.8.1, `weaveworks/...`) and the
 * maintained fork's (`rajchaudhuri/...`, 2.8.2 to 2.9.0; see src/providers/weave/index.ts).
 */
export const WEAVE_VERSIONS = [
  '2.8.1',
  '2.8.2',
  '2.8.3',
  '2.8.4',
  '2.8.5',
  '2.8.6',
  '2.8.7',
  '2.8.8',
  '2.8.9',
  '2.8.10',
  '2.9.0',
] as const;
export type WeaveVersion = (typeof WEAVE_VERSIONS)[number];

/** The fork's launch.sh (2.9.0) reads IPTABLES_BACKEND; `auto` leaves it to its detection. */
export const IPTABLES_BACKENDS = ['auto', 'nft', 'legacy'] as const;
export type IptablesBackend = (typeof IPTABLES_BACKENDS)[number];

/** How a cluster's routers start IP allocation (launch.sh's IPALLOC_INIT). */
export const IPALLOC_INITS = ['consensus', 'observer'] as const;
export type IpallocInit = (typeof IPALLOC_INITS)[number];

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
  /** Weave Net release: upstream 2.8.1 or the maintained fork's 2.8.2..2.9.0. */
  image_version: WeaveVersion;
  /** IPTABLES_BACKEND of the fork's launch.sh (2.9.0 on); `auto`: launch.sh detects it. */
  iptables_backend: IptablesBackend;
  /**
   * `consensus`: this cluster's own nodes seed IP allocation (launch.sh counts the Kubernetes
   * node list); `observer`: they take address space from peers that already have it (the other
   * clusters of a shared pod network).
   */
  ipalloc_init: IpallocInit;
  peering: PeeringConfig;
}

/** The region-aware peering side-car on the weave-net DaemonSet. */
export interface PeeringConfig {
  enabled: boolean;
  /**
   * Image of the side-car. The default, the official Node.js image (`NODE_IMAGE`), runs
   * netpack's side-car script from ConfigMap `weave-net-peers`; any other image is a self-built
   * one whose `netpack peers run` is the side-car.
   */
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
