/**
 * One apply or delete at a time: the Lease kube-system/netpack-lock. A second run is refused at
 * once naming the holder and since when; an expired lease, or one whose holder process on this
 * machine is gone, is taken over; of runs racing for it exactly one wins; and two applies of
 * different providers started together never leave two networks.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/cluster/connect.ts';
import { acquireLock, LEASE_SECONDS, LockHeldError } from '../../src/cluster/lock.ts';
import { detectNetworks } from '../../src/cluster/running.ts';
import type { ClusterClient } from '../../src/cluster/types.ts';
import type { KubeObject } from '../fake-apiserver/resources.ts';
import { calicoYaml, type Env, ours, POD_CIDR, setup } from './helpers.ts';

const weaveYaml = `network:\n  provider: weave\n  pod_network_cidr: ${POD_CIDR}\n`;

function lease(holder: string, renewedSecondsAgo: number): KubeObject {
  const t = new Date(Date.now() - renewedSecondsAgo * 1000).toISOString().replace('Z', '000Z');
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'netpack-lock', namespace: 'kube-system' },
    spec: { holderIdentity: holder, leaseDurationSeconds: LEASE_SECONDS, acquireTime: t, renewTime: t },
  };
}

describe('the lock', () => {
  let env: Env;
  let client: ClusterClient;
  before(async () => {
    env = await setup();
    client = await connect({ kubeconfig: env.server.kubeconfigPath }, () => {});
  });
  after(async () => {
    client.close();
    await env.close();
  });
  const leaseType = () => env.server.store.registry.byKind('coordination.k8s.io/v1', 'Lease')!;
  const stored = () => env.server.store.find('Lease', 'netpack-lock', 'kube-system');

  it('a second holder is refused at once with who holds it and since when; release frees it', async () => {
    const first = await acquireLock(client, 'alice@ws/1 apply');
    const held = stored()!;
    assert.equal((held.spec as { holderIdentity: string }).holderIdentity, 'alice@ws/1 apply');
    const since = (held.spec as { acquireTime: string }).acquireTime;
    await assert.rejects(acquireLock(client, 'bob@ws/2 delete'), (e: Error) => {
      assert.ok(e instanceof LockHeldError);
      assert.equal(e.holder, 'alice@ws/1 apply');
      assert.equal(e.since, since);
      return true;
    });
    await first.release();
    assert.equal(stored(), undefined);
    (await acquireLock(client, 'bob@ws/2 delete')).release();
  });

  it('the CLI: apply while another run holds the lock stops at once, exit 2, writing nothing else', async () => {
    env.server.store.commit(leaseType(), lease('carol@build-7/4242 apply', 1));
    const before = env.server.writes().length;
    const r = await env.np('apply', '-f', env.file('c.yml', calicoYaml()), '--no-wait');
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /holds the lock \(Lease kube-system\/netpack-lock\): carol@build-7\/4242 apply, since \d{4}-/,
    );
    assert.deepEqual(
      env.server
        .writes()
        .slice(before)
        .map((w) => `${w.verb} ${w.resource}`),
      ['create leases'],
      'only the attempt to take the lock',
    );
    env.server.store.remove(leaseType(), 'kube-system', 'netpack-lock');
  });

  it('delete while another run holds the lock stops at once, exit 2, deleting nothing', async () => {
    const yml = env.file('w.yml', `network:\n  provider: weave\n  pod_network_cidr: ${POD_CIDR}\n`);
    assert.equal((await env.np('apply', '-f', yml, '--no-wait')).code, 0);
    env.server.store.commit(leaseType(), lease('carol@build-7/4242 apply', 1));
    const before = ours(env.server);
    const d = await env.np('delete', '--yes');
    assert.equal(d.code, 2, d.stderr);
    assert.match(d.stderr, /holds the lock .*carol@build-7\/4242 apply/);
    assert.deepEqual(ours(env.server), before);
    env.server.store.remove(leaseType(), 'kube-system', 'netpack-lock');
    assert.equal((await env.np('delete', '--yes')).code, 0);
  });

  it('an expired lease (holder stopped renewing) is taken over', async () => {
    env.server.store.commit(leaseType(), lease('dave@elsewhere/7 apply', LEASE_SECONDS + 5));
    const lock = await acquireLock(client, 'erin@ws/3 apply');
    const spec = stored()!.spec as { holderIdentity: string; leaseTransitions: number };
    assert.equal(spec.holderIdentity, 'erin@ws/3 apply');
    assert.equal(spec.leaseTransitions, 1);
    await lock.release();
  });

  it('a fresh lease of a process on this machine that is gone is taken over at once', async () => {
    // pid 2^22+1 is above Linux's pid_max limit: no such process.
    env.server.store.commit(leaseType(), lease(`root@${hostname()}/4194305 apply`, 1));
    const lock = await acquireLock(client, 'frank@ws/4 apply');
    assert.equal((stored()!.spec as { holderIdentity: string }).holderIdentity, 'frank@ws/4 apply');
    await lock.release();
  });

  it('of runs racing for an expired lease, exactly one wins (resourceVersion-guarded takeover)', async () => {
    env.server.faults.add({ latencyMs: 5 });
    try {
      for (let round = 0; round < 5; round++) {
        env.server.store.commit(leaseType(), lease('gone@elsewhere/9 apply', LEASE_SECONDS + 5));
        const tries = await Promise.allSettled(
          [0, 1, 2, 3].map((i) => acquireLock(client, `racer-${i}@ws/${i} apply`)),
        );
        const won = tries.filter((t) => t.status === 'fulfilled');
        assert.equal(won.length, 1, JSON.stringify(tries.map((t) => t.status)));
        for (const t of tries)
          if (t.status === 'rejected') assert.ok(t.reason instanceof LockHeldError, String(t.reason));
        await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
      }
    } finally {
      env.server.faults.clear();
    }
  });

  it('the lease is renewed while the run holds it', async () => {
    const lock = await acquireLock(client, 'gina@ws/5 apply', { renewEveryMs: 5 });
    const first = (stored()!.spec as { renewTime: string }).renewTime;
    const renewed = new Promise<void>((resolve) => {
      const stop = env.server.store.subscribe((ev: { object: KubeObject }) => {
        const spec = ev.object.spec as { renewTime?: string } | undefined;
        if (ev.object.kind === 'Lease' && spec?.renewTime && spec.renewTime !== first) {
          stop();
          resolve();
        }
      });
    });
    await renewed;
    await lock.release();
    assert.equal(stored(), undefined);
  });
});

describe('two applies of different providers at once', () => {
  it('never leave two networks (20 rounds, with latency)', async () => {
    const refusedBy = { lock: 0, guard: 0 };
    for (let round = 0; round < 20; round++) {
      const env = await setup({ nodes: 1 });
      try {
        env.server.faults.add({ latencyMs: 2 + (round % 4) });
        const [w, c] = await Promise.all([
          env.np('apply', '-f', env.file('w.yml', weaveYaml), '--no-wait'),
          env.np('apply', '-f', env.file('c.yml', calicoYaml()), '--no-wait'),
        ]);
        const codes = [w.code, c.code].sort();
        assert.equal(codes[0], 0, `one of them applied: ${w.stderr}\n${c.stderr}`);
        assert.notEqual(codes[1], 0, `the other was refused: ${w.stderr}\n${c.stderr}`);
        const loser = w.code === 0 ? c : w;
        if (/holds the lock/.test(loser.stderr)) refusedBy.lock++;
        else if (/refused: network\.provider/.test(loser.stderr)) refusedBy.guard++;
        else assert.fail(`refused for another reason: ${loser.stderr}`);
        const providers = new Set(
          detectNetworks({
            daemonSets: env.server.store.all('DaemonSet') as Parameters<
              typeof detectNetworks
            >[0]['daemonSets'],
            ipPools: [],
            installations: [],
          }).map((n) => n.provider),
        );
        assert.equal(providers.size, 1, [...providers].join(', '));
        // The state records the one that runs, and every labelled object.
        const state = env.server.store.find('ConfigMap', 'netpack-state', 'kube-system')!;
        const data = state.data as Record<string, string>;
        assert.match(data['network.yaml']!, new RegExp(`provider: ${[...providers][0]}`));
        for (const o of ours(env.server)) {
          const [kind, , name] = o.split('/');
          if (kind === 'ConfigMap' && name === 'netpack-state') continue;
          assert.ok(data['inventory.yaml']!.includes(`name: ${name}`), `${o} not in the inventory`);
        }
        assert.equal(env.server.store.find('Lease', 'netpack-lock', 'kube-system'), undefined);
      } finally {
        await env.close();
      }
    }
    // Both ways happen: the race for the lock itself, and a run that got it after the other.
    assert.ok(refusedBy.lock > 0, JSON.stringify(refusedBy));
  });
});
