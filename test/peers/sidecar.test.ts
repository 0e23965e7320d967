/**
 * The side-car against the fake API server and a fake Weave router on 127.0.0.1 that records
 * every POST /connect. No timing assertions: every wait is "until X happens" with a generous cap.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { DnatRule } from '../../src/peers/dnat.ts';
import { kubeNodeSource } from '../../src/peers/kube.ts';
import { startMetricsServer } from '../../src/peers/metrics.ts';
import {
  connectBody,
  httpWeaveRouter,
  parseRouterStatus,
  parseRouterTargets,
} from '../../src/peers/router.ts';
import {
  type DnatApplier,
  describeChange,
  MAX_LOGGED_CHANGES,
  PeeringSidecar,
} from '../../src/peers/sidecar.ts';
import { type FakeApiServer, type KubeObject, startFakeApiServer } from '../fake-apiserver/index.ts';
import { RecordingRouter } from '../support/weave-router.ts';

async function waitFor(what: string, pred: () => boolean, capMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > capMs) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function nodeObject(name: string, region: string, internal: string, external?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/region': region } },
    status: {
      addresses: [
        { type: 'InternalIP', address: internal },
        ...(external ? [{ type: 'ExternalIP', address: external }] : []),
      ],
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date(0).toISOString() }],
    },
  } as KubeObject;
}

test('a change is logged as what was added and removed, never the whole list; long changes counted', () => {
  const list = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => `10.0.${(from + i) >> 8}.${(from + i) & 255}`);
  assert.equal(describeChange(list(0, 3), [...list(1, 2), '192.0.2.1']), '+192.0.2.1 -10.0.0.0');
  assert.equal(describeChange(list(0, 3), list(0, 3)), 'no change');
  // The first list of a 5,000-node cluster: 20 addresses named, the rest counted.
  const first = describeChange(undefined, list(0, 5000));
  assert.equal(first.match(/\+10\./g)?.length, MAX_LOGGED_CHANGES);
  assert.match(first, / \.\.\. \(\+4980 -0 more\)$/);
  const churn = describeChange(list(0, 5000), list(2500, 5000));
  assert.match(churn, / \.\.\. \(\+2480 -2500 more\)$/);
  assert.ok(first.length < 500 && churn.length < 500);
});

describe('peers side-car against the fake API server and a fake router', () => {
  let api: FakeApiServer;
  const router = new RecordingRouter();
  let sidecar: PeeringSidecar;
  const logs: string[] = [];
  const dnatApplied: DnatRule[][] = [];
  let dnatCleaned = false;
  const nodeType = () => api.store.registry.byKind('v1', 'Node')!;
  const put = (o: KubeObject) => api.store.commit(nodeType(), o);
  const heartbeat = (name: string, i: number) => {
    const o = structuredClone(api.store.find('Node', name)!) as KubeObject & {
      status: { conditions: { lastHeartbeatTime: string }[] };
    };
    o.status.conditions[0]!.lastHeartbeatTime = new Date(i * 1000).toISOString();
    put(o);
  };

  before(async () => {
    api = await startFakeApiServer();
    put(nodeObject('eu-1', 'eu', '10.0.0.1', '198.51.100.1'));
    put(nodeObject('eu-2', 'eu', '10.0.0.2', '198.51.100.2'));
    put(nodeObject('us-1', 'us', '10.1.0.1', '203.0.113.1'));
    await router.start();
    // The first lists fail: the side-car must keep trying, not exit.
    api.faults.add({ verbs: ['list'], resource: 'nodes', code: 503, times: 2 });
    const dnat: DnatApplier = {
      apply: async (rules) => {
        dnatApplied.push([...rules]);
      },
      cleanup: async () => {
        dnatCleaned = true;
      },
    };
    sidecar = new PeeringSidecar(await kubeNodeSource(api.kubeconfigPath, 1), httpWeaveRouter(router.url), {
      nodeName: 'eu-1',
      knownPeers: ['192.0.2.77'],
      debounceMs: 20,
      routerCheckMs: 30,
      resyncMs: 3_600_000,
      backoffInitialMs: 20,
      backoffMaxMs: 200,
      dnat,
      log: (line) => logs.push(line),
    });
    sidecar.start();
  });

  after(async () => {
    await sidecar.stop();
    await router.stop();
    await api.close();
  });

  test('first sync after transient list failures: private in-region, public across, known peers', async () => {
    await waitFor('first /connect', () => router.calls.length >= 1);
    assert.deepEqual(router.calls, [['10.0.0.2', '192.0.2.77', '203.0.113.1']]);
    assert.ok((sidecar.metrics.errors.get('kube') ?? 0) >= 1, 'list failures were counted');
    await waitFor('the change logged', () => logs.some((l) => l.startsWith('peers (')));
    assert.ok(
      logs.some((l) => l === 'peers (3): +10.0.0.2 +192.0.2.77 +203.0.113.1'),
      logs.join('\n'),
    );
    assert.ok(
      logs.every((l) => !l.includes('\n')),
      'every log entry is one line',
    );
    assert.ok(
      logs.some((l) => /^error \(kube\): list nodes: .*\b503\b/.test(l)),
      logs.join('\n'),
    );
  });

  test('heartbeats cause no call; the next real change causes exactly one', async () => {
    const before = router.calls.length;
    for (let i = 1; i <= 5; i++) heartbeat('us-1', i);
    heartbeat('eu-2', 9);
    // A real change after the heartbeats: once its call arrives, the heartbeats were processed too.
    put(nodeObject('us-2', 'us', '10.1.0.2', '203.0.113.2'));
    await waitFor('call for us-2', () => router.calls.some((c) => c.includes('203.0.113.2')));
    await waitFor('watch caught up', () => sidecar.metrics.nodes === 4);
    assert.equal(router.calls.length, before + 1);
    assert.deepEqual(router.calls.at(-1), ['10.0.0.2', '192.0.2.77', '203.0.113.1', '203.0.113.2']);
  });

  test('a node in another region changing its private address changes nothing here', async () => {
    const before = router.calls.length;
    put(nodeObject('us-2', 'us', '10.1.0.99', '203.0.113.2'));
    put(nodeObject('eu-2', 'eu', '10.0.0.22', '198.51.100.2')); // a real change, as a marker
    await waitFor('call for eu-2', () => router.calls.some((c) => c.includes('10.0.0.22')));
    assert.equal(router.calls.length, before + 1);
  });

  test('dropped watches are resumed without losing events', async () => {
    const before = router.calls.length;
    api.faults.dropWatches({ afterEvents: 1 });
    // Wait until the current (1 s) watch has been replaced by one that the fault drops.
    const restarts = () => sidecar.metrics.watchRestarts.get('closed') ?? 0;
    const r0 = restarts();
    await waitFor('a new watch', () => restarts() > r0);
    put(nodeObject('ap-1', 'ap', '10.2.0.1', '192.0.2.201'));
    put(nodeObject('ap-2', 'ap', '10.2.0.2', '192.0.2.202'));
    await waitFor(
      'both ap nodes',
      () =>
        router.calls.at(-1)?.includes('192.0.2.202') === true &&
        router.calls.at(-1)?.includes('192.0.2.201') === true,
    );
    api.faults.dropWatches(undefined);
    assert.ok(router.calls.length - before >= 1 && router.calls.length - before <= 2);
    assert.deepEqual(router.calls.at(-1), [
      '10.0.0.22',
      '192.0.2.77',
      '192.0.2.201',
      '192.0.2.202',
      '203.0.113.1',
      '203.0.113.2',
    ]);
  });

  test('410 expiry: the side-car lists again and catches up', async () => {
    const removeFault = api.faults.add({ verbs: ['watch'], resource: 'nodes', code: 503 });
    const errors = () => sidecar.metrics.errors.get('kube') ?? 0;
    const e0 = errors();
    await waitFor('watch refused', () => errors() > e0);
    // While it cannot watch, a region disappears and history is compacted.
    api.store.remove(nodeType(), undefined, 'ap-1');
    api.store.remove(nodeType(), undefined, 'ap-2');
    api.store.compact();
    removeFault();
    await waitFor('expired watch', () => (sidecar.metrics.watchRestarts.get('expired') ?? 0) >= 1);
    await waitFor('ap region gone', () => !router.calls.at(-1)!.includes('192.0.2.201'));
    assert.deepEqual(router.calls.at(-1), ['10.0.0.22', '192.0.2.77', '203.0.113.1', '203.0.113.2']);
    assert.ok(logs.some((l) => l.includes('expired, listing again')));
  });

  test('a restarted router gets the peers again', async () => {
    const port = router.port;
    const before = router.calls.length;
    const expected = router.calls.at(-1);
    await router.stop();
    await waitFor('router seen down', () => sidecar.health().detail.includes('router=down'));
    await router.start(port);
    // A retry of a post that failed while the router was down may land first; the restart
    // itself must still be noticed and answered with the peer list.
    await waitFor('resync after restart', () => (sidecar.metrics.syncs.get('router-restart') ?? 0) >= 1);
    assert.ok(router.calls.length > before);
    assert.deepEqual(router.calls.at(-1), expected);
    assert.equal(sidecar.metrics.syncs.get('router-restart'), 1);
  });

  test('a router that restarted between two checks, keeping as many targets, gets the peers again', async () => {
    const expected = router.calls.at(-1)!;
    const before = sidecar.metrics.syncs.get('router-restart') ?? 0;
    const calls = router.calls.length;
    router.forget(expected.map((_, i) => `192.0.2.${100 + i}`));
    await waitFor('a repost', () => (sidecar.metrics.syncs.get('router-restart') ?? 0) > before);
    assert.ok(router.calls.length > calls);
    assert.deepEqual(router.calls.at(-1), expected);
    assert.ok(logs.some((l) => l.includes('its targets are not the list posted')));
  });

  test('the targets in another order are no reason to post again', async () => {
    const posts = router.calls.length;
    const checks = router.statusCalls;
    await waitFor('a few router checks', () => router.statusCalls >= checks + 3);
    assert.equal(router.calls.length, posts);
  });

  test('kubelet DNAT follows the nodes of other regions', () => {
    const last = dnatApplied.at(-1)!;
    // No node has a bridge address annotation yet, so no rules; the applier was still asked.
    assert.deepEqual(last, []);
  });

  test('/healthz and /metrics', async () => {
    const srv = await startMetricsServer({ host: '127.0.0.1', port: 0 }, sidecar.metrics, () =>
      sidecar.health(),
    );
    try {
      const h = await fetch(`http://127.0.0.1:${srv.port}/healthz`);
      assert.equal(h.status, 200);
      const m = await (await fetch(`http://127.0.0.1:${srv.port}/metrics`)).text();
      assert.match(m, /^netpack_peers 4$/m);
      assert.match(m, /^netpack_peers_last_sync_timestamp_seconds [1-9]\d*(\.\d+)?$/m);
      assert.match(m, /^netpack_peers_errors_total\{kind="kube"\} [1-9]/m);
      assert.match(m, /^netpack_peers_syncs_total\{reason="change"\} \d+$/m);
      assert.equal((await fetch(`http://127.0.0.1:${srv.port}/nope`)).status, 404);
    } finally {
      await srv.close();
    }
  });

  test('stop() cleans kubelet DNAT up', async () => {
    await sidecar.stop();
    assert.ok(dnatCleaned);
  });
});

describe('peers: router API details', () => {
  test('connect body is form-encoded peers plus replace=true', () => {
    assert.equal(connectBody(['10.0.0.1', 'fd00::1']), 'peer=10.0.0.1&peer=fd00%3A%3A1&replace=true');
    assert.equal(connectBody([]), 'replace=true');
  });
  test('targets: one per line, blank lines and spaces ignored', () => {
    assert.deepEqual(parseRouterTargets('10.0.0.2\n 203.0.113.1 \n\n192.0.2.77:6783\n'), [
      '10.0.0.2',
      '203.0.113.1',
      '192.0.2.77:6783',
    ]);
    assert.deepEqual(parseRouterTargets(''), []);
  });

  test('a router that does not answer: the error says which request, where, and why', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(
      httpWeaveRouter(`http://127.0.0.1:${port}`).status(),
      new RegExp(
        `^Error: GET /status: the Weave router at http://127\\.0\\.0\\.1:${port} did not answer \\(ECONNREFUSED\\)$`,
      ),
    );
  });

  test('status: Targets count when present', () => {
    assert.deepEqual(parseRouterStatus('        Version: 2.8.1\n        Targets: 3\n'), { targets: 3 });
    assert.deepEqual(parseRouterStatus('nothing'), {});
  });
});
