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

function encapsulationName(calico: CalicoConfig): string {
  return calico.mode === 'Never'
    ? 'no encapsulation'
    : calico.encapsulation === 'ipip'
      ? 'IP-in-IP'
      : 'VXLAN';
}

/** What pods get, in words: the number with where it comes from, or how Calico will work it out. */
export function workloadMtuText(calico: CalicoConfig): string {
  const mtu = workloadMtu(calico);
  const overhead = encapsulationOverhead(calico);
  if (mtu === undefined)
    return `auto: Calico detects the host interface's MTU and gives pods that${overhead ? ` minus ${overhead} for ${encapsulationName(calico)}` : ' (no encapsulation)'}`;
  return `${mtu} (${calico.mtu} − ${overhead} for ${encapsulationName(calico)})`;
}

/** Calico's default IPAM block size (an IPv4 /26 of 64 addresses, an IPv6 /122). */
export const CALICO_BLOCK_PREFIX = { 4: 26, 6: 122 } as const;

/**
 * How many nodes the pod range serves, by provider and IPAM: Calico hands out blocks (a /26 by
 * default; `CALICO_IPV4POOL_BLOCK_SIZE` with the etcd datastore, where calico-node creates the
 * pool), at least one per node; Weave hands each node address space on demand from the whole
 * range, with no per-node range (at most one node per address); custom plugins with host-local
 * IPAM take kube-controller-manager's per-node range (a /24, its default node-cidr-mask-size).
 */
export function maxNodes(net: NetworkConfig): { count: bigint; why: string } {
  const pod = mustParseCidr(net.pod_network_cidr);
  if (net.provider === 'calico') {
    const written = Number(net.calico.environment.CALICO_IPV4POOL_BLOCK_SIZE);
    const block =
      pod.family === 4 &&
      net.calico.datastore === 'etcd' &&
      Number.isInteger(written) &&
      written >= 20 &&
      written <= 32
        ? written
        : CALICO_BLOCK_PREFIX[pod.family];
    const addresses = 1n << BigInt((pod.family === 4 ? 32 : 128) - block);
    return {
      count: nodeSubnets(pod, block),
      why: `Calico IPAM: one /${block} block (${addresses} addresses) per node at least, more blocks as a node runs more pods`,
    };
  }
  if (net.provider === 'weave')
    return {
      count: addressCount(pod),
      why: 'Weave IPAM: no per-node range, each node gets address space on demand, so at most one node per pod address',
    };
  const prefix = pod.family === 4 ? 24 : 64;
  return { count: nodeSubnets(pod, prefix), why: `a /${prefix} per node` };
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
  const facts: DerivedFacts = {
    dns_service_ip: v.dns_service_ip,
    kubernetes_service_ip: v.kubernetes_service_ip,
    pod_dns_server: !net.node_local_dns_cache.enabled
      ? v.pod_dns_server
      : net.kube_proxy_mode !== 'iptables'
        ? `${v.pod_dns_server} (kubelet clusterDNS must be set to it: ${net.kube_proxy_mode === 'ipvs' ? 'IPVS' : 'nftables'} mode)`
        : `${v.pod_dns_server} (answered on each node by node-local-dns, also on ${NODE_LOCAL_DNS_IP})`,
    max_nodes: `${v.max_nodes} (${maxNodes(net).why})`,
    pod_addresses: String(v.pod_addresses),
    service_addresses: String(v.service_addresses),
  };
  if (net.provider === 'weave') {
    facts.weave_conn_limit =
      WEAVE_CONN_LIMIT === 0
        ? 'unlimited (CONN_LIMIT=0): Weave is a full mesh, and its default limit of 200 connections would split a cluster past 200 nodes'
        : String(WEAVE_CONN_LIMIT);
  }
  if (net.provider === 'calico') {
    facts.workload_mtu = workloadMtuText(net.calico);
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
      net.node_local_dns_cache.enabled && net.kube_proxy_mode !== 'iptables'
        ? NODE_LOCAL_DNS_IP
        : clusterDnsIp(net.service_cidr),
    max_nodes: exact(maxNodes(net).count),
    pod_addresses: exact(addressCount(pod)),
    service_addresses: exact(addressCount(service)),
  };
  if (net.provider === 'weave') values.weave_conn_limit = WEAVE_CONN_LIMIT;
  if (net.provider === 'calico') values.workload_mtu = workloadMtu(net.calico) ?? null;
  return values;
}
