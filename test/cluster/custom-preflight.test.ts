/**
 * Custom manifests are checked by the API server before anything is written: a dry run of every
 * object it can check, strict about fields (the fake server refuses undeclared fields of built-in
 * kinds as a real one does with fieldValidation=Strict). A typo refuses the whole apply, with the
 * server's words; good manifests go through, and a namespace the same manifests create does not
 * stop the check of the rest.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/render/types.ts';
import type { KubeObject as FakeObject } from '../fake-apiserver/resources.ts';
import { validateK8sObject } from '../support/k8s-schema.ts';
import { type Env, POD_CIDR, setup } from './helpers.ts';

/** The undeclared fields of a built-in kind, as paths (kubernetes-models' schemas). */
function unknownFields(obj: FakeObject): string[] {
  return validateK8sObject(obj as KubeObject)
    .filter((m) => m.includes('unknown field'))
    .map((m) => m.slice(0, m.indexOf(':')));
}

const SERVICE_ACCOUNT = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: flannel
  namespace: kube-system
`;

function daemonSet(namespace: string, pullPolicyKey: string): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kube-flannel
  namespace: ${namespace}
spec:
  selector:
    matchLabels: {app: flannel}
  template:
    metadata:
      labels: {app: flannel}
    spec:
      serviceAccountName: flannel
      containers:
        - name: flannel
          image: docker.io/flannel/flannel:v0.25.1
          ${pullPolicyKey}: IfNotPresent
`;
}

describe('custom manifests: the API server checks them before anything is written', () => {
  let env: Env;
  before(async () => {
    env = await setup({ unknownFields });
  });
  after(() => env.close());

  const cluster = (name: string, manifests: Record<string, string>) => {
    const dir = join(env.dir, name);
    mkdirSync(join(dir, 'manifests'), { recursive: true });
    for (const [file, text] of Object.entries(manifests)) writeFileSync(join(dir, 'manifests', file), text);
    return env.file(
      `${name}.yml`,
      `network:\n  provider: custom\n  pod_network_cidr: ${POD_CIDR}\n  custom:\n    manifest_path: ./${name}/manifests\n`,
    );
  };

  it('a misspelt field refuses the whole apply, naming it, and writes nothing', async () => {
    const file = cluster('typo', {
      '1-sa.yml': SERVICE_ACCOUNT,
      '2-ds.yml': daemonSet('kube-system', 'imagePullPolicyy'),
    });
    const before = env.server.writes().length;
    const r = await env.np('apply', '-f', file, '--no-wait');
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /refused: DaemonSet\.apps\/kube-system\/kube-flannel: 400 spec\.template\.spec\.containers\[0\]\.imagePullPolicyy: field not declared in schema$/m,
    );
    assert.match(
      r.stderr,
      /the API server refused 1 of the custom manifests' objects in a dry run; nothing was written/,
    );
    assert.equal(env.server.writes().length, before, 'no write that was not a dry run');
    assert.ok(
      env.server.requests.some((q) => q.dryRun && q.query.fieldValidation === 'Strict'),
      'the check was a strict dry run',
    );
  });

  it('diff shows what the API server would refuse, and changes nothing', async () => {
    const file = join(env.dir, 'typo.yml');
    const before = env.server.writes().length;
    const r = await env.np('diff', '-f', file);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      /^! refused by the API server: DaemonSet\.apps\/kube-system\/kube-flannel: .*imagePullPolicyy: field not declared in schema$/m,
    );
    assert.equal(env.server.writes().length, before);
  });

  it('good manifests go through, a namespace they create included', async () => {
    const file = cluster('good', {
      '0-ns.yml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kube-flannel\n',
      '1-sa.yml': SERVICE_ACCOUNT,
      '2-ds.yml': daemonSet('kube-flannel', 'imagePullPolicy'),
    });
    const r = await env.np('apply', '-f', file, '--no-wait');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(env.server.store.find('DaemonSet', 'kube-flannel', 'kube-flannel'));
    assert.ok(env.server.store.find('ServiceAccount', 'flannel', 'kube-system'));
    // Only the operator's own objects were checked, not netpack's node-local-dns.
    const dryRuns = env.server.requests.filter((q) => q.dryRun);
    assert.ok(dryRuns.length > 0);
    assert.ok(
      dryRuns.every((q) => !String(q.name).includes('node-local-dns')),
      JSON.stringify(dryRuns),
    );
  });

  it('a field another manager took is a conflict with the --force way out, found before writing; diff lists it once', async () => {
    const res = await fetch(
      `${env.server.url}/apis/apps/v1/namespaces/kube-flannel/daemonsets/kube-flannel?fieldManager=someone&force=true`,
      {
        method: 'PATCH',
        headers: { 'content-type': 'application/apply-patch+yaml' },
        body: JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name: 'kube-flannel', namespace: 'kube-flannel', labels: { tier: 'hand-edited' } },
        }),
      },
    );
    assert.equal(res.status, 200);
    const file = cluster('good', {
      '0-ns.yml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kube-flannel\n',
      '1-sa.yml': SERVICE_ACCOUNT,
      '2-ds.yml': daemonSet('kube-flannel', 'imagePullPolicy').replace(
        'name: kube-flannel\n  namespace',
        'name: kube-flannel\n  labels: {tier: node}\n  namespace',
      ),
    });
    const diff = await env.np('diff', '-f', file);
    assert.equal(diff.code, 1);
    assert.equal(
      (diff.stdout.match(/kube-flannel\/kube-flannel: .*conflict with "someone"/g) ?? []).length,
      1,
      diff.stdout,
    );
    assert.match(diff.stdout, /^! conflict: DaemonSet\.apps\/kube-flannel\/kube-flannel: /m);
    const before = env.server.writes().length;
    const r = await env.np('apply', '-f', file, '--no-wait');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^netpack: conflict: DaemonSet\.apps\/kube-flannel\/kube-flannel: 409 /m);
    assert.match(r.stderr, /run apply with --force to take the fields back/);
    assert.equal(env.server.writes().length, before, 'nothing written');
  });
});
