import { parseCidr } from '../../config/cidr.ts';
import { workloadMtu } from '../../config/derived.ts';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { CalicoConfig, ClusterConfig, EncapsulationMode } from '../../config/types.ts';
import { DEFAULT_METRICS_PORT, IPPOOL_NAME } from './constants.ts';

/** Calico's networking backends as calico-config's `calico_backend` names them. */
export type Backend = 'bird' | 'vxlan' | 'none';

/** What the objects are built from: `network.calico` resolved into Calico's own terms. */
export interface CalicoSettings {
  datastore: CalicoConfig['datastore'];
  podCidr: string;
  ipipMode: EncapsulationMode;
  vxlanMode: EncapsulationMode;
  natOutgoing: boolean;
  /** calico-node's IP_AUTODETECTION_METHOD. */
  autodetectionMethod: string;
  /** calico-config's `calico_backend`. */
  backend: Backend;
  /** calico-config's `veth_mtu`: "0" lets Calico detect the MTU. */
  vethMtu: string;
  /** The operator's extra calico-node env, sorted by name (code-point order). */
  environment: [string, string][];
  /** Port of the headless metrics Service, or null when Felix's Prometheus metrics are off. */
  metricsPort: number | null;
  etcd: { endpoints: string[]; ca_file?: string; cert_file?: string; key_file?: string };
  /** Typha's replicas when it runs (kubernetes datastore and network.calico.typha), else null. */
  typha: { replicas: number } | null;
}

/**
 * Env vars that calico-node only reads when it creates the default pool on first start. In the
 * kubernetes datastore netpack renders that pool as an IPPool, so setting these is misleading.
 */
const POOL_ENV = [
  'CALICO_IPV4POOL_CIDR',
  'CALICO_IPV4POOL_IPIP',
  'CALICO_IPV4POOL_VXLAN',
  'CALICO_IPV4POOL_NAT_OUTGOING',
  'CALICO_IPV4POOL_BLOCK_SIZE',
  'CALICO_IPV4POOL_NODE_SELECTOR',
];

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Resolves `network.calico` into settings, with diagnostics for what render cannot honour. */
export function calicoSettings(config: ClusterConfig): {
  settings: CalicoSettings;
  diagnostics: Diagnostic[];
} {
  const calico = config.network.calico;
  const diagnostics: Diagnostic[] = [];
  const environment = Object.entries(calico.environment)
    .map(([k, v]): [string, string] => [k, String(v)])
    .sort(([a], [b]) => byCodePoint(a, b));
  const env = new Map(environment);

  const podCidr = config.network.pod_network_cidr;
  const parsed = parseCidr(podCidr);
  if (!parsed.ok || parsed.value.family !== 4) {
    diagnostics.push({
      code: 'InvalidCidr',
      severity: 'error',
      path: 'network.pod_network_cidr',
      message: `Calico needs an IPv4 CIDR for its pool (got "${podCidr}")`,
    });
  }

  const encapsulated = calico.mode !== 'Never';
  const ipipMode: EncapsulationMode = calico.encapsulation === 'ipip' ? calico.mode : 'Never';
  const vxlanMode: EncapsulationMode = calico.encapsulation === 'vxlan' ? calico.mode : 'Never';
  // calico.yaml runs BIRD (BGP) for IP-in-IP; calico-vxlan.yaml runs no BGP ("vxlan"). An
  // unencapsulated pool (mode Never) is routed only by BGP, so it needs BIRD whatever the
  // encapsulation says. The operator may still pick a backend through the environment.
  const derivedBackend: Backend = encapsulated && calico.encapsulation === 'vxlan' ? 'vxlan' : 'bird';
  const backendOverride = env.get('CALICO_NETWORKING_BACKEND');
  let backend: Backend = derivedBackend;
  if (backendOverride !== undefined) {
    if (backendOverride === 'bird' || backendOverride === 'vxlan' || backendOverride === 'none') {
      backend = backendOverride;
    } else {
      diagnostics.push({
        code: 'InvalidValue',
        severity: 'error',
        path: 'network.calico.environment.CALICO_NETWORKING_BACKEND',
        message: `must be one of bird, vxlan, none (got "${backendOverride}")`,
      });
    }
  }

  // Calico's MTU guide: workload (veth) MTU = host MTU − 20 for IP-in-IP, − 50 for VXLAN, − 0
  // unencapsulated. "0" (mtu auto) lets Calico detect it.
  const workload = workloadMtu(calico);
  // At least 576: config/rules.ts refuses a smaller one, with its position, before render.
  const vethMtu = workload === undefined ? '0' : String(workload);

  let metricsPort: number | null = null;
  const metricsEnabled = env.get('FELIX_PROMETHEUSMETRICSENABLED');
  if (metricsEnabled !== undefined && metricsEnabled.trim().toLowerCase() === 'true') {
    const raw = env.get('FELIX_PROMETHEUSMETRICSPORT');
    metricsPort = DEFAULT_METRICS_PORT;
    if (raw !== undefined) {
      const port = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
      if (Number.isInteger(port) && port >= 1 && port <= 65535) {
        metricsPort = port;
      } else {
        metricsPort = null;
        diagnostics.push({
          code: 'InvalidPort',
          severity: 'error',
          path: 'network.calico.environment.FELIX_PROMETHEUSMETRICSPORT',
          message: `must be a port number 1-65535 (got "${raw}")`,
        });
      }
    }
  }

  if (calico.datastore === 'kubernetes') {
    for (const name of POOL_ENV) {
      if (env.has(name)) {
        diagnostics.push({
          code: 'IgnoredOption',
          severity: 'warning',
          path: `network.calico.environment.${name}`,
          message: `only acts when calico-node creates its first pool; netpack manages IPPool ${IPPOOL_NAME} from network.calico and network.pod_network_cidr`,
          hint: 'use network.calico.encapsulation, mode, nat_outgoing and network.pod_network_cidr instead',
        });
      }
    }
  }

  const etcd = { endpoints: [...(calico.etcd?.endpoints ?? [])], ...pickFiles(calico.etcd) };
  if (calico.datastore === 'etcd' && etcd.endpoints.length === 0) {
    diagnostics.push({
      code: 'MissingOption',
      severity: 'error',
      path: 'network.calico.etcd.endpoints',
      message: 'the etcd datastore needs at least one endpoint',
    });
  }

  return {
    settings: {
      datastore: calico.datastore,
      podCidr,
      ipipMode,
      vxlanMode,
      natOutgoing: calico.nat_outgoing,
      autodetectionMethod: calico.ip_autodetection_method,
      backend,
      vethMtu,
      environment,
      metricsPort,
      etcd,
      // Typha fans out the kubernetes datastore only; rules.ts rejects it with etcd.
      typha:
        calico.typha && calico.datastore === 'kubernetes'
          ? { replicas: Math.max(1, calico.typha_replicas) }
          : null,
    },
    diagnostics,
  };
}

function pickFiles(etcd: CalicoConfig['etcd']): { ca_file?: string; cert_file?: string; key_file?: string } {
  const out: { ca_file?: string; cert_file?: string; key_file?: string } = {};
  if (etcd?.ca_file) out.ca_file = etcd.ca_file;
  if (etcd?.cert_file) out.cert_file = etcd.cert_file;
  if (etcd?.key_file) out.key_file = etcd.key_file;
  return out;
}
