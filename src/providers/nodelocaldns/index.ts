/**
 * NodeLocal DNSCache: a CoreDNS-based cache (`node-cache`) on every node, rendered from upstream
 * Kubernetes' `cluster/addons/dns/nodelocaldns/nodelocaldns.yaml` with the pillars filled in the way
 * the NodeLocal DNSCache docs do with `sed`.
 *
 * Pillars:
 * - `__PILLAR__LOCAL__DNS__` → {@link NODE_LOCAL_DNS_IP} (169.254.20.10), the link-local address the
 *   cache listens on, on a dummy interface it creates on each node.
 * - `__PILLAR__DNS__DOMAIN__` → `cluster.local`.
 * - `__PILLAR__DNS__SERVER__` → the cluster DNS IP (the Service IP of kube-dns), i.e. the 10th address
 *   of `service_cidr`, as kubeadm assigns it.
 * - `__PILLAR__CLUSTER__DNS__` and `__PILLAR__UPSTREAM__SERVERS__` stay in the Corefile: node-cache
 *   fills them in at start-up with the IP of Service `kube-dns-upstream` (from `-upstreamsvc`) and with
 *   the node's resolv.conf (or kube-dns' configured upstreams).
 *
 * The kube-proxy modes (the docs' two recipes; nftables takes the IPVS one, see `plan`):
 * - `iptables`: the cache binds both the link-local address and the cluster DNS IP, and node-cache
 *   adds NOTRACK rules so packets to the kube-dns IP reach the local cache before kube-proxy's DNAT.
 *   Pods keep using the kube-dns IP, so kubelet's `clusterDNS` needs no change; cache misses for the
 *   cluster domain go to `kube-dns-upstream`, a second Service over the same CoreDNS pods (forwarding
 *   to the kube-dns IP itself would loop back into the cache).
 * - `ipvs`: kube-proxy puts every Service IP on its `kube-ipvs0` interface, so the cache cannot take
 *   over the kube-dns IP. It binds only the link-local address, forwards cluster-domain misses
 *   straight to the kube-dns IP (the docs substitute `__PILLAR__CLUSTER__DNS__` in this mode), and
 *   **kubelet's `clusterDNS` must be 169.254.20.10** for pods to use the cache at all; the render
 *   returns a warning saying so.
 *
 * Pure: no I/O.
 */

import { mustParseCidr, nthAddress } from '../../config/cidr.ts';
import { NODE_LOCAL_DNS_IP } from '../../config/defaults.ts';
import type { ClusterConfig } from '../../config/types.ts';
import type { KubeObject, ProviderOutput } from '../../render/types.ts';

export const NODE_LOCAL_DNS_IMAGE = 'registry.k8s.io/dns/k8s-dns-node-cache:1.26.4';
export const NODE_LOCAL_DNS_NAMESPACE = 'kube-system';
export const NODE_LOCAL_DNS_NAME = 'node-local-dns';
/** The Service node-cache forwards cluster-domain misses to (its `-upstreamsvc`). */
export const KUBE_DNS_UPSTREAM_SERVICE = 'kube-dns-upstream';
export const CLUSTER_DOMAIN = 'cluster.local';
/** CoreDNS' prometheus plugin listens here (all addresses; the pods use the host network). */
export const NODE_LOCAL_DNS_METRICS_PORT = 9253;
/** CoreDNS' health plugin, bound to the link-local address only; the liveness probe reads it. */
export const NODE_LOCAL_DNS_HEALTH_PORT = 8080;

/** Filled in by node-cache at start-up; we leave them as upstream does. */
const CLUSTER_DNS_PILLAR = '__PILLAR__CLUSTER__DNS__';
const UPSTREAM_SERVERS_PILLAR = '__PILLAR__UPSTREAM__SERVERS__';

/** The kube-dns Service IP: the 10th address of the service network (kubeadm's choice). */
export function clusterDnsIp(serviceCidr: string): string {
  return nthAddress(mustParseCidr(serviceCidr), 10);
}

/** What the cache listens on and where it sends cluster-domain misses, per kube-proxy mode. */
interface Plan {
  /** Addresses the cache binds, in `-localip` order. */
  listen: string[];
  /** `forward` target for the cluster domain and reverse zones. */
  clusterDns: string;
}

function plan(config: ClusterConfig): Plan {
  const dnsIp = clusterDnsIp(config.network.service_cidr);
  switch (config.network.kube_proxy_mode) {
    case 'iptables':
      return { listen: [NODE_LOCAL_DNS_IP, dnsIp], clusterDns: CLUSTER_DNS_PILLAR };
    // nftables: node-cache's take-over of the kube-dns IP is iptables rules only (kubernetes/dns
    // has no nftables support), and an nftables-only node may have no working iptables; the
    // link-local-only variant needs no rules at all, so it fits. kubelet then points at it.
    case 'ipvs':
    case 'nftables':
      return { listen: [NODE_LOCAL_DNS_IP], clusterDns: dnsIp };
    default: {
      const never: never = config.network.kube_proxy_mode;
      throw new Error(`internal: unknown kube_proxy_mode ${String(never)}`);
    }
  }
}

/**
 * Renders the NodeLocal DNSCache objects, or none when `network.node_local_dns_cache.enabled` is
 * false. See the module comment for what differs between kube-proxy's iptables and IPVS modes;
 * with IPVS, `validate` warns that kubelet's `clusterDNS` must be 169.254.20.10.
 */
export function renderNodeLocalDns(config: ClusterConfig): ProviderOutput {
  if (!config.network.node_local_dns_cache.enabled) return { objects: [], pendingSecrets: [] };
  const p = plan(config);
  const objects = [serviceAccount(), upstreamService(), configMap(p), daemonSet(p), metricsService()];
  // The IPVS caveat (kubelet's clusterDNS must be 169.254.20.10) is reported by the config
  // checks, at kube_proxy.mode in the cluster file; render has nothing to add.
  return { objects, pendingSecrets: [] };
}

/**
 * Upstream's labels minus `addonmanager.kubernetes.io/mode: Reconcile`: on clusters that run the
 * addon manager, that label lets it prune objects it did not create; netpack's own labels take its
 * place.
 */
const clusterService = (): Record<string, string> => ({ 'kubernetes.io/cluster-service': 'true' });

function serviceAccount(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: NODE_LOCAL_DNS_NAME, namespace: NODE_LOCAL_DNS_NAMESPACE, labels: clusterService() },
  };
}

/** A second Service over the CoreDNS pods, whose IP the cache does not intercept. */
function upstreamService(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: KUBE_DNS_UPSTREAM_SERVICE,
      namespace: NODE_LOCAL_DNS_NAMESPACE,
      labels: { 'k8s-app': 'kube-dns', ...clusterService(), 'kubernetes.io/name': 'KubeDNSUpstream' },
    },
    spec: {
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
      selector: { 'k8s-app': 'kube-dns' },
    },
  };
}

interface ServerBlock {
  zone: string;
  /** `detailed` is upstream's cluster-domain cache: 9984 entries, 30 s success, 5 s denial. */
  cache: 'detailed' | 'plain';
  bind: string[];
  forward: string;
  forceTcp: boolean;
  health?: string;
}

/**
 * One Corefile server block, laid out exactly as upstream's (node-cache rewrites the upstream
 * `forward` block by matching its text, so the indentation matters).
 */
function serverBlock(b: ServerBlock): string {
  const lines = [`${b.zone}:53 {`, '    errors'];
  if (b.cache === 'detailed')
    lines.push('    cache {', '            success 9984 30', '            denial 9984 5', '    }');
  else lines.push('    cache 30');
  lines.push('    reload', '    loop', `    bind ${b.bind.join(' ')}`);
  if (b.forceTcp) lines.push(`    forward . ${b.forward} {`, '            force_tcp', '    }');
  else lines.push(`    forward . ${b.forward}`);
  lines.push(`    prometheus :${NODE_LOCAL_DNS_METRICS_PORT}`);
  if (b.health) lines.push(`    health ${b.health}`);
  lines.push('    }');
  return lines.map((l) => `${l}\n`).join('');
}

/** The Corefile node-cache starts from (it writes the filled-in copy to /etc/Corefile). */
function corefile(p: Plan): string {
  const cluster = { bind: p.listen, forward: p.clusterDns, forceTcp: true } as const;
  return [
    serverBlock({
      zone: CLUSTER_DOMAIN,
      cache: 'detailed',
      ...cluster,
      health: `${NODE_LOCAL_DNS_IP}:${NODE_LOCAL_DNS_HEALTH_PORT}`,
    }),
    serverBlock({ zone: 'in-addr.arpa', cache: 'plain', ...cluster }),
    serverBlock({ zone: 'ip6.arpa', cache: 'plain', ...cluster }),
    // Everything else goes to the node's own resolvers, over UDP.
    serverBlock({
      zone: '.',
      cache: 'plain',
      bind: p.listen,
      forward: UPSTREAM_SERVERS_PILLAR,
      forceTcp: false,
    }),
  ].join('');
}

function configMap(p: Plan): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: NODE_LOCAL_DNS_NAME, namespace: NODE_LOCAL_DNS_NAMESPACE },
    data: { Corefile: corefile(p) },
  };
}

function daemonSet(p: Plan): KubeObject {
  const selector = { 'k8s-app': NODE_LOCAL_DNS_NAME };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: NODE_LOCAL_DNS_NAME,
      namespace: NODE_LOCAL_DNS_NAMESPACE,
      labels: { ...selector, ...clusterService() },
    },
    spec: {
      updateStrategy: { rollingUpdate: { maxUnavailable: '10%' } },
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: selector,
          annotations: {
            'prometheus.io/port': String(NODE_LOCAL_DNS_METRICS_PORT),
            'prometheus.io/scrape': 'true',
          },
        },
        spec: {
          priorityClassName: 'system-node-critical',
          serviceAccountName: NODE_LOCAL_DNS_NAME,
          hostNetwork: true,
          // The cache must not resolve through cluster DNS, which is itself.
          dnsPolicy: 'Default',
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { effect: 'NoExecute', operator: 'Exists' },
            { effect: 'NoSchedule', operator: 'Exists' },
          ],
          containers: [
            {
              name: 'node-cache',
              image: NODE_LOCAL_DNS_IMAGE,
              resources: { requests: { cpu: '25m', memory: '5Mi' } },
              args: [
                '-localip',
                p.listen.join(','),
                '-conf',
                '/etc/Corefile',
                '-upstreamsvc',
                KUBE_DNS_UPSTREAM_SERVICE,
                '-pidfile',
                '/tmp/node-cache.pid',
              ],
              // Creates the dummy interface and the NOTRACK iptables rules.
              securityContext: { capabilities: { add: ['NET_ADMIN'] } },
              ports: [
                { containerPort: 53, name: 'dns', protocol: 'UDP' },
                { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
                { containerPort: NODE_LOCAL_DNS_METRICS_PORT, name: 'metrics', protocol: 'TCP' },
              ],
              livenessProbe: {
                httpGet: { host: NODE_LOCAL_DNS_IP, path: '/health', port: NODE_LOCAL_DNS_HEALTH_PORT },
                initialDelaySeconds: 60,
                timeoutSeconds: 5,
              },
              volumeMounts: [
                { mountPath: '/run/xtables.lock', name: 'xtables-lock', readOnly: false },
                { name: 'config-volume', mountPath: '/etc/coredns' },
                // kube-dns' stubDomains/upstreamNameservers, when that ConfigMap exists.
                { name: 'kube-dns-config', mountPath: '/etc/kube-dns' },
              ],
            },
          ],
          volumes: [
            { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
            { name: 'kube-dns-config', configMap: { name: 'kube-dns', optional: true } },
            {
              name: 'config-volume',
              configMap: { name: NODE_LOCAL_DNS_NAME, items: [{ key: 'Corefile', path: 'Corefile.base' }] },
            },
          ],
        },
      },
    },
  };
}

/** Headless Service so Prometheus discovers one metrics endpoint per node. */
function metricsService(): KubeObject {
  const port = NODE_LOCAL_DNS_METRICS_PORT;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      annotations: { 'prometheus.io/port': String(port), 'prometheus.io/scrape': 'true' },
      labels: { 'k8s-app': NODE_LOCAL_DNS_NAME },
      name: NODE_LOCAL_DNS_NAME,
      namespace: NODE_LOCAL_DNS_NAMESPACE,
    },
    spec: {
      clusterIP: 'None',
      ports: [{ name: 'metrics', port, targetPort: port }],
      selector: { 'k8s-app': NODE_LOCAL_DNS_NAME },
    },
  };
}
