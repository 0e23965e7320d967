/**
 * What runs in the cluster, whoever put it there: pod networks found by their DaemonSets (by
 * name and by image, in any namespace, with or without netpack's label), Calico IPPools, a Tigera
 * operator `Installation`; and the ranges the running network uses (Service IPs, weave-net's
 * IPALLOC_RANGE, node podCIDRs). The guard judges these facts; this module only reads them out
 * of listed objects. Pure. The name and image patterns are our own list of what each project's
 * manifests and operators install (Weave, Calico, Canal, Flannel, Cilium, kube-router, Antrea).
 */
import { MANAGED_BY, MANAGED_BY_LABEL } from '../render/types.ts';
import type { KubeObject } from './types.ts';

export type NetworkName = 'weave' | 'calico' | 'canal' | 'flannel' | 'cilium' | 'kube-router' | 'antrea';

/** One pod network found running (or configured) in the cluster. */
export interface RunningNetwork {
  provider: NetworkName;
  /** Where it was seen, e.g. `DaemonSet kube-system/weave-net`. */
  where: string;
  /** Applied by netpack (carries its managed-by label). */
  ours: boolean;
  /** Installed by the Tigera operator: netpack and the operator would undo each other's work. */
  operator?: boolean;
}

/** DaemonSet names as the upstream manifests spell them. */
const BY_NAME: [RegExp, NetworkName][] = [
  [/^weave-net$/, 'weave'],
  [/^calico-node$/, 'calico'],
  [/^canal$/, 'canal'],
  [/^kube-flannel(-ds)?(-[a-z0-9]+)?$/, 'flannel'],
  [/^cilium$/, 'cilium'],
  [/^kube-router$/, 'kube-router'],
  [/^antrea-agent$/, 'antrea'],
];

/** Image repositories (the path, any registry or tag). */
const BY_IMAGE: [RegExp, NetworkName][] = [
  [/(^|\/)weave-kube(:|@|$)/, 'weave'],
  [/(^|\/)calico\/node(:|@|$)/, 'calico'],
  [/(^|\/)(flannel|flannelcni\/flannel|flannel\/flannel|coreos\/flannel)(:|@|$)/, 'flannel'],
  [/(^|\/)cilium\/cilium(:|@|$)/, 'cilium'],
  [/(^|\/)kube-router(:|@|$)/, 'kube-router'],
  [/(^|\/)antrea\/antrea-(agent|ubuntu)[^/]*(:|@|$)/, 'antrea'],
];

function images(ds: KubeObject): string[] {
  const pod = (ds.spec as { template?: { spec?: Record<string, unknown> } } | undefined)?.template?.spec;
  const containers = [
    ...((pod?.containers as { image?: string }[] | undefined) ?? []),
    ...((pod?.initContainers as { image?: string }[] | undefined) ?? []),
  ];
  return containers.map((c) => c.image ?? '').filter((i) => i !== '');
}

/** Which network a DaemonSet runs, if any: its name first, else its images (Calico plus Flannel is Canal). */
export function networkOfDaemonSet(ds: KubeObject): NetworkName | undefined {
  const named = BY_NAME.find(([re]) => re.test(ds.metadata.name));
  if (named) return named[1];
  const found = new Set<NetworkName>();
  for (const image of images(ds))
    for (const [re, name] of BY_IMAGE) if (re.test(image.split('@')[0]!)) found.add(name);
  if (found.has('calico') && found.has('flannel')) return 'canal';
  return [...found][0];
}

/** How a network's DaemonSet is named in `RunningNetwork.where`. */
export const daemonSetWhere = (ds: KubeObject) => `DaemonSet ${ds.metadata.namespace}/${ds.metadata.name}`;

const isOurs = (o: KubeObject) => o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY;

/** Every pod network seen: DaemonSets, Calico IPPools (when no Calico DaemonSet explains them), a Tigera Installation. */
export function detectNetworks(input: {
  daemonSets: readonly KubeObject[];
  ipPools: readonly KubeObject[];
  installations: readonly KubeObject[];
}): RunningNetwork[] {
  const out: RunningNetwork[] = [];
  for (const ds of input.daemonSets) {
    const provider = networkOfDaemonSet(ds);
    if (provider)
      out.push({
        provider,
        where: daemonSetWhere(ds),
        ours: isOurs(ds),
      });
  }
  for (const inst of input.installations)
    out.push({
      provider: 'calico',
      where: `Installation.operator.tigera.io ${inst.metadata.name}`,
      ours: false,
      operator: true,
    });
  const calicoSeen = out.some((n) => n.provider === 'calico' || n.provider === 'canal');
  if (!calicoSeen && input.ipPools.length > 0) {
    const pools = input.ipPools.map((p) => p.metadata.name).join(', ');
    out.push({
      provider: 'calico',
      where: `IPPool.crd.projectcalico.org ${pools}`,
      ours: input.ipPools.some(isOurs),
    });
  }
  return out;
}

/** A Service's ClusterIP the guard compares with the service range. */
export interface ServiceIp {
  /** `default/kubernetes` or `kube-system/kube-dns`. */
  service: string;
  ip: string;
}

export function serviceIps(services: readonly (KubeObject | undefined)[]): ServiceIp[] {
  const out: ServiceIp[] = [];
  for (const s of services) {
    const ip = (s?.spec as { clusterIP?: string } | undefined)?.clusterIP;
    if (s && ip && ip !== 'None') out.push({ service: `${s.metadata.namespace}/${s.metadata.name}`, ip });
  }
  return out;
}

const WEAVE_DEFAULT_RANGE = '10.32.0.0/12';

/** The IPALLOC_RANGE env of the weave container of a weave-net DaemonSet (the pod range Weave allocates from). */
export function weaveAllocRange(
  daemonSets: readonly KubeObject[],
): { where: string; cidr: string } | undefined {
  for (const ds of daemonSets) {
    if (networkOfDaemonSet(ds) !== 'weave') continue;
    const pod = (ds.spec as { template?: { spec?: { containers?: unknown[] } } } | undefined)?.template?.spec;
    for (const c of (pod?.containers ?? []) as { env?: { name?: string; value?: string }[] }[]) {
      const env = c.env?.find((e) => e.name === 'IPALLOC_RANGE');
      if (env?.value)
        return {
          where: `IPALLOC_RANGE of DaemonSet ${ds.metadata.namespace}/${ds.metadata.name}`,
          cidr: env.value,
        };
    }
    // Without it, Weave's launch script allocates from its own default range.
    return {
      where: `DaemonSet ${ds.metadata.namespace}/${ds.metadata.name} (no IPALLOC_RANGE: Weave's default)`,
      cidr: WEAVE_DEFAULT_RANGE,
    };
  }
  return undefined;
}
