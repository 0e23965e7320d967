// A check removes everything it made whatever happens: the time runs out (waiting for probes, or
// waiting for their answers), Ctrl-C (an abort in-process, and a real SIGINT to the CLI), and a
// run killed with SIGKILL is cleaned up by the next run. A namespace of the same name that is not
// netpack's is never touched.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CheckError, type CheckOptions, runCheck } from '../../src/check/run.ts';
import { createClusterClient } from '../../src/cluster/client.ts';
import { loadKubeConfig } from '../../src/cluster/kubeconfig.ts';
import type { ClusterClient } from '../../src/cluster/types.ts';
import { type FakeApiServer, startFakeApiServer } from '../fake-apiserver/index.ts';
import { leftovers, loopbackProbes, probeScript, probeScriptPath, spawnCli } from './support.ts';

const RANGE = 32;

async function clientOf(server: FakeApiServer): Promise<ClusterClient> {
  const { kc } = await loadKubeConfig({ kubeconfig: server.kubeconfigPath });
  return createClusterClient(kc);
}

let script = '';
const options = (over: Partial<CheckOptions> = {}): CheckOptions => ({
  probeScript: script,
  timeoutMs: 30_000,
  testTimeoutMs: 500,
  largeBytes: 256 * 1024,
  hostProbes: false,
  nodeLocalDns: false,
  clusterDomain: 'cluster.local',
  context: {},
  progress: () => {},
  ...over,
});

describe('netpack check cleans up', () => {
  before(async () => {
    await probeScriptPath();
    script = await probeScript();
  });
  after(() => {});

  test('--timeout while waiting for probes that never come up: CheckError timeout, nothing left', async () => {
    const server = await startFakeApiServer({ nodes: 2 });
    const kubelet = loopbackProbes(server, { range: RANGE, pending: ['node-1', 'node-2'] });
    const client = await clientOf(server);
    try {
      await assert.rejects(
        runCheck(client, options({ timeoutMs: 1000, testTimeoutMs: 100 })),
        (e: unknown) => {
          assert.ok(e instanceof CheckError);
          assert.equal(e.why, 'timeout');
          return true;
        },
      );
      assert.deepEqual(leftovers(server), []);
    } finally {
      client.close();
      await kubelet.close();
      await server.close();
    }
  });

  test('--timeout while a probe never answers its run: CheckError timeout, nothing left', async () => {
    const server = await startFakeApiServer({ nodes: 2 });
    const kubelet = loopbackProbes(server, { range: RANGE, hanging: ['node-2'] });
    const client = await clientOf(server);
    const progress: string[] = [];
    try {
      await assert.rejects(
        runCheck(client, options({ timeoutMs: 4000, testTimeoutMs: 100, progress: (l) => progress.push(l) })),
        (e: unknown) => e instanceof CheckError && e.why === 'timeout',
      );
      assert.ok(
        progress.some((l) => /running the tests/.test(l)),
        'the time ran out while the probes ran',
      );
      assert.deepEqual(leftovers(server), []);
      await kubelet.idle();
      assert.deepEqual(kubelet.running(), []);
    } finally {
      client.close();
      await kubelet.close();
      await server.close();
    }
  });

  test('an abort (Ctrl-C in the CLI) while waiting: CheckError interrupted, nothing left', async () => {
    const server = await startFakeApiServer({ nodes: 2 });
    const kubelet = loopbackProbes(server, { range: RANGE, pending: ['node-2'] });
    const client = await clientOf(server);
    const ctrlC = new AbortController();
    try {
      await assert.rejects(
        runCheck(
          client,
          options({
            signal: ctrlC.signal,
            progress: (l) => {
              if (/probes ready: 1\/2/.test(l)) ctrlC.abort();
            },
          }),
        ),
        (e: unknown) => e instanceof CheckError && e.why === 'interrupted',
      );
      assert.deepEqual(leftovers(server), []);
    } finally {
      client.close();
      await kubelet.close();
      await server.close();
    }
  });

  test('SIGINT to the CLI: exit 2, namespace removed; SIGKILL leaves it, and the next run removes it first', async () => {
    const server = await startFakeApiServer({ nodes: 2 });
    let kubelet = loopbackProbes(server, { range: RANGE, pending: ['node-1', 'node-2'] });
    try {
      const args = ['check', '--kubeconfig', server.kubeconfigPath, '--timeout', '5m'];
      const first = spawnCli(...args);
      await first.waitFor(/probes ready: 0\/2/);
      assert.ok(leftovers(server).includes('Namespace/netpack-check'));
      first.child.kill('SIGINT');
      assert.equal(await first.exited, 2, first.stderr());
      assert.match(first.stderr(), /SIGINT: stopping and cleaning up/);
      assert.match(first.stderr(), /removed namespace netpack-check/);
      assert.deepEqual(leftovers(server), []);

      const killed = spawnCli(...args);
      await killed.waitFor(/probes ready: 0\/2/);
      killed.child.kill('SIGKILL');
      await killed.exited;
      assert.ok(leftovers(server).includes('DaemonSet/netpack-check'), 'a killed run cannot clean up');

      await kubelet.close();
      kubelet = loopbackProbes(server, { range: RANGE });
      const client = await clientOf(server);
      const progress: string[] = [];
      try {
        const report = await runCheck(client, options({ progress: (l) => progress.push(l) }));
        assert.equal(report.ok, true, JSON.stringify(report.findings));
      } finally {
        client.close();
      }
      assert.ok(
        progress.some((l) => /left by an earlier run/.test(l)),
        progress.join('\n'),
      );
      assert.deepEqual(leftovers(server), []);
    } finally {
      await kubelet.close();
      await server.close();
    }
  });

  test("a namespace netpack-check that is not netpack's is refused and left alone", async () => {
    const server = await startFakeApiServer({
      nodes: 2,
      namespaces: ['default', 'kube-system', 'netpack-check'],
    });
    const client = await clientOf(server);
    try {
      await assert.rejects(
        runCheck(client, options()),
        (e: unknown) => e instanceof CheckError && e.why === 'usage',
      );
      assert.deepEqual(leftovers(server), ['Namespace/netpack-check']);
      assert.deepEqual(server.writes(), []);
    } finally {
      client.close();
      await server.close();
    }
  });
});
