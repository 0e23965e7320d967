import { workloadMtu } from '../../config/derived.ts';
import type { CalicoConfig, ClusterConfig, EncapsulationMode } from '../../config/types.ts';
import { DEFAULT_METRICS_PORT } from './constants.ts';

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

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `network.calico` in Calico's own terms. Pure and total: every check that can fail (an IPv4 pod
 * CIDR, the backend's name, the metrics port, etcd endpoints, the workload MTU, pool env vars
 * in the kubernetes datastore) is made by config/rules.ts, with its position, before anything
 * renders, so the config it gets is trusted.
 */
export function calicoSettings(config: ClusterConfig): CalicoSettings {
  const calico = config.network.calico;
  const environment = Object.entries(calico.environment)
    .map(([k, v]): [string, string] => [k, String(v)])
    .sort(([a], [b]) => byCodePoint(a, b));
  const env = new Map(environment);

  const encapsulated = calico.mode !== 'Never';
  const ipipMode: EncapsulationMode = calico.encapsulation === 'ipip' ? calico.mode : 'Never';
  const vxlanMode: EncapsulationMode = calico.encapsulation === 'vxlan' ? calico.mode : 'Never';
  // calico.yaml runs BIRD (BGP) for IP-in-IP; calico-vxlan.yaml runs no BGP ("vxlan"). An
  // unencapsulated pool (mode Never) is routed only by BGP, so it needs BIRD whatever the
  // encapsulation says. The operator may still pick a backend through the environment (one of
  // the three: rules.ts).
  const derivedBackend: Backend = encapsulated && calico.encapsulation === 'vxlan' ? 'vxlan' : 'bird';
  const backend = (env.get('CALICO_NETWORKING_BACKEND') as Backend | undefined) ?? derivedBackend;

  // Calico's MTU guide: workload (veth) MTU = host MTU − 20 for IP-in-IP, − 50 for VXLAN, − 0
  // unencapsulated. "0" (mtu auto) lets Calico detect it. At least 576 (rules.ts).
  const workload = workloadMtu(calico);
  const vethMtu = workload === undefined ? '0' : String(workload);

  // Felix's Prometheus metrics: on when "true" in any case; the port is a port (rules.ts).
  const metricsOn = env.get('FELIX_PROMETHEUSMETRICSENABLED')?.trim().toLowerCase() === 'true';
  const port = env.get('FELIX_PROMETHEUSMETRICSPORT');
  const metricsPort = metricsOn ? (port === undefined ? DEFAULT_METRICS_PORT : Number(port.trim())) : null;

  return {
    datastore: calico.datastore,
    podCidr: config.network.pod_network_cidr,
    ipipMode,
    vxlanMode,
    natOutgoing: calico.nat_outgoing,
    autodetectionMethod: calico.ip_autodetection_method,
    backend,
    vethMtu,
    environment,
    metricsPort,
    etcd: { endpoints: [...(calico.etcd?.endpoints ?? [])], ...pickFiles(calico.etcd) },
    // Typha fans out the kubernetes datastore only; rules.ts rejects it with etcd.
    typha:
      calico.typha && calico.datastore === 'kubernetes'
        ? { replicas: Math.max(1, calico.typha_replicas) }
        : null,
  };
}

function pickFiles(etcd: CalicoConfig['etcd']): { ca_file?: string; cert_file?: string; key_file?: string } {
  const out: { ca_file?: string; cert_file?: string; key_file?: string } = {};
  if (etcd?.ca_file) out.ca_file = etcd.ca_file;
  if (etcd?.cert_file) out.cert_file = etcd.cert_file;
  if (etcd?.key_file) out.key_file = etcd.key_file;
  return out;
}
