/**
 * The lock taken in the wave that reads under it (cluster/apply.ts): a lease created where there
 * was none trusts the read sent with it; a lease taken over from a holder that stopped renewing
 * it reads once more. A release alongside the last write is one DELETE; a plain release reads
 * the lease first. Nodes and the Services' ClusterIPs, which no run of netpack writes, are read
 * once per run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/cluster/connect.ts';
import { acquireLock, LEASE_SECONDS } from '../../src/cluster/lock.ts';
import type { ClusterClient } from '../../src/cluster/types.ts';
import type { KubeObject } from '../fake-apiserver/resources.ts';
import { calicoYaml, type Env, setup } from './helpers.ts';

function expiredLease(): KubeObject {
  const t = new Date(Date.now() - (LEASE_SECONDS + 10) * 1000).toISOString().replace('Z', '000Z');
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'netpack-lock', namespace: 'kube-system' },
    spec: {
      holderIdentity: 'gone@elsewhere/9 apply',
      leaseDurationSeconds: LEASE_SECONDS,
      acquireTime: t,
      renewTime: t,
    },
  };
}

describe('the lock and the read under it', () => {
  let env: Env;
  let client: ClusterClient;
  before(async () => {
    env = await setup({ nodes: 1 });
    client = await connect({ kubeconfig: env.server.kubeconfigPath }, () => {});
  });
  after(async () => {
    client.close();
    await env.close();
  });
  const leases = () => env.server.store.registry.byKind('coordination.k8s.io/v1', 'Lease')!;
  const sent = (from: number) =>
    env.server.requests
      .slice(from)
      .map((r) => `${r.verb} ${r.resource ?? r.path}${r.name ? `/${r.name}` : ''}`);

  it('a lease created where there was none is not taken over; its quick release is one DELETE', async () => {
    const lock = await acquireLock(client, 'ann@ws/1 apply');
    assert.equal(lock.takenOver, false);
    const from = env.server.requests.length;
    await lock.release({ quick: true });
    assert.deepEqual(sent(from), ['delete leases/netpack-lock']);
    assert.equal(env.server.store.find('Lease', 'netpack-lock', 'kube-system'), undefined);
  });

  it('a plain release reads the lease first, and leaves one someone else holds now', async () => {
    const lock = await acquireLock(client, 'ben@ws/2 apply');
    env.server.store.commit(leases(), { ...expiredLease(), spec: { holderIdentity: 'cid@ws/3 apply' } });
    const from = env.server.requests.length;
    await lock.release();
    assert.deepEqual(sent(from), ['get leases/netpack-lock']);
    assert.ok(env.server.store.find('Lease', 'netpack-lock', 'kube-system'));
    env.server.store.remove(leases(), 'kube-system', 'netpack-lock');
  });

  it('a lease taken over from a holder that stopped renewing says so', async () => {
    env.server.store.commit(leases(), expiredLease());
    const lock = await acquireLock(client, 'dee@ws/4 apply');
    assert.equal(lock.takenOver, true);
    await lock.release();
  });

  it('apply reads twice with a fresh lock, three times after a takeover, and leaves no lease', async () => {
    const stateReads = (from: number) =>
      sent(from).filter((r) => r === 'get configmaps/netpack-state').length;
    // What no netpack run writes (nodes, the Services' ClusterIPs) is read once per run.
    const onceOnly = (from: number) =>
      ['list nodes', 'get services/kubernetes', 'get services/kube-dns'].map(
        (r) => sent(from).filter((x) => x === r).length,
      );
    let from = env.server.requests.length;
    const first = await env.np('apply', '-f', env.file('a.yml', calicoYaml()), '--no-wait');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(stateReads(from), 2);
    assert.deepEqual(onceOnly(from), [1, 1, 1]);
    env.server.store.commit(leases(), expiredLease());
    from = env.server.requests.length;
    const off = env.file('b.yml', calicoYaml('  node_local_dns_cache:\n    enabled: false\n'));
    const second = await env.np('apply', '-f', off, '--no-wait', '--allow-dns-cache-removal');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(stateReads(from), 3);
    assert.deepEqual(onceOnly(from), [1, 1, 1]);
    assert.equal(env.server.store.find('Lease', 'netpack-lock', 'kube-system'), undefined);
    // Nothing left to change: the reads only, no lock.
    from = env.server.requests.length;
    const again = await env.np('apply', '-f', off, '--no-wait', '--allow-dns-cache-removal');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(stateReads(from), 1);
    assert.ok(!sent(from).some((r) => r.includes('leases')));
  });
});
