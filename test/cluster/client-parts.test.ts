// The client's parts, each alone: the retry policy (pure), the transport against a tiny HTTP
// server on 127.0.0.1 (retries, timeouts, a refused connection never retried, answers turned into
// codes), discovery with a counting reader (cache, built-in kinds without a round trip), the watch
// stream's line parser and one watch request, and which kubelets status samples.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import { Connection } from '../../src/cluster/client/connection.ts';
import { Discovery } from '../../src/cluster/client/discovery.ts';
import {
  answerDelay,
  backoff,
  MAX_RETRY_AFTER_MS,
  type RetryPolicy,
  retryNoAnswer,
} from '../../src/cluster/client/retry.ts';
import { Transport } from '../../src/cluster/client/transport.ts';
import { METADATA_LIST_ACCEPT, Verbs } from '../../src/cluster/client/verbs.ts';
import { openWatch, WatchLines } from '../../src/cluster/client/watch.ts';
import { ApiError, ClusterError, errorCode, KubeconfigError } from '../../src/cluster/errors.ts';
import { sampleKubelets } from '../../src/cluster/kubelet-dns.ts';
import type { KubeObject, WatchEvent } from '../../src/cluster/types.ts';

const POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 1, maxDelayMs: 4 };

describe('retry policy', () => {
  it('backs off exponentially with jitter in the upper half, up to the cap', () => {
    assert.equal(
      backoff({ attempts: 9, baseDelayMs: 50, maxDelayMs: 2000 }, 0, () => 0),
      25,
    );
    assert.equal(
      backoff({ attempts: 9, baseDelayMs: 50, maxDelayMs: 2000 }, 2, () => 1),
      200,
    );
    assert.equal(
      backoff({ attempts: 9, baseDelayMs: 50, maxDelayMs: 2000 }, 10, () => 1),
      2000,
    );
  });

  it('honours Retry-After when longer than the backoff, capped', () => {
    assert.equal(answerDelay(POLICY, 0, '3'), 3000);
    assert.equal(answerDelay(POLICY, 0, '3600'), MAX_RETRY_AFTER_MS);
    assert.ok(answerDelay(POLICY, 0, 'soon') <= 1);
  });

  it('retries resets and refusals once the server has answered, never a refusal before it', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const base = { last: false, answered: false, timeouts: 0, timedOut: false };
    assert.equal(retryNoAnswer({ ...base, error: refused }), false);
    assert.equal(retryNoAnswer({ ...base, error: refused, answered: true }), true);
    assert.equal(retryNoAnswer({ ...base, error: reset }), true);
    assert.equal(retryNoAnswer({ ...base, error: reset, last: true }), false);
    const unknown = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    assert.equal(retryNoAnswer({ ...base, error: unknown }), false);
    const timeout = Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' });
    assert.equal(retryNoAnswer({ ...base, error: timeout, timedOut: true, timeouts: 1 }), true);
    assert.equal(retryNoAnswer({ ...base, error: timeout, timedOut: true, timeouts: 2 }), false);
  });
});

describe('error family', () => {
  it('every error has a stable code; anything else is Internal', () => {
    assert.equal(errorCode(new ApiError('x', 401, undefined)), 'Unauthorized');
    assert.equal(errorCode(new ApiError('x', 403, 'Forbidden')), 'Forbidden');
    assert.equal(errorCode(new ApiError('x', 409, 'Conflict')), 'Conflict');
    assert.equal(errorCode(new ApiError('x', 500, undefined)), 'Http500');
    assert.equal(errorCode(new KubeconfigError('x')), 'KubeconfigInvalid');
    assert.equal(errorCode(new ClusterError('x', 'Timeout')), 'Timeout');
    assert.equal(errorCode(new TypeError('x')), 'Internal');
    assert.equal(errorCode('thrown text'), 'Internal');
    assert.ok(new ApiError('x', 404, 'NotFound') instanceof ClusterError);
  });
});

/** A client-node KubeConfig (the module the CLI loads) for a server on 127.0.0.1. */
async function kubeconfigFor(url: string): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('transport against a tiny server', () => {
  /** What the server does with the next requests, in order; afterwards 200 {}. */
  let script: ((res: http.ServerResponse) => void)[] = [];
  let seen = 0;
  const accepts: string[] = [];
  const server = http.createServer((req, res) => {
    seen++;
    accepts.push(req.headers.accept ?? '');
    req.resume();
    const next = script.shift();
    if (next) return next(res);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  let url = '';
  const transports: Transport[] = [];
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const t of transports) t.connection.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const transport = async (opts: ConstructorParameters<typeof Transport>[1] = {}) => {
    const t = new Transport(await Connection.open(await kubeconfigFor(url)), { retry: POLICY, ...opts });
    transports.push(t);
    script = [];
    seen = 0;
    return t;
  };
  const json =
    (status: number, body: object, headers: Record<string, string> = {}) =>
    (res: http.ServerResponse) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };

  it('a metadata-only list asks for PartialObjectMetadataList with plain JSON as fallback, and reads either', async () => {
    const t = await transport();
    const verbs = new Verbs(t, new Discovery(async () => undefined));
    accepts.length = 0;
    const item = (name: string) => ({ metadata: { name, namespace: 'kube-system', labels: { a: 'b' } } });
    script = [
      // A server that converts: PartialObjectMetadata items.
      json(200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: '7' },
        items: [{ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', ...item('one') }],
      }),
      // One that does not (an aggregated API): the plain list.
      json(200, {
        kind: 'ConfigMapList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '8' },
        items: [item('two')],
      }),
    ];
    const shapes = [];
    for (let i = 0; i < 2; i++) {
      const { items } = await verbs.list('v1', 'ConfigMap', { namespace: 'kube-system', metadataOnly: true });
      shapes.push(items.map((o) => [o.apiVersion, o.kind, o.metadata.name, o.metadata.labels]));
    }
    assert.deepEqual(shapes, [
      [['v1', 'ConfigMap', 'one', { a: 'b' }]],
      [['v1', 'ConfigMap', 'two', { a: 'b' }]],
    ]);
    assert.deepEqual(accepts, [METADATA_LIST_ACCEPT, METADATA_LIST_ACCEPT]);
    assert.match(
      METADATA_LIST_ACCEPT,
      /^application\/json;as=PartialObjectMetadataList;g=meta\.k8s\.io;v=v1,application\/json$/,
    );
    // An ordinary list asks for plain JSON.
    await verbs.list('v1', 'ConfigMap');
    assert.equal(accepts[2], 'application/json');
  });

  it('retries a 503 and a 429, then answers', async () => {
    const t = await transport();
    script = [json(503, {}), json(429, {}, { 'retry-after': '0' })];
    const a = await t.call({ method: 'GET', path: '/api/v1/nodes', what: 'list Node' });
    assert.equal(a.status, 200);
    assert.equal(seen, 3);
    assert.equal(t.stats.retries, 2);
  });

  it('a 403 is final: ApiError Forbidden, not retried', async () => {
    const t = await transport();
    script = [json(403, { kind: 'Status', reason: 'Forbidden', message: 'no' })];
    await assert.rejects(
      t.call({ method: 'GET', path: '/api/v1/nodes', what: 'list Node' }),
      (e: unknown) => e instanceof ApiError && e.code === 'Forbidden' && e.status === 403,
    );
    assert.equal(seen, 1);
  });

  it('404 and 409 are answers for the verbs; 500 after the last attempt is Http500', async () => {
    const t = await transport();
    script = [json(404, {}), json(409, {})];
    assert.equal((await t.call({ method: 'GET', path: '/a', what: 'get a' })).status, 404);
    assert.equal((await t.call({ method: 'POST', path: '/a', what: 'create a', body: '{}' })).status, 409);
    script = Array.from({ length: POLICY.attempts }, () => json(500, {}));
    await assert.rejects(
      t.call({ method: 'GET', path: '/a', what: 'get a' }),
      (e: unknown) => e instanceof ApiError && e.code === 'Http500',
    );
  });

  it('an answer that is not JSON is NotKubernetes', async () => {
    const t = await transport();
    script = [
      (res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>login</html>');
      },
    ];
    await assert.rejects(
      t.call({ method: 'GET', path: '/api/v1/nodes', what: 'list Node' }),
      (e: unknown) => e instanceof ClusterError && e.code === 'NotKubernetes',
    );
  });

  it('no answer in time: given up, tried twice, Timeout', async () => {
    const t = await transport({ requestTimeoutMs: 100 });
    const hung: http.ServerResponse[] = [];
    script = [(res) => hung.push(res), (res) => hung.push(res)];
    await assert.rejects(
      t.call({ method: 'GET', path: '/api/v1/nodes', what: 'list Node' }),
      (e: unknown) => e instanceof ClusterError && e.code === 'Timeout',
    );
    assert.equal(seen, 2);
    for (const res of hung) res.destroy();
  });

  it("warnings go to onWarning, a Secret's without its text", async () => {
    const warned: string[] = [];
    const t = await transport({ onWarning: (what, text) => warned.push(`${what}: ${text}`) });
    const warn = json(200, {}, { warning: '299 - "quoted secret value"' });
    script = [warn, warn];
    await t.call({ method: 'GET', path: '/a', what: 'get a' });
    await t.call({ method: 'GET', path: '/s', what: 'get Secret/s', secret: true });
    assert.equal(warned[0], 'get a: quoted secret value');
    assert.doesNotMatch(warned[1]!, /quoted secret value/);
  });

  it('proxyGet: one try, status 0 with the reason when nothing answers in time', async () => {
    const t = await transport();
    const hung: http.ServerResponse[] = [];
    script = [json(503, {}), (res) => hung.push(res)];
    assert.equal((await t.proxyGet('/api/v1/nodes/n/proxy/configz', 1000)).status, 503);
    assert.equal((await t.proxyGet('/api/v1/nodes/n/proxy/configz', 50)).status, 0);
    assert.equal(seen, 2, 'no retries');
    for (const res of hung) res.destroy();
  });

  it('a connection refused before any answer: ConnectionRefused at once', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const t = new Transport(await Connection.open(await kubeconfigFor(`http://127.0.0.1:${port}`)), {
      retry: POLICY,
    });
    transports.push(t);
    await assert.rejects(
      t.call({ method: 'GET', path: '/version', what: 'get the server version' }),
      (e: unknown) => e instanceof ClusterError && e.code === 'ConnectionRefused',
    );
    assert.equal(t.stats.retries, 0);
  });
});

describe('discovery', () => {
  const reads: string[] = [];
  let fail = false;
  const docs: Record<string, unknown> = {
    '/apis/crd.projectcalico.org/v1': {
      resources: [
        { name: 'ippools', kind: 'IPPool', namespaced: false },
        { name: 'ippools/status', kind: 'IPPool', namespaced: false },
      ],
    },
  };
  const discovery = () =>
    new Discovery(async <T>(path: string) => {
      reads.push(path);
      if (fail) throw new ClusterError('down', 'Unreachable');
      return docs[path] as T | undefined;
    });

  it('built-in kinds need no round trip; other groups are read once and kept', async () => {
    reads.length = 0;
    const d = discovery();
    assert.deepEqual(await d.resource('v1', 'Pod'), { plural: 'pods', namespaced: true });
    assert.deepEqual(reads, []);
    assert.deepEqual(await d.resource('crd.projectcalico.org/v1', 'IPPool'), {
      plural: 'ippools',
      namespaced: false,
    });
    await d.resource('crd.projectcalico.org/v1', 'IPPool');
    assert.deepEqual(reads, ['/apis/crd.projectcalico.org/v1']);
  });

  it('a group not served is undefined, a failed read is not kept, a learned CRD replaces "not served"', async () => {
    reads.length = 0;
    const d = discovery();
    assert.equal(await d.resource('example.com/v1', 'Widget'), undefined);
    d.learnCrd({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets' },
        versions: [{ name: 'v1' }],
      },
    });
    assert.deepEqual(await d.resource('example.com/v1', 'Widget'), { plural: 'widgets', namespaced: true });
    assert.equal(reads.length, 1);
    fail = true;
    await assert.rejects(d.resource('other.io/v1', 'Thing'), (e: unknown) => e instanceof ClusterError);
    fail = false;
    assert.equal(await d.resource('other.io/v1', 'Thing'), undefined);
    assert.deepEqual(reads.slice(1), ['/apis/other.io/v1', '/apis/other.io/v1']);
    await assert.rejects(
      d.objectPath({ apiVersion: 'other.io/v1', kind: 'Thing', name: 'x' }),
      (e: unknown) => e instanceof ApiError && e.code === 'NotFound',
    );
  });
});

describe('watch', () => {
  const line = (o: object) => `${JSON.stringify(o)}\n`;
  const pod = (name: string) => ({ metadata: { name } });

  it('WatchLines: events across chunk borders, kinds filled in, junk and blank lines skipped, 410 expires', () => {
    const lines = new WatchLines('v1', 'Pod');
    const added = line({ type: 'ADDED', object: pod('a') });
    const events = [
      ...lines.feed(added.slice(0, 10)),
      ...lines.feed(`${added.slice(10)}\nnot json\n`),
      ...lines.feed(line({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } })),
    ];
    assert.deepEqual(
      events.map((e) => [e.type, e.object.kind, e.object.apiVersion]),
      [
        ['ADDED', 'Pod', 'v1'],
        ['BOOKMARK', 'Pod', 'v1'],
      ],
    );
    assert.equal(lines.end, 'closed');
    assert.deepEqual(lines.feed(line({ type: 'ERROR', object: { code: 410, reason: 'Expired' } })), []);
    assert.equal(lines.end, 'expired');
  });

  it('one watch request: events until the server ends it; 410 is expired; abort is aborted', async () => {
    const server = http.createServer((req, res) => {
      if (req.url?.startsWith('/gone')) {
        res.writeHead(410, { 'content-type': 'application/json' });
        return res.end('{}');
      }
      if (req.url?.startsWith('/hold')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.write(line({ type: 'ADDED', object: pod('held') }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(line({ type: 'ADDED', object: pod('a') }) + line({ type: 'DELETED', object: pod('a') }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const connection = await Connection.open(
      await kubeconfigFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
    try {
      const seen: WatchEvent[] = [];
      const end = await openWatch(connection, '/pods', new WatchLines('v1', 'Pod'), (e) => seen.push(e));
      assert.equal(end, 'closed');
      assert.deepEqual(
        seen.map((e) => `${e.type} ${(e.object as KubeObject).metadata.name}`),
        ['ADDED a', 'DELETED a'],
      );
      assert.equal(await openWatch(connection, '/gone', new WatchLines('v1', 'Pod'), () => {}), 'expired');
      const controller = new AbortController();
      const held = openWatch(
        connection,
        '/hold',
        new WatchLines('v1', 'Pod'),
        () => controller.abort(),
        controller.signal,
      );
      assert.equal(await held, 'aborted');
    } finally {
      connection.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('which kubelets status asks', () => {
  const node = (name: string, labels: Record<string, string>, version = 'v1.31.2'): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: { nodeInfo: { kubeletVersion: version } },
  });
  const nodes = [
    ...Array.from({ length: 50 }, (_, i) => node(`a-${i}`, { 'cloud.google.com/gke-nodepool': 'a' })),
    ...Array.from({ length: 30 }, (_, i) => node(`b-${i}`, { 'cloud.google.com/gke-nodepool': 'b' })),
    node('old', { 'cloud.google.com/gke-nodepool': 'a' }, 'v1.30.4'),
  ];

  it('one node of every kubelet version and pool before any second one', () => {
    const s = sampleKubelets(nodes, 3);
    assert.deepEqual(s.names, ['a-0', 'b-0', 'old']);
    assert.equal(s.groups, 3);
    assert.equal(s.unasked.get('a-0'), 49);
    assert.equal(s.unasked.get('old'), 0);
  });

  it('a larger sample goes round the groups again; all asks every node; never more than there are', () => {
    assert.deepEqual(sampleKubelets(nodes, 5).names, ['a-0', 'b-0', 'old', 'a-1', 'b-1']);
    assert.equal(sampleKubelets(nodes, 'all').names.length, nodes.length);
    assert.equal(sampleKubelets(nodes.slice(0, 2), 16).names.length, 2);
    assert.deepEqual(sampleKubelets(nodes, 0).names, []);
  });
});
