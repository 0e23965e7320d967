// Apply under injected faults, and after being killed half-way: it converges, loses nothing and
// deletes nothing foreign.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { afterEach, describe, it } from 'node:test';
import { parseState } from '../../src/cluster/inventory.ts';
import { calicoYaml, type Env, ours, repoRoot, setup } from './helpers.ts';

describe('apply resilience', () => {
  let env: Env;
  afterEach(async () => {
    await env.close();
  });

  it('converges under 20% injected 5xx, resets and dropped watches, losing nothing and deleting nothing foreign', async () => {
    env = await setup({ rolloutTickMs: 20, seed: 42 });
    const cmType = env.server.store.registry.byKind('v1', 'ConfigMap')!;
    env.server.store.commit(cmType, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'calico-config-backup',
        namespace: 'kube-system',
        labels: { 'app.kubernetes.io/managed-by': 'netpack' },
      },
      data: {},
    });
    const file = env.file('a.yml', calicoYaml());
    env.server.faults.add({ code: 500, rate: 0.2 });
    env.server.faults.add({ verbs: ['apply'], reset: true, rate: 0.05 });
    env.server.faults.dropWatches({ afterEvents: 2 });
    const r = await env.np('apply', '-f', file, '--timeout', '60s');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      env.server.requests.some((q) => q.status === 500),
      'faults were injected',
    );
    env.server.faults.clear();
    // Nothing lost: the next apply finds nothing to do, and diff agrees.
    const n = env.server.writes().length;
    const again = await env.np('apply', '-f', file, '--no-wait');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(env.server.writes().length, n);
    assert.equal((await env.np('diff', '-f', file)).code, 0);
    assert.ok(
      env.server.store.find('ConfigMap', 'calico-config-backup', 'kube-system'),
      'foreign object deleted',
    );
    // Deleted: nothing but the lock's Lease, when the apply was done (tried again after a 5xx).
    assert.deepEqual(
      env.server
        .writes()
        .filter((w) => w.verb === 'delete' && w.resource !== 'leases')
        .map((w) => w.path),
      [],
    );
  });

  it('a process killed mid-apply is converged by the next run', async () => {
    env = await setup({});
    const file = env.file('a.yml', calicoYaml());
    // Slow writes down so the kill lands in the middle.
    env.server.faults.add({ verbs: ['apply'], latencyMs: 30 });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'apply',
        '-f',
        file,
        '--kubeconfig',
        env.server.kubeconfigPath,
        '--no-wait',
        '--concurrency',
        '2',
      ],
      { cwd: repoRoot, stdio: 'ignore' },
    );
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    const deadline = Date.now() + 30_000;
    // Wait for the state that matters (ten of its objects in the cluster), not for a count of
    // requests: the lock and the written-ahead state are writes too, and some are still in flight.
    while (ours(env.server).length < 10 && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 5));
    child.kill('SIGKILL');
    await exited;
    const partial = ours(env.server).length;
    assert.ok(partial >= 10, `killed after ${partial} objects`);
    // The killed run held the lock: its Lease names it, and is taken over at once below (the
    // holder, a process on this machine, is gone) instead of blocking until it expires.
    const lease = env.server.store.find('Lease', 'netpack-lock', 'kube-system');
    assert.match(
      String((lease?.spec as { holderIdentity?: string })?.holderIdentity),
      new RegExp(`/${child.pid} apply$`),
    );
    // What it may create was recorded before its first write: every object it left is named.
    const pending = env.server.store.find('ConfigMap', 'netpack-state', 'kube-system');
    assert.ok(pending, 'the pending inventory was stored first');
    const parsed = parseState(pending as Parameters<typeof parseState>[0]);
    assert.ok(parsed.ok);
    const named = new Set(parsed.state.inventory.map((r) => `${r.kind}/${r.namespace ?? ''}/${r.name}`));
    for (const o of ours(env.server)) if (!o.endsWith('/netpack-state')) assert.ok(named.has(o), o);
    env.server.faults.clear();
    const r = await env.np('apply', '-f', file, '--no-wait');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(ours(env.server).length > partial);
    assert.ok(env.server.store.find('ConfigMap', 'netpack-state', 'kube-system'));
    const n = env.server.writes().length;
    assert.equal((await env.np('apply', '-f', file, '--no-wait')).code, 0);
    assert.equal(env.server.writes().length, n, 'converged: a further apply writes nothing');
  });
});
