/**
 * The side-car's counters and the HTTP endpoint that serves them: `/healthz` and Prometheus
 * `/metrics` (text format 0.0.4).
 */
import type { Server } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import { nodeHttp } from '../builtin.ts';

export type SyncReason = 'change' | 'resync' | 'router-restart' | 'retry';
export type ErrorKind = 'kube' | 'router' | 'dnat' | 'annotate';
export type WatchRestart = 'expired' | 'closed' | 'error';

export class SidecarMetrics {
  peers = 0;
  nodes = 0;
  findings = 0;
  /** Unix seconds of the last successful POST /connect; 0 before the first. */
  lastSync = 0;
  /** Unix seconds of the last successful list or watch event. */
  lastKube = 0;
  dnatRules = 0;
  /** Nodes left out for an address that is not an IP (each node and problem once). */
  skippedNodes = 0;
  readonly syncs = new Map<SyncReason, number>();
  readonly errors = new Map<ErrorKind, number>();
  readonly watchRestarts = new Map<WatchRestart, number>();

  count<K>(map: Map<K, number>, key: K): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  /** Prometheus text exposition. */
  render(): string {
    const out: string[] = [];
    const gauge = (name: string, help: string, value: number) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
    const counter = <K extends string>(
      name: string,
      help: string,
      label: string,
      keys: readonly K[],
      map: Map<K, number>,
    ) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const k of keys) out.push(`${name}{${label}="${k}"} ${map.get(k) ?? 0}`);
    };
    gauge('netpack_peers', 'Peers last given to the local Weave router.', this.peers);
    gauge('netpack_peers_nodes', 'Nodes the side-car knows of.', this.nodes);
    gauge(
      'netpack_peers_findings',
      'Planner findings (nodes that cannot be peered as they should).',
      this.findings,
    );
    gauge(
      'netpack_peers_last_sync_timestamp_seconds',
      'Time of the last successful POST /connect.',
      this.lastSync,
    );
    gauge(
      'netpack_peers_last_kube_timestamp_seconds',
      'Time of the last successful node list or watch event.',
      this.lastKube,
    );
    gauge('netpack_peers_kubelet_dnat_rules', 'Kubelet DNAT rules in place.', this.dnatRules);
    out.push(
      '# HELP netpack_peers_skipped_nodes_total Nodes left out of the plan for an address that is not an IPv4 or IPv6 literal.',
      '# TYPE netpack_peers_skipped_nodes_total counter',
      `netpack_peers_skipped_nodes_total ${this.skippedNodes}`,
    );
    counter(
      'netpack_peers_syncs_total',
      'POST /connect calls that succeeded, by reason.',
      'reason',
      ['change', 'resync', 'router-restart', 'retry'],
      this.syncs,
    );
    counter(
      'netpack_peers_errors_total',
      'Failures, by what failed.',
      'kind',
      ['kube', 'router', 'dnat', 'annotate'],
      this.errors,
    );
    counter(
      'netpack_peers_watch_restarts_total',
      'Node watches that ended, by why.',
      'reason',
      ['expired', 'closed', 'error'],
      this.watchRestarts,
    );
    return `${out.join('\n')}\n`;
  }
}

/** Parses `host:port`, `:port` or `port`; `host` is undefined when not given. */
export function parseListen(text: string): { host?: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`listen address "${text}" is not host:port`);
  const host = m[1] === undefined || m[1] === '' ? undefined : m[1].replace(/^\[|\]$/g, '');
  return host === undefined ? { port: Number(m[2]) } : { host, port: Number(m[2]) };
}

/**
 * The addresses the metrics page listens on. weave-net pods share the host's network, so a
 * wildcard address would serve it on every address of every node: only when asked for (a host
 * in `--listen`, or `--metrics-address` / NETPACK_METRICS_ADDRESS). Otherwise 127.0.0.1 (the
 * probes) and the pod IP from the downward API (POD_IP), when there is one.
 */
export function metricsHosts(o: { listenHost?: string; asked?: string; podIp?: string }): string[] {
  const asked = o.listenHost ?? (o.asked?.trim() || undefined);
  if (asked !== undefined) {
    if (isIP(asked) === 0 && asked !== 'localhost')
      throw new Error(`metrics address "${asked}" is not an IPv4 or IPv6 address`);
    return [asked];
  }
  const podIp = o.podIp?.trim();
  return podIp && isIP(podIp) !== 0 && podIp !== '127.0.0.1' ? ['127.0.0.1', podIp] : ['127.0.0.1'];
}

/** Serves `/healthz` (200 while the process runs its loops) and `/metrics`. */
export async function startMetricsServer(
  listen: { host: string; port: number },
  metrics: SidecarMetrics,
  healthy: () => { ok: boolean; detail: string },
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = nodeHttp().createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
    } else if (path === '/healthz') {
      const h = healthy();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'text/plain' }).end(`${h.detail}\n`);
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.render());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
