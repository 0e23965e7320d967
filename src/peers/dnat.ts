/**
 * Kubelet DNAT across regions (pure rule computation; `sidecar.ts` applies it).
 *
 * The API server and metrics-server reach kubelets on their InternalIP, port 10250. Across
 * regions that private address does not route, so — as Pharos' flying shuttle did — each node
 * rewrites traffic for a remote-region node's InternalIP:10250 to that node's `weave` bridge
 * address, which the overlay reaches. The rules live in a chain of our own in the nat table,
 * rewritten as a whole by `iptables-restore --noflush` (declaring the chain flushes it), and
 * jumped to from OUTPUT (host processes, e.g. a hostNetwork API server) and PREROUTING (pods).
 */
import type { PeerIndex } from './plan.ts';
import { compareAddresses } from './plan.ts';

export const KUBELET_PORT = 10250;
export const DNAT_CHAIN = 'NETPACK-KUBELET-DNAT';
/** nat chains that jump to ours. */
export const DNAT_HOOKS = ['OUTPUT', 'PREROUTING'] as const;

export interface DnatRule {
  /** Node whose kubelet this reaches. */
  node: string;
  /** Destination that is rewritten: the node's InternalIP. */
  address: string;
  /** Where it goes instead: the node's weave bridge address. */
  to: string;
}

/**
 * The rules node `self` needs: one per node in another region that has an InternalIP and a
 * known bridge address, sorted by address. Empty when `self` is unknown.
 */
export function kubeletDnatRules(index: PeerIndex, self: string): DnatRule[] {
  const me = index.get(self);
  if (!me) return [];
  const rules: DnatRule[] = [];
  const seen = new Set<string>();
  for (const n of index.all()) {
    if (n.name === self || n.region === me.region) continue;
    if (n.internalIp === undefined || n.bridgeIp === undefined) continue;
    // Two nodes claiming one InternalIP: DNAT can only send it one way; the first by name wins.
    if (seen.has(n.internalIp)) continue;
    seen.add(n.internalIp);
    rules.push({ node: n.name, address: n.internalIp, to: n.bridgeIp });
  }
  return rules.sort((a, b) => compareAddresses(a.address, b.address));
}

const isV6 = (a: string) => a.includes(':');

/** `iptables-restore --noflush` input that makes our chain hold exactly `rules` (IPv4 ones). */
export function dnatRestoreInput(rules: readonly DnatRule[]): string {
  const lines = ['*nat', `:${DNAT_CHAIN} - [0:0]`];
  for (const r of rules) {
    if (isV6(r.address) || isV6(r.to)) continue;
    lines.push(
      `-A ${DNAT_CHAIN} -d ${r.address}/32 -p tcp -m tcp --dport ${KUBELET_PORT} -m comment --comment "netpack kubelet ${r.node}" -j DNAT --to-destination ${r.to}:${KUBELET_PORT}`,
    );
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** iptables argument lists: check for, and insert, the jump from each hook. Run check first. */
export function dnatHookCommands(): { check: string[]; insert: string[] }[] {
  return DNAT_HOOKS.map((hook) => ({
    check: ['-w', '-t', 'nat', '-C', hook, '-j', DNAT_CHAIN],
    insert: ['-w', '-t', 'nat', '-I', hook, '1', '-j', DNAT_CHAIN],
  }));
}

/** iptables argument lists that remove everything we added (each may fail harmlessly if absent). */
export function dnatCleanupCommands(): string[][] {
  return [
    ...DNAT_HOOKS.map((hook) => ['-w', '-t', 'nat', '-D', hook, '-j', DNAT_CHAIN]),
    ['-w', '-t', 'nat', '-F', DNAT_CHAIN],
    ['-w', '-t', 'nat', '-X', DNAT_CHAIN],
  ];
}
