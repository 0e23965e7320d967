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
import { DEFAULT_REQUEST_TIMEOUT_MS } from './client/transport.ts';
import type { Check, Finding } from './status.ts';
import type { ClusterClient, KubeObject } from './types.ts';

/** One kubelet's DNS settings, from its configz. */
export interface KubeletDns {
  node: string;
  clusterDNS: string[];
  /** Nodes of the same kubelet version and pool that were not asked (they are set up alike). */
  alike?: number;
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
  /** How many nodes the kubelets read are of; absent: every node was asked. */
  kubeletCoverage?: KubeletCoverage;
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

/** The evidence: the configz read, and how many nodes like this one were not asked. */
function causeOf(k: KubeletDns): string {
  const alike = k.alike
    ? `; ${k.alike} other node${k.alike === 1 ? '' : 's'} of the same kubelet version and pool not asked (likely the same)`
    : '';
  return `configz: clusterDNS ${k.clusterDNS.join(', ')}${alike}`;
}

/** How much of the cluster the kubelets read stand for, when not every node was asked. */
function coverageText(c: KubeletCoverage | undefined): string {
  if (!c || c.asked >= c.nodes) return '';
  return `; ${c.asked} of ${c.nodes} nodes asked, covering ${c.groups} kubelet version and pool group${c.groups === 1 ? '' : 's'} (--kubelet-sample all asks every node)`;
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
        cause: causeOf(k),
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
          cause: causeOf(k),
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
          cause: causeOf(k),
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
      detail: `${kubelets.length - bad}/${kubelets.length} kubelets read through the API server fine${coverageText(snap.kubeletCoverage)}`,
    },
  };
}

/** Nodes whose configz status reads by default: at least one per group, in one wave. */
export const DEFAULT_KUBELET_SAMPLE = 16;
/** How many configz reads run at once (a larger sample, or every node, takes more waves). */
const CONCURRENCY = 32;

/**
 * Labels that say which pool a node belongs to, and so which kubelet configuration it was
 * given: the managed clouds' node pool labels, the roles, the instance type, OS and
 * architecture. A label of this list's key or prefix (`node-role.kubernetes.io/`) counts.
 */
const POOL_LABELS = [
  'node-role.kubernetes.io/',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'cloud.google.com/gke-nodepool',
  'eks.amazonaws.com/nodegroup',
  'alpha.eksctl.io/nodegroup-name',
  'kubernetes.azure.com/agentpool',
  'agentpool',
  'doks.digitalocean.com/node-pool',
  'node.kubernetes.io/pool',
];

/**
 * What determines a kubelet's configuration in practice: its version and its pool's labels.
 * Nodes of one group are set up alike, so one of them speaks for the rest.
 */
export function kubeletGroup(node: KubeObject): string {
  const version =
    (node.status as { nodeInfo?: { kubeletVersion?: string } } | undefined)?.nodeInfo?.kubeletVersion ?? '';
  const labels = Object.entries(node.metadata.labels ?? {})
    .filter(([k]) => POOL_LABELS.some((p) => (p.endsWith('/') ? k.startsWith(p) : k === p)))
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  return [version, ...labels].join(' ');
}

/** Which nodes to ask, and how many nodes each one stands for. */
export interface KubeletSample {
  /** Node names to ask, one per group first (groups in order of first appearance), then more. */
  names: string[];
  /** Nodes of each asked node's group that are not asked, by node name. */
  unasked: Map<string, number>;
  groups: number;
}

/**
 * Up to `limit` nodes, round-robin over the groups (`kubeletGroup`): every group is asked
 * before any is asked twice, so a sample as large as the number of groups covers every
 * distinct kubelet configuration; 'all' asks every node.
 */
export function sampleKubelets(nodes: readonly KubeObject[], limit: number | 'all'): KubeletSample {
  const groups = new Map<string, string[]>();
  for (const n of nodes) {
    const key = kubeletGroup(n);
    const g = groups.get(key);
    if (g) g.push(n.metadata.name);
    else groups.set(key, [n.metadata.name]);
  }
  const max = limit === 'all' ? nodes.length : Math.min(limit, nodes.length);
  const taken = new Map<string, number>();
  const names: string[] = [];
  for (let round = 0; names.length < max; round++)
    for (const [key, members] of groups) {
      if (names.length >= max) break;
      if (round >= members.length) continue;
      names.push(members[round]!);
      taken.set(key, round + 1);
    }
  const unasked = new Map<string, number>();
  for (const [key, members] of groups)
    for (const name of members.slice(0, taken.get(key) ?? 0))
      unasked.set(name, members.length - taken.get(key)!);
  return { names, unasked, groups: groups.size };
}

/** What status read of the kubelets, and how much of the cluster that covers. */
export interface KubeletRead {
  kubelets: KubeletDns[];
  /** Nodes in the cluster, nodes asked, groups they fall in (`kubeletGroup`). */
  coverage: KubeletCoverage;
}

export interface KubeletCoverage {
  nodes: number;
  asked: number;
  groups: number;
}

/** One node's clusterDNS; 'hidden' when the API server does not show configz (401, 403, 404). */
async function readOne(client: ClusterClient, node: string): Promise<KubeletDns | 'hidden' | undefined> {
  const a = await client.proxyGet(
    `/api/v1/nodes/${encodeURIComponent(node)}/proxy/configz`,
    DEFAULT_REQUEST_TIMEOUT_MS,
  );
  if ([401, 403, 404].includes(a.status)) return 'hidden';
  // No answer (0), or the API server cannot reach the kubelet (503): left out, never guessed.
  if (a.status !== 200) return undefined;
  let doc: { kubeletconfig?: { clusterDNS?: unknown } } | undefined;
  try {
    doc = JSON.parse(a.body) as typeof doc;
  } catch {
    return undefined;
  }
  const dns = doc?.kubeletconfig?.clusterDNS;
  return Array.isArray(dns) ? { node, clusterDNS: dns.map(String) } : undefined;
}

/**
 * The kubelets' clusterDNS through the API server's node proxy, of a sample of the nodes
 * (`sampleKubelets`): the first node alone tells whether the API server shows configz at all
 * (403, 404: it does not, and no other node is asked), the rest of the sample in one wave, so
 * status's round trips do not grow with the cluster. A kubelet the API server cannot reach is
 * left out.
 */
export async function readKubeletDns(
  client: ClusterClient,
  nodes: readonly KubeObject[],
  limit: number | 'all' = DEFAULT_KUBELET_SAMPLE,
): Promise<KubeletRead | undefined> {
  const sample = sampleKubelets(nodes, limit);
  if (sample.names.length === 0) return undefined;
  const first = await readOne(client, sample.names[0]!);
  if (first === 'hidden') return undefined;
  const out: KubeletDns[] = [];
  const keep = (k: KubeletDns | 'hidden' | undefined) => {
    if (!k || k === 'hidden') return;
    const unasked = sample.unasked.get(k.node) ?? 0;
    out.push(unasked > 0 ? { ...k, alike: unasked } : k);
  };
  keep(first);
  const rest = sample.names.slice(1);
  let next = 0;
  const worker = async () => {
    while (next < rest.length) keep(await readOne(client, rest[next++]!));
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rest.length) }, worker));
  out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return {
    kubelets: out,
    coverage: { nodes: nodes.length, asked: sample.names.length, groups: sample.groups },
  };
}
