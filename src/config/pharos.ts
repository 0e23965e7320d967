/**
 * What netpack knows of the rest of a Pharos cluster.yml: the top-level keys that Pharos 3.x
 * accepts and netpack does not use are accepted silently; anything else is probably a typo.
 */

/** Top-level keys netpack reads. */
export const NETPACK_TOP_LEVEL = ['network', 'hosts', 'image_repository', 'cloud', 'kube_proxy'] as const;

/** Top-level keys of Pharos 3.x's cluster.yml schema that netpack ignores. */
export const PHAROS_TOP_LEVEL = [
  'name',
  'api',
  'addons',
  'addon_paths',
  'admission_plugins',
  'audit',
  'authentication',
  'container_runtime',
  'control_plane',
  'etcd',
  'kubelet',
  'manifests',
  'pod_security_policy',
  'telemetry',
] as const;

export const KNOWN_TOP_LEVEL: readonly string[] = [...NETPACK_TOP_LEVEL, ...PHAROS_TOP_LEVEL];

/**
 * Pharos' `cloud.provider` values (its in-tree providers, its external ones and `external`), and
 * the cloud netpack's rules know each one as. Providers no network rule depends on map to nothing.
 */
export const PHAROS_CLOUD_PROVIDERS: Readonly<
  Record<string, 'aws' | 'azure' | 'gcp' | 'vmware' | undefined>
> = {
  aws: 'aws',
  azure: 'azure',
  gce: 'gcp',
  gcp: 'gcp',
  vsphere: 'vmware',
  vmware: 'vmware',
  cloudstack: undefined,
  openstack: undefined,
  ovirt: undefined,
  photon: undefined,
  hcloud: undefined,
  packet: undefined,
  pharos: undefined,
  baremetal: undefined,
  external: undefined,
};
