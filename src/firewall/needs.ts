/**
 * What the pod network needs between nodes, per provider: the ports and IP protocols one node
 * must accept from the others. Derived purely from the effective config.
 */
import { containsAddress, parseCidr, parseIp } from '../config/cidr.ts';
import type { ClusterConfig } from '../config/types.ts';
import { TYPHA_PORT as CALICO_TYPHA_PORT } from '../providers/calico/constants.ts';
import { calicoSettings } from '../providers/calico/settings.ts';
import { WEAVE_METRICS_PORT, WEAVE_NPC_METRICS_PORT } from '../providers/weave/index.ts';

/** One thing a node must accept from its peers: a port (or range) with tcp/udp, or an IP protocol. */
export type NodeNeed =
  | { kind: 'port'; port: string; protocol: 'tcp' | 'udp'; why: string }
  | {
      kind: 'protocol' /** IP protocol number (firewalld accepts numbers 0..255). */;
      value: number;
      why: string;
    };

/** Weave's control plane (TCP) and its sleeve data path (UDP), fixed by weaver. */
export const WEAVE_CONTROL_PORT = 6783;
/** Weave's fast datapath: VXLAN-like encapsulation on UDP 6784. */
export const WEAVE_FASTDP_PORT = 6784;
/** IP protocol numbers from the IANA registry. */
export const IP_PROTOCOL = { ipip: 4, esp: 50 } as const;
export const BGP_PORT = 179;
/** Linux's (and Calico's) VXLAN port, IANA's 4789. */
export const VXLAN_PORT = 4789;
/** Felix connects to Typha on 5473 (calico-typha.yaml's `calico-typha` port). */
export const TYPHA_PORT = CALICO_TYPHA_PORT;
/** kube-apiserver (and metrics-server) reach every kubelet here for logs, exec and metrics. */
export const KUBELET_PORT = 10250;

/** The address a node's peers see it by: the private one when it has one. */
export function peerAddress(host: { address: string; private_address?: string }): string {
  return host.private_address ?? host.address;
}

/** True when `address` is an IP inside one of `subnets` (host names never are). */
export function inSubnets(address: string, subnets: readonly string[]): boolean {
  const ip = parseIp(address, { allowV6: true });
  if (!ip.ok) return false;
  return subnets.some((s) => {
    const c = parseCidr(s, { allowV6: true });
    return c.ok && containsAddress(c.value, ip.value.family, ip.value.value);
  });
}

/**
 * Weave encrypts between peers unless both sit in `weave.trusted_subnets`; netpack always has a
 * password (a file, or one generated at first apply), so encryption is on unless every host is
 * trusted. With no hosts listed nothing proves that, so it counts as on.
 */
export function weaveEncrypts(config: ClusterConfig): boolean {
  const { hosts } = config;
  const trusted = config.network.weave.trusted_subnets;
  return hosts.length === 0 || hosts.some((h) => !inSubnets(peerAddress(h), trusted));
}

/** Everything the chosen provider needs between nodes, kubelet included, in a fixed order. */
export function providerNeeds(config: ClusterConfig): NodeNeed[] {
  const net = config.network;
  const needs: NodeNeed[] = [];
  const port = (p: number | string, protocol: 'tcp' | 'udp', why: string) =>
    needs.push({ kind: 'port', port: String(p), protocol, why });
  switch (net.provider) {
    case 'weave':
      port(WEAVE_CONTROL_PORT, 'tcp', 'Weave control connections');
      port(`${WEAVE_CONTROL_PORT}-${WEAVE_FASTDP_PORT}`, 'udp', 'Weave sleeve and fast datapath');
      if (weaveEncrypts(config))
        needs.push({
          kind: 'protocol',
          value: IP_PROTOCOL.esp,
          why: 'Weave encrypted fast datapath (IPsec ESP)',
        });
      // netpack renders metrics Services for these, so in-cluster scrapers on the host network reach them.
      port(`${WEAVE_NPC_METRICS_PORT}-${WEAVE_METRICS_PORT}`, 'tcp', 'Weave router and weave-npc metrics');
      break;
    case 'calico': {
      const settings = calicoSettings(config);
      if (settings.backend === 'bird') port(BGP_PORT, 'tcp', 'Calico BGP (BIRD)');
      if (settings.ipipMode !== 'Never')
        needs.push({ kind: 'protocol', value: IP_PROTOCOL.ipip, why: 'Calico IP-in-IP' });
      if (settings.vxlanMode !== 'Never') port(VXLAN_PORT, 'udp', 'Calico VXLAN');
      // Typha runs on any node and Felix on every node connects to it: open it when netpack
      // deploys Typha, or when the operator points Felix at one of their own.
      const env = net.calico.environment;
      if (
        settings.typha !== null ||
        env.FELIX_TYPHAK8SSERVICENAME !== undefined ||
        env.FELIX_TYPHAADDR !== undefined
      )
        port(TYPHA_PORT, 'tcp', 'Calico Typha');
      if (settings.metricsPort !== null) port(settings.metricsPort, 'tcp', 'Felix Prometheus metrics');
      break;
    }
    case 'custom':
      // Unknown provider: nothing can be derived; the operator lists its ports in open_ports.
      break;
    default: {
      const unknown: never = net.provider;
      throw new Error(`providerNeeds: unknown provider ${JSON.stringify(unknown)}`);
    }
  }
  port(KUBELET_PORT, 'tcp', 'kubelet API (kube-apiserver, metrics-server)');
  // node-local-dns listens on the node itself for its own pods: nothing to open between nodes.
  return needs;
}
