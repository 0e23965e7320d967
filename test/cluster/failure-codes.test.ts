/**
 * Every failure in an apply, diff or delete report carries a stable code (`failure.ts`, from
 * errors.ts' `errorCode`), and `-o json` shows it: scripts and these tests match the code, not
 * the words. The lock's refusal has its own code; conflicts' are in conflict.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { failure } from '../../src/cluster/failure.ts';
import { ApiError, ClusterError } from '../../src/cluster/types.ts';
import type { KubeObject } from '../fake-apiserver/resources.ts';
import { calicoYaml, type Env, setup } from './helpers.ts';

const DS = 'DaemonSet.apps/kube-system/calico-node';

describe('failure', () => {
  it('takes the code of the API answer or the cluster failure; anything else is Failed', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'kube-system', name: 'calico-node' };
    const conflict = failure(ref, new ApiError(`apply ${DS}: 409 conflict`, 409, 'Conflict'));
    assert.deepEqual(
      { ref: conflict.ref, code: conflict.code, conflict: conflict.conflict },
      { ref: DS, code: 'Conflict', conflict: true },
    );
    assert.equal(failure(ref, new ApiError('x: 403', 403, 'Forbidden')).code, 'Forbidden');
    assert.equal(failure(ref, new ApiError('x: 403', 403, 'Forbidden')).denied, true);
    assert.equal(failure(ref, new ApiError('x: 422', 422, 'Invalid')).code, 'Invalid');
    assert.equal(failure(ref, new ClusterError('x', 'Timeout')).code, 'Timeout');
    assert.equal(failure('CustomResourceDefinitions', new Error('kept changing')).code, 'Failed');
  });
});

describe('codes in -o json reports', () => {
  let env: Env;
  let file: string;
  before(async () => {
    env = await setup({ nodes: 1 });
    file = env.file('c.yml', calicoYaml());
  });
  after(() => env.close());

  it('apply: a write the server refuses is a failure with its code', async () => {
    env.server.faults.add({ verbs: ['apply'], resource: 'daemonsets', code: 422 });
    const r = await env.np('apply', '-f', file, '--no-wait', '-o', 'json');
    env.server.faults.clear();
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.result, 'incomplete');
    assert.ok(report.failures.length > 0);
    for (const f of report.failures) {
      assert.match(f.object, /^DaemonSet\.apps\//);
      assert.equal(f.code, 'Invalid');
      assert.equal(f.conflict, false);
    }
  });

  it('delete: a delete the server refuses is a failure with its code', async () => {
    assert.equal((await env.np('apply', '-f', file, '--no-wait')).code, 0);
    env.server.faults.add({ verbs: ['delete'], resource: 'daemonsets', code: 403 });
    const r = await env.np('delete', '--yes', '-o', 'json');
    env.server.faults.clear();
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.ok(report.failures.length > 0);
    for (const f of report.failures) {
      assert.match(f.object, /^DaemonSet\.apps\//);
      assert.equal(f.code, 'Forbidden');
    }
    assert.ok(env.server.store.find('ConfigMap', 'netpack-state', 'kube-system'), 'the state stays');
  });

  it('apply while another run holds the lock: exit 2, error code LockHeld', async () => {
    const t = new Date().toISOString().replace('Z', '000Z');
    const lease: KubeObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'netpack-lock', namespace: 'kube-system' },
      spec: {
        holderIdentity: 'carol@build-7/4242 apply',
        leaseDurationSeconds: 45,
        acquireTime: t,
        renewTime: t,
      },
    };
    const leases = env.server.store.registry.byKind('coordination.k8s.io/v1', 'Lease')!;
    env.server.store.commit(leases, lease);
    // Something to write, so that apply needs the lock.
    const changed = env.file('c2.yml', calicoYaml('  node_local_dns_cache:\n    enabled: false\n'));
    const r = await env.np('apply', '-f', changed, '--no-wait', '--allow-dns-cache-removal', '-o', 'json');
    env.server.store.remove(leases, 'kube-system', 'netpack-lock');
    assert.equal(r.code, 2, r.stderr);
    assert.equal(JSON.parse(r.stdout).error.code, 'LockHeld');
  });
});
