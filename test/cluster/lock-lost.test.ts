/**
 * A lease that stops being this run's while it writes (a renewal refused because someone took it
 * over, or none acknowledged for a whole lease duration): no further write is sent, the failure
 * carries the code LockLost, and what was written stays on record in the write-ahead state.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { applyCluster } from '../../src/cluster/apply.ts';
import { connect } from '../../src/cluster/connect.ts';
import { desiredState } from '../../src/cluster/desired.ts';
import { acquireLock, LEASE_SECONDS, type Lock, writesWhileHeld } from '../../src/cluster/lock.ts';
import type { ClusterClient } from '../../src/cluster/types.ts';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import { type FakeApiServer, startFakeApiServer } from '../fake-apiserver/index.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } };

describe('a lock lost while writing', () => {
  let server: FakeApiServer;
  let client: ClusterClient;
  before(async () => {
    server = await startFakeApiServer({ nodes: 1, crdEstablishDelayMs: 0 });
    client = await connect({ kubeconfig: server.kubeconfigPath }, () => {});
  });
  after(async () => {
    client.close();
    await server.close();
  });

  it('the gated client sends writes while the lock holds, refuses them (LockLost) once lost; reads pass', async () => {
    const lock = { lost: false };
    const gated = writesWhileHeld(client, lock);
    await gated.apply(CM, { dryRun: false, force: false });
    assert.ok(server.store.find('ConfigMap', 'x', 'default'));
    lock.lost = true;
    const before = server.requests.length;
    await assert.rejects(
      gated.delete(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'x' },
        { dryRun: false },
      ),
      {
        code: 'LockLost',
      },
    );
    await assert.rejects(gated.apply(CM, { dryRun: false, force: false }), { code: 'LockLost' });
    assert.equal(server.requests.length, before, 'nothing sent');
    assert.ok(await gated.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'x' }));
  });

  it('a renewal refused because another run took the lease over makes the lock lost', async () => {
    const lock = await acquireLock(client, 'ann@ws/1 apply', { renewEveryMs: 5 });
    assert.equal(lock.lost, false);
    const leases = server.store.registry.byKind('coordination.k8s.io/v1', 'Lease')!;
    const now = new Date().toISOString().replace('Z', '000Z');
    server.store.commit(leases, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'netpack-lock', namespace: 'kube-system' },
      spec: {
        holderIdentity: 'ben@ws/2 apply',
        leaseDurationSeconds: LEASE_SECONDS,
        acquireTime: now,
        renewTime: now,
      },
    });
    // Wait for the event: the next renewal's refusal, however long the machine takes.
    while (!lock.lost) await new Promise((resolve) => setImmediate(resolve));
    await lock.release();
    // Released as someone else's: left alone.
    const live = server.store.find('Lease', 'netpack-lock', 'kube-system');
    assert.equal((live?.spec as { holderIdentity?: string } | undefined)?.holderIdentity, 'ben@ws/2 apply');
    server.store.remove(leases, 'kube-system', 'netpack-lock');
  });

  it('apply stops writing once the lock is lost: LockLost, and the write-ahead record keeps what it may have made', async () => {
    const config = defaultClusterConfig();
    config.network.provider = 'calico';
    config.network.pod_network_cidr = '10.244.0.0/16';
    const lock: Lock & { lost: boolean } = { takenOver: false, lost: false, release: async () => {} };
    // The lease is lost as the write-ahead record reaches the server, before its answer.
    const recorded = server.nextRequest(
      (r) => r.verb === 'apply' && r.resource === 'configmaps' && r.name === 'netpack-state',
    );
    void recorded.then(() => {
      lock.lost = true;
    });
    const from = server.writes().length;
    const report = await applyCluster(client, config, desiredState(config, {}, randomBytes), {
      dryRun: false,
      force: false,
      deadline: Date.now() + 30_000,
      log: () => {},
      lock: async () => lock,
    });
    const written = server.writes().slice(from);
    assert.deepEqual(
      written.map((w) => `${w.verb} ${w.resource}/${w.name}`),
      ['apply configmaps/netpack-state'],
      'only the write-ahead record',
    );
    assert.ok(report.failures.length > 0);
    assert.ok(
      report.failures.every((f) => f.code === 'LockLost'),
      JSON.stringify(report.failures[0]),
    );
    assert.equal(report.stored, false);
  });
});
