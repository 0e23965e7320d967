// Sequential round trips of apply, re-apply, diff and status, counted from the fake API server's
// request timeline (test/fake-apiserver/waves.ts) with latency on every request, so the count is
// the client's and not the machine's: first apply writes in 4 waves (the write-ahead record; every
// CRD and built-in at once; the IPPool once its CRD is Established; the state, the lock's release
// alongside) after one wave of reads and one of the lock with the reads under it; re-apply at
// most 2; status at most the pages of its longest list plus two (the first kubelet's configz
// alone, then a bounded sample of the others in one wave), whatever the number of nodes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_KUBELET_SAMPLE } from '../../src/cluster/kubelet-dns.ts';
import { kubeadmKubeletConfig } from '../fake-apiserver/server.ts';
import { describeWaves, requestWaves, waveCount } from '../fake-apiserver/waves.ts';
import { calicoYaml, type Env, setup } from './helpers.ts';

/** Far above the client's own work between two requests, even on a busy machine. */
const LATENCY_MS = 300;

describe('request waves against a server with latency', () => {
  let env: Env;
  let file: string;
  before(async () => {
    // Every kubelet shows its configz, as on a kubeadm cluster.
    env = await setup({ nodes: 3, crdEstablishDelayMs: 0, kubeletConfig: () => kubeadmKubeletConfig() });
    file = env.file('cluster.yml', calicoYaml());
    env.server.faults.add({ latencyMs: LATENCY_MS });
  });
  after(async () => {
    await env.close();
  });

  const measure = async (...argv: string[]) => {
    const from = env.server.requests.length;
    const r = await env.np(...argv);
    // status says unhealthy (1) here: the pods are bare fixtures.
    assert.ok(r.code === 0 || (argv[0] === 'status' && r.code === 1), r.stderr);
    const requests = env.server.requests.slice(from);
    return { waves: waveCount(requests, { watchAnswerMs: LATENCY_MS }), requests };
  };

  it('first apply of Calico (23 CRDs, an IPPool): its writes in 4 waves, 6 in all with the lock', async () => {
    const { requests } = await measure('apply', '-f', file, '--no-wait');
    const opts = { watchAnswerMs: LATENCY_MS };
    const waves = requestWaves(requests, opts);
    const shown = describeWaves(requests, opts);
    const waveOf = (pred: (r: (typeof requests)[number]) => boolean) =>
      requests.flatMap((r, i) => (pred(r) ? [waves[i]!] : []));
    const stateWrites = waveOf((r) => r.verb === 'apply' && r.name === 'netpack-state');
    // The write-ahead record, then every CRD and built-in at once, the IPPool, the state.
    assert.equal(stateWrites.length, 2, shown);
    assert.ok(stateWrites[1]! - stateWrites[0]! <= 3, shown);
    const crdAndBuiltIns = waveOf(
      (r) => r.verb === 'apply' && r.name !== 'netpack-state' && r.resource !== 'ippools',
    );
    assert.deepEqual(new Set(crdAndBuiltIns), new Set([stateWrites[0]! + 1]), shown);
    // The lock is taken in the wave that reads again under it, and released with the state.
    const lockWrites = waveOf((r) => r.resource === 'leases' && r.verb !== 'get');
    assert.deepEqual(lockWrites, [stateWrites[0]! - 1, stateWrites[1]!], shown);
    // In all: the reads (the labelled lists and what they may miss at once, adopt.ts), the lock
    // with the reads under it, the four above: 1 + 1 + 4.
    assert.ok(Math.max(...waves) <= 6, `${Math.max(...waves)} waves:\n${shown}`);
  });

  it('re-apply with nothing to change: at most 2 waves', async () => {
    const { waves, requests } = await measure('apply', '-f', file, '--no-wait');
    assert.ok(waves <= 2, `${waves} waves:\n${describeWaves(requests, { watchAnswerMs: LATENCY_MS })}`);
  });

  it('status of 1,200 nodes in two pools (3 pages of nodes and of pods, configz of a sample): at most 5 waves', async () => {
    env.server.faults.clear();
    env.server.addNodes(597);
    env.server.addNodes(600, { 'node.kubernetes.io/instance-type': 'large' });
    // A network pod on every node, committed directly (stepping the rollout 1,200 times is slow).
    const podType = env.server.store.registry.byKind('v1', 'Pod')!;
    for (let i = 1; i <= 1200; i++)
      env.server.store.commit(podType, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `calico-node-${i}`,
          namespace: 'kube-system',
          labels: { 'k8s-app': 'calico-node' },
        },
        spec: { nodeName: `node-${i}` },
        status: { phase: 'Running' },
      });
    env.server.faults.add({ latencyMs: LATENCY_MS });
    const { waves, requests } = await measure('status');
    const pages = requests.filter((r) => r.verb === 'list' && r.resource === 'nodes').length;
    assert.equal(pages, 3);
    const shown = describeWaves(requests, { watchAnswerMs: LATENCY_MS });
    assert.ok(waves <= pages + 2, `${waves} waves:\n${shown}`);
    // A bounded sample of the kubelets, both pools among them, and the report says so.
    const configz = requests.filter((r) => r.path.endsWith('/proxy/configz'));
    assert.equal(configz.length, DEFAULT_KUBELET_SAMPLE, shown);
    const asked = new Set(configz.map((r) => Number(/node-(\d+)/.exec(r.path)![1])));
    assert.ok([...asked].some((n) => n <= 600) && [...asked].some((n) => n > 600), [...asked].join(' '));
  });
});
