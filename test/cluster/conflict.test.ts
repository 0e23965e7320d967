/**
 * Another field manager changed a field netpack applies: apply does not take it over on its own.
 * It says who owns what, that running it again will not help, and that --force takes the field
 * back; with --force it does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Env, setupApplied } from './helpers.ts';

describe('apply and fields another field manager changed', () => {
  let env: Env;
  let file: string;
  before(async () => {
    ({ env, file } = await setupApplied());
    // Someone else (kubectl, an operator) takes a label netpack set, with server-side apply.
    const other = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'calico-node', namespace: 'kube-system', labels: { 'k8s-app': 'hand-edited' } },
    };
    const res = await fetch(
      `${env.server.url}/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node?fieldManager=kubectl-edit&force=true`,
      {
        method: 'PATCH',
        headers: { 'content-type': 'application/apply-patch+yaml' },
        body: JSON.stringify(other),
      },
    );
    assert.equal(res.status, 200);
  });
  after(() => env.close());

  const label = () =>
    env.server.store.find('DaemonSet', 'calico-node', 'kube-system')!.metadata.labels?.['k8s-app'];

  it('diff foresees it, with a dry run, and changes nothing', async () => {
    const before = env.server.writes().length;
    const r = await env.np('diff', '-f', file);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      /^! conflict: DaemonSet\.apps\/kube-system\/calico-node: .*conflict with "kubectl-edit".*; apply needs --force to take the fields back$/m,
    );
    assert.equal(env.server.writes().length, before);
  });

  it('is refused: who owns the field, and what to do (not "run it again")', async () => {
    const r = await env.np('apply', '-f', file, '--no-wait');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /failed: DaemonSet\.apps\/kube-system\/calico-node: .*409 .*conflict with "kubectl-edit"/,
    );
    assert.match(r.stderr, /another field manager \(named above\) changed fields that netpack applies/);
    assert.match(r.stderr, /run apply with --force to take the fields back/);
    assert.match(r.stderr, /the state was not updated; see above$/m);
    assert.equal(label(), 'hand-edited');
  });

  it('-o json: diff and apply report the conflict with its code', async () => {
    const DS = 'DaemonSet.apps/kube-system/calico-node';
    const diff = await env.np('diff', '-f', file, '-o', 'json');
    assert.equal(diff.code, 1, diff.stderr);
    assert.deepEqual(
      JSON.parse(diff.stdout).conflicts.map((c: { object: string; code: string }) => [c.object, c.code]),
      [[DS, 'Conflict']],
    );
    const r = await env.np('apply', '-f', file, '--no-wait', '-o', 'json');
    assert.equal(r.code, 1, r.stderr);
    const failures = JSON.parse(r.stdout).failures as { object: string; code: string; conflict: boolean }[];
    assert.deepEqual(
      failures.map((f) => [f.object, f.code, f.conflict]),
      [[DS, 'Conflict', true]],
    );
  });

  it('--force takes the field back', async () => {
    const r = await env.np('apply', '-f', file, '--no-wait', '--force');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(label(), 'calico-node');
    const again = await env.np('apply', '-f', file, '--no-wait');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 created, 0 configured/);
  });
});
