import type { EffectiveOf, Resolved } from './option.ts';
import type { kubeProxyMode, networkSchema } from './schema.ts';

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

/**
 * Weave Net release by default: the maintained fork's 2.9.0. Upstream 2.8.1 is archived with
 * known CVEs in its Go runtime and Alpine base, and its images drive iptables-legacy only, which
 * breaks on hosts whose kube-proxy writes nftables-backed rules; 2.9.0 fixes both (README).
 */
export const DEFAULT_WEAVE_VERSION = '2.9.0' as const;

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

export interface EtcdConfig {
  endpoints: string[];
  /** Absolute paths of the TLS assets that go into Secret calico-etcd-secrets. */
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
}

export interface FirewallPort {
  /** A port ("22") or a range ("30000-32767"). */
  port: string;
  protocol: 'tcp' | 'udp';
  roles: ('master' | 'worker' | '*')[];
}

/**
 * The effective `network:` section, derived from the option declarations in schema.ts: each
 * option's effective type (its schema's output, or what its `resolve` makes of it), optional
 * when it has no default.
 */
export type NetworkConfig = Resolved<(typeof networkSchema)['shape']> & {
  /** From the top-level `kube_proxy.mode` of a Pharos cluster.yml. */
  kube_proxy_mode: EffectiveOf<typeof kubeProxyMode>;
};
export type WeaveConfig = NetworkConfig['weave'];
/** The region-aware peering side-car on the weave-net DaemonSet. */
export type PeeringConfig = WeaveConfig['peering'];
export type CalicoConfig = NetworkConfig['calico'];
export type FirewalldConfig = NetworkConfig['firewalld'];
/** The custom provider: the absolute path of a manifest file or directory, the templates' values. */
export type CustomConfig = NonNullable<NetworkConfig['custom']>;

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
