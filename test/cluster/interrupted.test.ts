/**
 * Nothing orphaned: an apply stopped at any write (every later request of the run fails, as if
 * the process died there) leaves only objects its state names; the next apply of a config that
 * drops a component prunes them, and afterwards the inventory names exactly the labelled objects.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseState } from '../../src/cluster/inventory.ts';
import { LEASE_SECONDS } from '../../src/cluster/lock.ts';
import type { FakeApiServer } from '../fake-apiserver/index.ts';
import { type Env, ours, POD_CIDR, setup } from './helpers.ts';

const weave = (extra = '') => `network:\n  provider: weave\n  pod_network_cidr: ${POD_CIDR}\n${extra}`;
const NLD_OFF = '  node_local_dns_cache:\n    enabled: false\n';
/** Writes of the run, not of its lock (which a dead run leaves behind to expire). */
const NOT_THE_LOCK = /^(?!.*\/leases(\/|$))/;

/** The stored inventory as `Kind/namespace/name`, sorted; undefined without a state. */
function inventory(server: FakeApiServer): string[] | undefined {
  const cm = server.store.find('ConfigMap', 'netpack-state', 'kube-system');
  if (!cm) return undefined;
  const parsed = parseState(cm as Parameters<typeof parseState>[0]);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return parsed.state.inventory.map((r) => `${r.kind}/${r.namespace ?? ''}/${r.name}`).sort();
}

/** The lease a dead run left: its holder stopped renewing long ago. */
function expireLock(env: Env): void {
  const lease = env.server.store.find('Lease', 'netpack-lock', 'kube-system');
  if (!lease) return;
  const old = new Date(Date.now() - (LEASE_SECONDS + 10) * 1000).toISOString();
  (lease.spec as Record<string, unknown>).renewTime = old;
  (lease.spec as Record<string, unknown>).acquireTime = old;
  env.server.store.commit(env.server.store.registry.byKind('coordination.k8s.io/v1', 'Lease')!, lease);
}

describe('an apply stopped at every write position', () => {
  it('leaves nothing behind once a config without node-local-dns is applied', async () => {
    // How many writes a whole apply makes.
    const probe = await setup({ nodes: 1 });
    const full = await probe.np('apply', '-f', probe.file('a.yml', weave()), '--no-wait');
    assert.equal(full.code, 0, full.stderr);
    const total = probe.server.writes().filter((w) => NOT_THE_LOCK.test(w.path)).length;
    await probe.close();
    assert.ok(total >= 10, `${total} writes`);

    let prunesSeen = 0;
    for (let at = 0; at < total; at++) {
      const env = await setup({ nodes: 1 });
      try {
        env.server.faults.add({
          verbs: ['create', 'update', 'patch', 'apply', 'delete'],
          path: NOT_THE_LOCK,
          skip: at,
          code: 403,
        });
        const stopped = await env.np('apply', '-f', env.file('a.yml', weave()), '--no-wait');
        assert.equal(stopped.code, 2, `stopped at write ${at}`);
        env.server.faults.clear();
        expireLock(env);
        // Whatever it left is named by the state: diff shows it and delete would remove it.
        const left = ours(env.server).filter((o) => !o.endsWith('/netpack-state'));
        const named = inventory(env.server) ?? [];
        for (const o of left) assert.ok(named.includes(o), `write ${at}: ${o} is not in the inventory`);

        const off = env.file('b.yml', weave(NLD_OFF));
        if (at % 3 === 1) {
          // diff of the config that drops node-local-dns names each of its objects left as a prune.
          const diff = await env.np('diff', '-f', off, '--allow-dns-cache-removal');
          for (const o of left.filter((x) => /node-local-dns|kube-dns-upstream/.test(x))) {
            const [kind, ns, name] = o.split('/');
            prunesSeen++;
            assert.match(
              diff.stdout,
              new RegExp(`^- prune {2}${kind}[^/]*/${ns ? `${ns}/` : ''}${name}$`, 'm'),
              `write ${at}: ${o}`,
            );
          }
        }
        // Turning the DNS cache off where it may run needs the operator's word (dns-cache.test.ts).
        const r = await env.np('apply', '-f', off, '--no-wait', '--allow-dns-cache-removal');
        assert.equal(r.code, 0, `write ${at}: ${r.stderr}`);
        const after = ours(env.server).filter((o) => !o.endsWith('/netpack-state'));
        assert.deepEqual(inventory(env.server), after, `write ${at}: inventory = labelled objects`);
        assert.ok(!after.some((o) => o.includes('node-local-dns')), `write ${at}: ${after.join(', ')}`);
        // diff and delete read the same inventory: checked at every third position, for time.
        if (at % 3 !== 0) continue;
        assert.equal((await env.np('diff', '-f', off)).code, 0, `write ${at}: diff is clean`);
        const d = await env.np('delete', '--yes');
        assert.equal(d.code, 0, d.stderr);
        assert.deepEqual(ours(env.server), [], `write ${at}: delete left something`);
      } finally {
        await env.close();
      }
    }
    assert.ok(prunesSeen > 0, 'some stopped applies left node-local-dns objects for diff to show');
  });
});
