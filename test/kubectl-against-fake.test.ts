// Proves the fake API server against the real kubectl: server-side apply of a multi-document
// manifest (with a CRD and a custom resource of it), get with selectors and -o json, delete -f.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeApiServer, startFakeApiServer } from './fake-apiserver/index.ts';

function findKubectl(): string | undefined {
  const dirs = ['/usr/bin', ...(process.env.PATH ?? '').split(delimiter)];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, 'kubectl'), constants.X_OK);
      return join(dir, 'kubectl');
    } catch {}
  }
  return undefined;
}

const MANIFEST = `apiVersion: v1
kind: ServiceAccount
metadata: {name: x, namespace: kube-system}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: x-config, namespace: kube-system}
data: {mtu: "1440"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: x}
rules: [{apiGroups: [""], resources: [pods, nodes], verbs: [get, list, watch]}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: x, namespace: kube-system, labels: {app: x}}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      serviceAccountName: x
      containers: [{name: x, image: "registry.example/x:1.0"}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ippools.crd.projectcalico.org}
spec:
  group: crd.projectcalico.org
  scope: Cluster
  names: {kind: IPPool, listKind: IPPoolList, plural: ippools, singular: ippool}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: crd.projectcalico.org/v1
kind: IPPool
metadata: {name: default-ipv4-ippool}
spec: {cidr: 10.244.0.0/16, ipipMode: Always}
`;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('real kubectl against the fake API server', () => {
  const kubectl = findKubectl();
  let server: FakeApiServer;
  let dir: string;
  let manifest: string;

  const run = (...args: string[]): Promise<Result> =>
    new Promise((resolve) => {
      execFile(
        kubectl!,
        ['--kubeconfig', server.kubeconfigPath, ...args],
        { timeout: 30_000, env: { ...process.env, KUBECACHEDIR: join(dir, 'cache'), HOME: dir } },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  before(async () => {
    server = await startFakeApiServer({ crdEstablishDelayMs: 10 });
    dir = mkdtempSync(join(tmpdir(), 'netpack-kubectl-'));
    manifest = join(dir, 'manifest.yaml');
    writeFileSync(manifest, MANIFEST);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds kubectl', () => {
    assert.ok(
      kubectl,
      'kubectl is MISSING: install it (Debian package kubernetes-client; .ci/run does) to run these tests',
    );
  });

  it('applies server-side: everything but the custom resource first, as against a real server', async (t) => {
    if (!kubectl) return t.skip('kubectl is missing (see the failing "finds kubectl" test)');
    const first = await run('apply', '--server-side', '--field-manager=netpack', '-f', manifest);
    // kubectl maps every document before applying any, so the IPPool's kind is unknown on the
    // first run; real clusters answer the same way.
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /no matches for kind "IPPool" in version "crd.projectcalico.org\/v1"/);
    assert.match(first.stdout, /daemonset.apps\/x serverside-applied/);
    assert.ok(server.store.find('ServiceAccount', 'x', 'kube-system'));
    assert.ok(server.store.find('ClusterRole', 'x'));
    assert.ok(server.store.find('CustomResourceDefinition', 'ippools.crd.projectcalico.org'));
    assert.equal(server.store.all('IPPool').length, 0);
    const ds = server.store.find('DaemonSet', 'x', 'kube-system');
    assert.deepEqual(
      ds?.metadata.managedFields?.map((m) => `${m.manager}/${m.operation}`),
      ['netpack/Apply'],
    );
    const patches = server.requests.filter((r) => r.verb === 'apply');
    assert.ok(
      patches.every(
        (r) => r.query.fieldManager === 'netpack' && r.contentType === 'application/apply-patch+yaml',
      ),
    );

    for (let i = 0; i < 200 && !server.store.registry.byKind('crd.projectcalico.org/v1', 'IPPool'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const rvBefore = server.store.find('DaemonSet', 'x', 'kube-system')?.metadata.resourceVersion;
    const second = await run('apply', '--server-side', '--field-manager=netpack', '-f', manifest);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /ippool.crd.projectcalico.org\/default-ipv4-ippool serverside-applied/);
    const pool = server.store.find('IPPool', 'default-ipv4-ippool');
    assert.deepEqual(pool?.spec, { cidr: '10.244.0.0/16', ipipMode: 'Always' });
    assert.equal(
      server.store.find('DaemonSet', 'x', 'kube-system')?.metadata.resourceVersion,
      rvBefore,
      'a second identical apply is a no-op',
    );
  });

  it('gets with a label selector and as JSON', async (t) => {
    if (!kubectl) return t.skip('kubectl is missing');
    const byLabel = await run('get', 'ds', '-n', 'kube-system', '-l', 'app=x', '-o', 'name');
    assert.equal(byLabel.code, 0, byLabel.stderr);
    assert.equal(byLabel.stdout.trim(), 'daemonset.apps/x');
    const none = await run('get', 'ds', '-n', 'kube-system', '-l', 'app notin (x)', '-o', 'name');
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout.trim(), '');

    const table = await run('get', 'ds', '-n', 'kube-system', '-l', 'app=x');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+AGE\nx\s/);

    const json = await run('get', 'configmap', 'x-config', '-n', 'kube-system', '-o', 'json');
    assert.equal(json.code, 0, json.stderr);
    const cm = JSON.parse(json.stdout) as { data: Record<string, string>; metadata: { uid: string } };
    assert.deepEqual(cm.data, { mtu: '1440' });
    assert.equal(cm.metadata.uid, server.store.find('ConfigMap', 'x-config', 'kube-system')?.metadata.uid);

    const pools = await run('get', 'ippools', '-o', 'json');
    assert.equal(pools.code, 0, pools.stderr);
    const list = JSON.parse(pools.stdout) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(
      list.items.map((i) => i.metadata.name),
      ['default-ipv4-ippool'],
    );

    const missing = await run('get', 'configmap', 'nope', '-n', 'kube-system');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NotFound/);
  });

  it('deletes everything in the manifest', async (t) => {
    if (!kubectl) return t.skip('kubectl is missing');
    const result = await run('delete', '-f', manifest);
    assert.equal(result.code, 0, result.stderr);
    for (const kind of [
      'ServiceAccount',
      'ConfigMap',
      'ClusterRole',
      'DaemonSet',
      'CustomResourceDefinition',
      'IPPool',
    ]) {
      const left = server.store
        .all(kind)
        .filter((o) =>
          ['x', 'x-config', 'ippools.crd.projectcalico.org', 'default-ipv4-ippool'].includes(
            o.metadata.name!,
          ),
        );
      assert.deepEqual(left, [], `${kind} deleted`);
    }
    const deletes = server.requests.filter((r) => r.verb === 'delete');
    assert.equal(deletes.length, 6);
  });
});
