/**
 * A damaged kube-system/netpack-state: diff and delete say what is wrong and what to do, and
 * delete, which cannot know what netpack applied without it, deletes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Env, ours, setupApplied } from './helpers.ts';

describe('a state ConfigMap that cannot be read', () => {
  let env: Env;
  let file: string;
  before(async () => {
    ({ env, file } = await setupApplied());
    const res = await fetch(`${env.server.url}/api/v1/namespaces/kube-system/configmaps/netpack-state`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ data: { 'network.yaml': 'provider: [broken' } }),
    });
    assert.equal(res.status, 200);
  });
  after(() => env.close());

  it('diff: says it cannot be read, and how to get out', async () => {
    const r = await env.np('diff', '-f', file);
    assert.equal(r.code, 2, 'an error, as kubectl diff: above 1');
    assert.match(
      r.stderr,
      /netpack-state cannot be read: .*; fix or delete it \(netpack apply then rebuilds it/,
    );
  });

  it('delete: deletes nothing, and says why and what to do', async () => {
    const before = ours(env.server);
    const r = await env.np('delete', '--yes');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /so it deletes nothing: fix the ConfigMap, or delete the objects labelled app\.kubernetes\.io\/managed-by=netpack yourself/,
    );
    assert.deepEqual(ours(env.server), before);
  });
});
