/**
 * Kubelets whose `clusterDNS` points at an address nothing answers on: 169.254.20.10 where
 * node-local-dns does not run (turned off, or no ready pod on that node), or an address no
 * Service in kube-system has (a kube-dns Service that was recreated with another IP). The
 * kubelet's configuration comes from its `configz` through the API server's node proxy, where
 * the API server shows it; nodes it does not show are left out, never guessed.
 * `kubeletDnsFindings` is pure; `readKubeletDns` is the shell that reads it.
 */
import { NODE_LOCAL_DNS_IP } from '../config/defaults.ts';
import { clusterDnsIp } from '../config/derived.ts';
import type { NetworkConfig } from '../config/types.ts';
import { NODE_LOCAL_DNS_NAME, NODE_LOCAL_DNS_NAMESPACE } from '../providers/nodelocaldns/index.ts';
import type { Check, Finding } from './status.ts';
import { ApiError, type ClusterClient, type KubeObject } from './types.ts';

/** One kubelet's DNS settings, from its configz. */
export interface KubeletDns {
  node: string;
  clusterDNS: string[];
}

/** What the judgement needs from a cluster snapshot. */
export interface KubeletDnsEvidence {
  network: NetworkConfig | undefined;
  daemonSets: KubeObject[];
  pods: KubeObject[];
  /** Kubelets whose configz the API server showed; undefined when none was read. */
  kubelets?: KubeletDns[];
  /** ClusterIPs of the Services in kube-system; undefined when they were not read. */
  kubeSystemServiceIps?: string[];
}

/** A pod of DaemonSet node-local-dns (its owner reference, as the DaemonSet controller sets it). */
function isCachePod(p: KubeObject): boolean {
  const owners = (p.metadata as { ownerReferences?: { kind: string; name: string }[] }).ownerReferences ?? [];
  return (
    (p.metadata.namespace ?? NODE_LOCAL_DNS_NAMESPACE) === NODE_LOCAL_DNS_NAMESPACE &&
    owners.some((o) => o.kind === 'DaemonSet' && o.name === NODE_LOCAL_DNS_NAME)
  );
}

function readyCachePodOn(pods: readonly KubeObject[], node: string): boolean {
  return pods.some((p) => {
    if (!isCachePod(p)) return false;
    if ((p.spec as { nodeName?: string } | undefined)?.nodeName !== node) return false;
    const status = p.status as
      | { phase?: string; conditions?: { type: string; status: string }[] }
      | undefined;
    return (
      status?.phase === 'Running' && status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
    );
  });
}

export function kubeletDnsFindings(snap: KubeletDnsEvidence): { findings: Finding[]; check?: Check } {
  const kubelets = snap.kubelets;
  if (!kubelets || kubelets.length === 0) return { findings: [] };
  const findings: Finding[] = [];
  const cacheDs = snap.daemonSets.some(
    (d) =>
      d.metadata.name === NODE_LOCAL_DNS_NAME &&
      (d.metadata.namespace ?? NODE_LOCAL_DNS_NAMESPACE) === NODE_LOCAL_DNS_NAMESPACE,
  );
  const kubeDns = snap.network ? clusterDnsIp(snap.network.service_cidr) : undefined;
  const backTo = kubeDns ? `the kube-dns Service IP ${kubeDns}` : 'the kube-dns Service IP';
  // IPVS and nftables: the cache binds only the link-local address, so only kubelets pointing
  // there send pods to it (validate and explain told the operator; status checks it was done).
  const linkLocalOnly =
    snap.network?.node_local_dns_cache.enabled && snap.network.kube_proxy_mode !== 'iptables';
  for (const k of kubelets) {
    if (linkLocalOnly && cacheDs && !k.clusterDNS.includes(NODE_LOCAL_DNS_IP))
      findings.push({
        severity: 'warning',
        reason: 'KubeletDnsBypassesCache',
        subject: `node ${k.node}`,
        message: `kubelet's clusterDNS is ${k.clusterDNS.join(', ') || 'empty'}, so pods on this node bypass node-local-dns, which listens only on ${NODE_LOCAL_DNS_IP} with kube-proxy in ${snap.network?.kube_proxy_mode} mode`,
        cause: `configz: clusterDNS ${k.clusterDNS.join(', ')}`,
        fix: `set kubelet clusterDNS to ${NODE_LOCAL_DNS_IP} (KubeletConfiguration clusterDNS, restart kubelet, recreate the pods)`,
      });
    for (const address of k.clusterDNS) {
      if (address === NODE_LOCAL_DNS_IP) {
        if (cacheDs && readyCachePodOn(snap.pods, k.node)) continue;
        findings.push({
          severity: 'error',
          reason: 'KubeletDnsUnanswered',
          subject: `node ${k.node}`,
          message: `kubelet's clusterDNS is ${address}, where nothing answers: ${cacheDs ? 'node-local-dns has no ready pod on this node' : 'node-local-dns does not run'}, so pods on this node get no DNS answers`,
          cause: `configz: clusterDNS ${k.clusterDNS.join(', ')}`,
          fix: cacheDs
            ? `kubectl -n ${NODE_LOCAL_DNS_NAMESPACE} get pods -l k8s-app=${NODE_LOCAL_DNS_NAME} -o wide --field-selector spec.nodeName=${k.node}`
            : `set kubelet clusterDNS to ${backTo} (KubeletConfiguration clusterDNS, restart kubelet, recreate the pods), or turn network.node_local_dns_cache back on and run netpack apply`,
        });
      } else if (snap.kubeSystemServiceIps && !snap.kubeSystemServiceIps.includes(address)) {
        findings.push({
          severity: 'error',
          reason: 'KubeletDnsUnanswered',
          subject: `node ${k.node}`,
          message: `kubelet's clusterDNS is ${address}, which no Service in kube-system has: pods on this node send DNS queries to an address that does not exist`,
          cause: `configz: clusterDNS ${k.clusterDNS.join(', ')}`,
          fix: `set kubelet clusterDNS to ${backTo} (KubeletConfiguration clusterDNS, restart kubelet, recreate the pods)`,
        });
      }
    }
  }
  const bad = new Set(findings.filter((f) => f.severity === 'error').map((f) => f.subject)).size;
  return {
    findings,
    check: {
      check: 'kubelet clusterDNS answered',
      ok: bad === 0,
      detail: `${kubelets.length - bad}/${kubelets.length} kubelets read through the API server fine`,
    },
  };
}

/** How many configz reads run at once. */
const CONCURRENCY = 16;

/**
 * Each node's kubelet clusterDNS through the API server's node proxy. The first node tells
 * whether the API server shows configz at all (403, 404: it does not, and no other node is
 * asked); a kubelet the API server cannot reach is left out.
 */
export async function readKubeletDns(
  client: ClusterClient,
  nodes: readonly KubeObject[],
): Promise<KubeletDns[] | undefined> {
  const configz = client.nodeConfigz?.bind(client);
  if (!configz || nodes.length === 0) return undefined;
  const one = async (node: string): Promise<KubeletDns | 'hidden' | undefined> => {
    try {
      const doc = (await configz(node)) as { kubeletconfig?: { clusterDNS?: unknown } } | undefined;
      const dns = doc?.kubeletconfig?.clusterDNS;
      return Array.isArray(dns) ? { node, clusterDNS: dns.map(String) } : undefined;
    } catch (e) {
      if (e instanceof ApiError && [401, 403, 404].includes(e.status)) return 'hidden';
      return undefined;
    }
  };
  const names = nodes.map((n) => n.metadata.name);
  const first = await one(names[0]!);
  if (first === 'hidden') return undefined;
  const out: KubeletDns[] = first ? [first] : [];
  let next = 1;
  const worker = async () => {
    while (next < names.length) {
      const got = await one(names[next++]!);
      if (got && got !== 'hidden') out.push(got);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, names.length - 1) }, worker));
  return out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}
