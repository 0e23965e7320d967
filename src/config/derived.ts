/**
 * Facts that follow from the effective config, shown by `netpack explain` and used by render.
 */
import { addressCount, mustParseCidr, nodeSubnets, nthAddress } from './cidr.ts';
import { NODE_LOCAL_DNS_IP, WEAVE_CONN_LIMIT } from './defaults.ts';
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
  /** Weave only: weaver's connection limit and why. */
  weave_conn_limit?: string;
}

/** The derived facts in words, for `netpack explain`: `deriveValues` with what each means. */
export function deriveFacts(net: NetworkConfig): DerivedFacts {
  const v = deriveValues(net);
  const podFamily = mustParseCidr(net.pod_network_cidr).family;
  const facts: DerivedFacts = {
    dns_service_ip: v.dns_service_ip,
    kubernetes_service_ip: v.kubernetes_service_ip,
    pod_dns_server: !net.node_local_dns_cache.enabled
      ? v.pod_dns_server
      : net.kube_proxy_mode === 'ipvs'
        ? `${v.pod_dns_server} (kubelet clusterDNS must be set to it: IPVS mode)`
        : `${v.pod_dns_server} (answered on each node by node-local-dns, also on ${NODE_LOCAL_DNS_IP})`,
    max_nodes: `${v.max_nodes} (a /${podFamily === 4 ? 24 : 64} per node)`,
    pod_addresses: String(v.pod_addresses),
    service_addresses: String(v.service_addresses),
  };
  if (net.provider === 'weave') {
    // Weave's IPAM hands each node address space on demand from the whole pod network: no
    // per-node range, so no /24 bound; every node needs at least one address of it.
    facts.max_nodes = `${v.max_nodes} (Weave gives each node address space on demand, no per-node range: at most one node per pod address)`;
    facts.weave_conn_limit =
      WEAVE_CONN_LIMIT === 0
        ? 'unlimited (CONN_LIMIT=0): Weave is a full mesh, and its default limit of 200 connections would split a cluster past 200 nodes'
        : String(WEAVE_CONN_LIMIT);
  }
  if (net.provider === 'calico') {
    const c = net.calico;
    facts.workload_mtu =
      v.workload_mtu == null
        ? 'detected by Calico (mtu: auto)'
        : `${v.workload_mtu} (${c.mtu} − ${encapsulationOverhead(c)} for ${c.mode === 'Never' ? 'no encapsulation' : c.encapsulation === 'ipip' ? 'IP-in-IP' : 'VXLAN'})`;
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
  /** Weave only: weaver's connection limit, 0 for unlimited. */
  weave_conn_limit?: number;
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
  if (net.provider === 'weave') {
    values.max_nodes = exact(addressCount(pod));
    values.weave_conn_limit = WEAVE_CONN_LIMIT;
  }
  if (net.provider === 'calico') values.workload_mtu = workloadMtu(net.calico) ?? null;
  return values;
}
