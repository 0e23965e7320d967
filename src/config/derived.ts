/**
 * Facts that follow from the effective config, shown by `netpack explain` and used by render.
 */
import { addressCount, mustParseCidr, nodeSubnets, nthAddress } from './cidr.ts';
import { NODE_LOCAL_DNS_IP } from './defaults.ts';
import type { CalicoConfig, NetworkConfig } from './types.ts';

/** Bytes an encapsulation adds to each packet: IP-in-IP an outer IPv4 header, VXLAN 50. */
export const ENCAPSULATION_OVERHEAD = { ipip: 20, vxlan: 50 } as const;

/** kubeadm gives the cluster DNS service the 10th address of the service range. */
export function clusterDnsIp(serviceCidr: string): string {
  return nthAddress(mustParseCidr(serviceCidr), 10);
}

/** The `kubernetes` service takes the first address of the service range. */
export function kubernetesServiceIp(serviceCidr: string): string {
  return nthAddress(mustParseCidr(serviceCidr), 1);
}

/** Overhead of the pool's encapsulation in bytes (0 when mode is Never). */
export function encapsulationOverhead(calico: CalicoConfig): number {
  return calico.mode === 'Never' ? 0 : ENCAPSULATION_OVERHEAD[calico.encapsulation];
}

/** MTU of pod interfaces: the host MTU minus the encapsulation overhead; undefined when auto. */
export function workloadMtu(calico: CalicoConfig): number | undefined {
  return calico.mtu === 'auto' ? undefined : calico.mtu - encapsulationOverhead(calico);
}

export interface DerivedFacts {
  dns_service_ip: string;
  kubernetes_service_ip: string;
  /** What pods use as their DNS server: the node-local cache when it answers on the service IP. */
  pod_dns_server: string;
  max_nodes: string;
  pod_addresses: string;
  service_addresses: string;
  workload_mtu?: string;
}

export function deriveFacts(net: NetworkConfig): DerivedFacts {
  const pod = mustParseCidr(net.pod_network_cidr);
  const service = mustParseCidr(net.service_cidr);
  const facts: DerivedFacts = {
    dns_service_ip: clusterDnsIp(net.service_cidr),
    kubernetes_service_ip: kubernetesServiceIp(net.service_cidr),
    pod_dns_server:
      net.node_local_dns_cache.enabled && net.kube_proxy_mode === 'ipvs'
        ? `${NODE_LOCAL_DNS_IP} (kubelet clusterDNS must be set to it: IPVS mode)`
        : net.node_local_dns_cache.enabled
          ? `${clusterDnsIp(net.service_cidr)} (answered on each node by node-local-dns, also on ${NODE_LOCAL_DNS_IP})`
          : clusterDnsIp(net.service_cidr),
    max_nodes: `${nodeSubnets(pod)} (a /${pod.family === 4 ? 24 : 64} per node)`,
    pod_addresses: String(addressCount(pod)),
    service_addresses: String(addressCount(service)),
  };
  if (net.provider === 'calico') {
    const c = net.calico;
    const mtu = workloadMtu(c);
    facts.workload_mtu =
      mtu === undefined
        ? 'detected by Calico (mtu: auto)'
        : `${mtu} (${c.mtu} − ${encapsulationOverhead(c)} for ${c.mode === 'Never' ? 'no encapsulation' : c.encapsulation === 'ipip' ? 'IP-in-IP' : 'VXLAN'})`;
  }
  return facts;
}

/**
 * The same facts as values for machines (`explain -o json`): numbers where they are numbers
 * (counts past 2^53 as decimal strings, so nothing is rounded), addresses alone, MTU null when
 * Calico detects it. `deriveFacts` says the same in words.
 */
export interface DerivedValues {
  dns_service_ip: string;
  kubernetes_service_ip: string;
  /** The address pods send DNS queries to. */
  pod_dns_server: string;
  max_nodes: number | string;
  pod_addresses: number | string;
  service_addresses: number | string;
  /** Calico only: the pods' MTU; null when detected by Calico (mtu: auto). */
  workload_mtu?: number | null;
}

function exact(n: bigint): number | string {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

export function deriveValues(net: NetworkConfig): DerivedValues {
  const pod = mustParseCidr(net.pod_network_cidr);
  const service = mustParseCidr(net.service_cidr);
  const values: DerivedValues = {
    dns_service_ip: clusterDnsIp(net.service_cidr),
    kubernetes_service_ip: kubernetesServiceIp(net.service_cidr),
    pod_dns_server:
      net.node_local_dns_cache.enabled && net.kube_proxy_mode === 'ipvs'
        ? NODE_LOCAL_DNS_IP
        : clusterDnsIp(net.service_cidr),
    max_nodes: exact(nodeSubnets(pod)),
    pod_addresses: exact(addressCount(pod)),
    service_addresses: exact(addressCount(service)),
  };
  if (net.provider === 'calico') values.workload_mtu = workloadMtu(net.calico) ?? null;
  return values;
}
