/**
 * Peer addresses from node labels and annotations are checked before they reach the router: a
 * node whose address is not an IP literal is left out and reported once (a log line and a
 * counter). The metrics page listens on 127.0.0.1 and the pod IP only, unless asked otherwise.
 * No timing assertions: waits are "until X happens" with a generous cap.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { addressProblem } from '../../src/peers/address.ts';
import { kubeNodeSource } from '../../src/peers/kube.ts';
import { metricsHosts, SidecarMetrics, startMetricsServer } from '../../src/peers/metrics.ts';
import { EXTERNAL_IP_LABEL } from '../../src/peers/node.ts';
import type { WeaveRouter } from '../../src/peers/router.ts';
import { PeeringSidecar } from '../../src/peers/sidecar.ts';
import { type FakeApiServer, type KubeObject, startFakeApiServer } from '../fake-apiserver/index.ts';
import { runCli } from '../support/cli.ts';

async function waitFor(what: string, pred: () => boolean, capMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > capMs) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('addressProblem', () => {
  test('IPv4 and IPv6 literals pass; anything else is named with its source', () => {
    assert.equal(
      addressProblem({ name: 'a', internalIp: '10.0.0.1', labelExternalIp: '2001:db8::1' }),
      undefined,
    );
    assert.match(
      addressProblem({ name: 'a', internalIp: '10.0.0.1', labelExternalIp: 'not-an-ip' })!,
      /^label node-address\.kontena\.io\/external-ip is "not-an-ip", not an IPv4 or IPv6 address$/,
    );
    assert.match(
      addressProblem({ name: 'a', labelExternalIp: '10.0.0.1 10.0.0.2' })!,
      /"10\.0\.0\.1 10\.0\.0\.2"/,
    );
    assert.match(
      addressProblem({ name: 'a', bridgeIp: '10.32.0.1/12' })!,
      /^annotation weave\.kontena\.io\/bridge-ip/,
    );
    const long = addressProblem({ name: 'a', labelExternalIp: 'x'.repeat(5000) })!;
    assert.ok(long.length < 200, long);
    assert.match(long, /\(5000 characters\)/);
  });
});

function node(name: string, region: string, internal: string, labelIp?: string, beat = 0): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'topology.kubernetes.io/region': region,
        ...(labelIp !== undefined ? { [EXTERNAL_IP_LABEL]: labelIp } : {}),
      },
    },
    status: {
      addresses: [{ type: 'InternalIP', address: internal }],
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date(beat * 1000).toISOString() }],
    },
  } as KubeObject;
}

describe('the side-car leaves a node with a bad address out', () => {
  let api: FakeApiServer;
  let sidecar: PeeringSidecar;
  const posted: string[][] = [];
  const logs: string[] = [];
  const router: WeaveRouter = {
    connect: async (peers) => {
      posted.push([...peers]);
    },
    status: async () => ({ targets: posted.at(-1)?.length ?? 0 }),
    targets: async () => posted.at(-1) ?? [],
  };
  const put = (o: KubeObject) => api.store.commit(api.store.registry.byKind('v1', 'Node')!, o);

  before(async () => {
    api = await startFakeApiServer();
    put(node('eu-1', 'eu', '10.0.0.1', '198.51.100.1'));
    put(node('us-1', 'us', '10.1.0.1', 'not-an-ip'));
    sidecar = new PeeringSidecar(await kubeNodeSource(api.kubeconfigPath, 30), router, {
      nodeName: 'eu-1',
      knownPeers: [],
      debounceMs: 10,
      routerCheckMs: 60_000,
      resyncMs: 3_600_000,
      log: (line) => logs.push(line),
    });
    sidecar.start();
  });
  after(async () => {
    await sidecar.stop();
    await api.close();
  });

  test('never posted, reported once (log and counter), whatever the node does', async () => {
    await waitFor('the first sync', () => posted.length >= 1);
    assert.deepEqual(posted.at(-1), []);
    // Heartbeats of the bad node, then a good node as a marker: once its address is posted, the
    // heartbeats were processed too.
    for (let i = 1; i <= 3; i++) put(node('us-1', 'us', '10.1.0.1', 'not-an-ip', i));
    put(node('us-2', 'us', '10.1.0.2', '203.0.113.2'));
    await waitFor('us-2 posted', () => posted.at(-1)?.includes('203.0.113.2') === true);
    assert.deepEqual(posted.at(-1), ['203.0.113.2']);
    assert.ok(posted.every((list) => list.every((p) => p !== 'not-an-ip')));
    const reports = logs.filter((l) => l.startsWith('node us-1 skipped:'));
    assert.deepEqual(reports, [
      'node us-1 skipped: its label node-address.kontena.io/external-ip is "not-an-ip", not an IPv4 or IPv6 address',
    ]);
    assert.equal(sidecar.metrics.skippedNodes, 1);
    assert.match(sidecar.metrics.render(), /^netpack_peers_skipped_nodes_total 1$/m);
  });

  test('a good node that turns bad leaves the list; fixed, it comes back', async () => {
    put(node('us-2', 'us', '10.1.0.2', `${'9'.repeat(5000)} `));
    await waitFor('us-2 dropped', () => posted.at(-1)?.length === 0);
    assert.equal(sidecar.metrics.skippedNodes, 2);
    put(node('us-1', 'us', '10.1.0.1', '203.0.113.1'));
    await waitFor('us-1 posted', () => posted.at(-1)?.includes('203.0.113.1') === true);
    assert.deepEqual(posted.at(-1), ['203.0.113.1']);
  });
});

describe('where the metrics page listens', () => {
  test('127.0.0.1 and the pod IP by default; a wildcard only when asked', () => {
    assert.deepEqual(metricsHosts({}), ['127.0.0.1']);
    assert.deepEqual(metricsHosts({ podIp: '10.0.0.7' }), ['127.0.0.1', '10.0.0.7']);
    assert.deepEqual(metricsHosts({ podIp: 'junk' }), ['127.0.0.1']);
    assert.deepEqual(metricsHosts({ asked: '0.0.0.0', podIp: '10.0.0.7' }), ['0.0.0.0']);
    assert.deepEqual(metricsHosts({ listenHost: '::', asked: '10.0.0.1' }), ['::']);
    assert.throws(() => metricsHosts({ asked: 'everywhere' }), /not an IPv4 or IPv6 address/);
  });

  test('an address it cannot listen on is one line, exit 2', async () => {
    const api = await startFakeApiServer();
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const r = await runCli(
        'peers',
        'run',
        '--kubeconfig',
        api.kubeconfigPath,
        '--node-name',
        'n',
        '--metrics-address',
        '127.0.0.1',
        '--listen',
        String(port),
      );
      assert.equal(r.code, 2, r.stderr);
      assert.deepEqual(r.lines, [
        `netpack: cannot serve /healthz and /metrics on 127.0.0.1:${port} (EADDRINUSE): pick another --metrics-address or --listen`,
      ]);
    } finally {
      await new Promise((r) => taken.close(r));
      await api.close();
    }
  });

  test('not served on another address of the host', async () => {
    // 127.0.0.2 stands in for the pod IP; 127.0.0.3 for any other address of the node.
    const metrics = new SidecarMetrics();
    const servers = [];
    for (const host of metricsHosts({ podIp: '127.0.0.2' }))
      servers.push(await startMetricsServer({ host, port: 0 }, metrics, () => ({ ok: true, detail: 'ok' })));
    const reach = (host: string, port: number) =>
      new Promise<boolean>((resolve) => {
        const s = tcpConnect({ host, port }, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
    try {
      assert.equal(await reach('127.0.0.1', servers[0]!.port), true);
      assert.equal(await reach('127.0.0.2', servers[1]!.port), true);
      assert.equal(await reach('127.0.0.3', servers[1]!.port), false);
    } finally {
      for (const s of servers) await s.close();
    }
  });
});
