// startFakeApiServer: a node:http server on 127.0.0.1 speaking enough of the Kubernetes API for
// @kubernetes/client-node and kubectl, with fault injection and a rollout simulation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type ControllerOptions, Controllers } from './controllers.ts';
import { Faults, WRITE_VERBS } from './faults.ts';
import { classify, handleResource, parseRoute } from './handlers.ts';
import { ApiError, type RequestRecord, sendError, sendJson } from './http.ts';
import { handlePodProxy, POD_PROXY_RE, type PodConnect } from './proxy.ts';
import type { KubeObject } from './resources.ts';
import { Rollout } from './rollout.ts';
import { Store, type StoreOptions } from './store.ts';

export interface FakeApiServerOptions extends ControllerOptions, StoreOptions {
  /** Seed of the fault PRNG. Default 1. */
  seed?: number;
  /** Namespaces that exist from the start. Default default, kube-system, kube-public, kube-node-lease. */
  namespaces?: string[];
  /** Creating a namespaced object in a missing namespace is 404, as on real servers. Default true. */
  requireNamespaces?: boolean;
  /** Nodes to add at start (node-1...node-N). Default 0. */
  nodes?: number;
  /** Step the rollout simulation automatically at this interval. Default: only `rollout.step()`. */
  rolloutTickMs?: number;
  /** Send BOOKMARK events at this interval to watches that ask for them. Default: never. */
  bookmarkIntervalMs?: number;
  /**
   * Warnings to send with a request's answer, as `Warning: 299 - "text"` headers (one header
   * each), the way the API server reports deprecated APIs and policy checks.
   */
  warnings?: (request: RequestRecord) => string[] | undefined;
  /**
   * For writes that ask for fieldValidation=Strict: the paths of fields `obj` has that its kind
   * does not declare (a write with any is refused with 400). Default: no check.
   */
  unknownFields?: (obj: KubeObject) => string[];
  /**
   * The kubelet configuration `/api/v1/nodes/NAME/proxy/configz` returns for a node that exists
   * (`{"kubeletconfig": ...}`, as kubelets answer), or `'unreachable'` for a kubelet the API
   * server cannot reach (503, as real servers answer), or undefined for a node whose configz
   * the API server does not show (404). Default: none shown. `kubeadmKubeletConfig` is what a
   * kubeadm kubelet answers.
   */
  kubeletConfig?: (node: string) => Record<string, unknown> | 'unreachable' | undefined;
  /**
   * The pod proxy forwards to `status.podIP`; by default with a plain TCP connection from this
   * process, or through this (e.g. into a network namespace).
   */
  podConnect?: PodConnect;
  /** ClusterIPs handed, in order, to Services created without one (none by default: no allocation). */
  clusterIpPool?: string[];
}

/** The part of a kubeadm kubelet's configz that matters here: clusterDNS, the kube-dns Service IP. */
export function kubeadmKubeletConfig(clusterDNS = ['10.96.0.10']): Record<string, unknown> {
  return { clusterDNS, clusterDomain: 'cluster.local', cgroupDriver: 'systemd' };
}

export interface FakeApiServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** A kubeconfig (context `fake`, namespace `default`) pointing at the server, in a temp dir removed by close(). */
  kubeconfigPath: string;
  store: Store;
  faults: Faults;
  rollout: Rollout;
  /** Every request in arrival order. */
  requests: RequestRecord[];
  /** Shorthand for `rollout.addNodes`. */
  addNodes(n: number, labels?: Record<string, string>): KubeObject[];
  /** Requests that could have changed state: write verbs that were not dry runs. */
  writes(): RequestRecord[];
  /**
   * The first request (already received, or the next to arrive) that `match` accepts: tests wait
   * for the event (a watch opened) rather than for a duration.
   */
  nextRequest(match: (r: RequestRecord) => boolean): Promise<RequestRecord>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const store = new Store(opts);
  const faults = new Faults(opts.seed ?? 1);
  const controllers = new Controllers(store, opts);
  const rollout = new Rollout(store);
  const requests: RequestRecord[] = [];
  const waiting = new Set<{ match: (r: RequestRecord) => boolean; resolve: (r: RequestRecord) => void }>();
  const nsType = store.registry.byKind('v1', 'Namespace')!;
  for (const name of opts.namespaces ?? ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.commit(nsType, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: store.nextUid(), creationTimestamp: new Date().toISOString(), generation: 1 },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }
  if (opts.nodes) rollout.addNodes(opts.nodes);
  let address = '127.0.0.1:0';
  const clusterIps = [...(opts.clusterIpPool ?? [])];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const route = parseRoute(url.pathname, store, address);
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const verb = classify(req.method ?? 'GET', route, query, contentType);
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      verb,
      dryRun: query.dryRun === 'All',
      startedAt: performance.now(),
      ...(contentType ? { contentType } : {}),
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
      ...(route.type === 'resource'
        ? {
            resource: route.rt.plural,
            namespace: route.namespace,
            name: route.name,
            subresource: route.subresource,
          }
        : {}),
    };
    requests.push(record);
    for (const w of waiting)
      if (w.match(record)) {
        waiting.delete(w);
        w.resolve(record);
      }
    const warnings = opts.warnings?.(record) ?? [];
    if (warnings.length > 0)
      res.setHeader(
        'Warning',
        warnings.map((w) => `299 - "${w.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`),
      );
    res.on('close', () => {
      record.endedAt = performance.now();
      if (record.status === undefined) record.status = res.headersSent ? res.statusCode : 0;
    });
    const run = async () => {
      const body = await readBody(req);
      const decision = faults.decide(
        verb,
        route.type === 'resource' ? route.rt.plural : undefined,
        url.pathname,
      );
      if (decision.latencyMs > 0) await sleep(decision.latencyMs);
      if (decision.reset) {
        record.status = 0;
        req.socket.destroy();
        return;
      }
      if (decision.code !== undefined) {
        const err = new ApiError(
          decision.code,
          `injected fault: ${decision.code}`,
          undefined,
          undefined,
          decision.retryAfterSeconds,
        );
        return sendError(res, err, record);
      }
      if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        record.status = 200;
        return res.end('ok');
      }
      const proxy = POD_PROXY_RE.exec(url.pathname);
      if (proxy) return handlePodProxy(req, res, proxy, url.search, body, store, record, opts.podConnect);
      if (route.type === 'doc') return sendJson(res, 200, route.body, record);
      if (route.type === 'raw') {
        res.writeHead(200, {
          'Content-Type': route.contentType,
          'Content-Length': Buffer.byteLength(route.body),
        });
        record.status = 200;
        return res.end(route.body);
      }
      if (route.type === 'notFound')
        throw new ApiError(404, 'the server could not find the requested resource');
      if (route.type === 'nodeProxy') {
        if (!store.find('Node', route.node))
          throw new ApiError(404, `nodes "${route.node}" not found`, 'NotFound', {
            name: route.node,
            kind: 'nodes',
          });
        if (route.path !== '/configz' || req.method !== 'GET')
          throw new ApiError(404, 'the server could not find the requested resource');
        const config = opts.kubeletConfig?.(route.node);
        if (config === undefined) throw new ApiError(404, 'the server could not find the requested resource');
        if (config === 'unreachable')
          throw new ApiError(
            503,
            `error trying to reach service: dial tcp 127.0.0.1:10250: connect: connection refused`,
            'ServiceUnavailable',
          );
        return sendJson(res, 200, { kubeletconfig: config }, record);
      }
      await handleResource(req, res, route, query, body, record, {
        store,
        faults,
        deleteObject: (rt, obj) => controllers.deleteObject(rt, obj),
        requireNamespaces: opts.requireNamespaces ?? true,
        bookmarkIntervalMs: opts.bookmarkIntervalMs,
        address,
        unknownFields: opts.unknownFields,
        allocateClusterIp: () => clusterIps.shift(),
      });
    };
    run().catch((e: unknown) => {
      const err = e instanceof ApiError ? e : new ApiError(500, `fake apiserver: ${(e as Error).stack ?? e}`);
      if (!res.headersSent) sendError(res, err, record);
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;
  const url = `http://${address}`;
  const dir = mkdtempSync(join(tmpdir(), 'netpack-fake-apiserver-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfigPath,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node 1.x refuses plain HTTP unless TLS verification is marked as skipped.
      clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake', user: { token: 'fake-token' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: 'default' } }],
      'current-context': 'fake',
    }),
  );
  if (opts.rolloutTickMs) rollout.start(opts.rolloutTickMs);

  return {
    url,
    port,
    kubeconfigPath,
    store,
    faults,
    rollout,
    requests,
    addNodes: (n, labels) => rollout.addNodes(n, labels),
    writes: () => requests.filter((r) => (WRITE_VERBS as string[]).includes(r.verb) && !r.dryRun),
    nextRequest: (match) =>
      new Promise((resolve) => {
        const seen = requests.find(match);
        if (seen) resolve(seen);
        else waiting.add({ match, resolve });
      }),
    close: async () => {
      rollout.stop();
      controllers.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
