/** Upstream Calico release these manifests follow. */
export const CALICO_VERSION = 'v3.32.1';

/** Images as upstream's manifests name them; the orchestrator rewrites them for `image_repository`. */
export const CALICO_IMAGES = Object.freeze({
  cni: `quay.io/calico/cni:${CALICO_VERSION}`,
  node: `quay.io/calico/node:${CALICO_VERSION}`,
  kubeControllers: `quay.io/calico/kube-controllers:${CALICO_VERSION}`,
});

/**
 * Typha's image (calico-typha.yaml). Kept apart from CALICO_IMAGES, which lists what every
 * Calico render runs; this one only runs when network.calico.typha is on.
 */
export const TYPHA_IMAGE = `quay.io/calico/typha:${CALICO_VERSION}`;

export const NAMESPACE = 'kube-system';
export const CONFIG_MAP = 'calico-config';
export const NODE = 'calico-node';
export const CNI_PLUGIN = 'calico-cni-plugin';
export const KUBE_CONTROLLERS = 'calico-kube-controllers';
export const TIER_GETTER = 'calico-tier-getter';
export const ETCD_SECRET = 'calico-etcd-secrets';
export const METRICS_SERVICE = 'calico-node-metrics';
/** Typha's Service, Deployment and PodDisruptionBudget, and calico-config's `typha_service_name`. */
export const TYPHA = 'calico-typha';
/** Felix connects to Typha here (Service and host port, as calico-typha.yaml). */
export const TYPHA_PORT = 5473;
/** Typha's health endpoint, probed on localhost (host network). */
export const TYPHA_HEALTH_PORT = 9098;
/**
 * Typha disconnects its clients gradually when stopped; the pod's grace period and
 * TYPHA_SHUTDOWNTIMEOUTSECS must agree (upstream: 300 s).
 */
export const TYPHA_SHUTDOWN_SECONDS = 300;
/** The name calico-node gives the pool it creates from CALICO_IPV4POOL_* on first start. */
export const IPPOOL_NAME = 'default-ipv4-ippool';
/** Calico's default block size for IPv4 pools (CALICO_IPV4POOL_BLOCK_SIZE). */
export const IPV4_BLOCK_SIZE = 26;
/** Felix's default FELIX_PROMETHEUSMETRICSPORT. */
export const DEFAULT_METRICS_PORT = 9091;
/** Where the etcd TLS Secret is mounted in calico-node, install-cni and kube-controllers. */
export const ETCD_SECRETS_DIR = '/calico-secrets';

/** Label that upstream selects every Calico workload by. */
export const APP_LABEL = 'k8s-app';

/** Upstream's two API groups for Calico resources, in upstream's order. */
export const CALICO_GROUPS = ['projectcalico.org', 'crd.projectcalico.org'];

/**
 * calico-node env vars it reads only when it creates the default pool on first start. In the
 * kubernetes datastore netpack renders that pool as an IPPool, so config/rules.ts warns when the
 * operator sets them there.
 */
export const CALICO_POOL_ENV = [
  'CALICO_IPV4POOL_CIDR',
  'CALICO_IPV4POOL_IPIP',
  'CALICO_IPV4POOL_VXLAN',
  'CALICO_IPV4POOL_NAT_OUTGOING',
  'CALICO_IPV4POOL_BLOCK_SIZE',
  'CALICO_IPV4POOL_NODE_SELECTOR',
] as const;
