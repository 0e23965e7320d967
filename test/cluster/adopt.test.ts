/**
 * Adoption of what someone else made: a Pharos-shaped Weave (the upstream manifest applied
 * client-side, IPALLOC_RANGE and --no-discovery set, a peering side-car beside the router, the
 * Secret weave-passwd). diff shows it as `adopt`; apply refuses without --adopt and writes
 * nothing; apply --adopt converges it to netpack's render (diff clean, the password kept);
 * delete removes it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { upgradedManagedFields } from '../../src/cluster/adopt.ts';
import { installPharosWeave } from './foreign-fixtures.ts';
import { type Env, POD_CIDR, setup } from './helpers.ts';

const PASSWORD = 'pharos-made-password-3f9a1c';
const weaveYaml = `network:\n  provider: weave\n  pod_network_cidr: ${POD_CIDR}\n  node_local_dns_cache: false\n`;

describe('adopting a Pharos-made Weave', () => {
  let env: Env;
  let file: string;
  const outputs: string[] = [];
  const np = async (...argv: string[]) => {
    const r = await env.np(...argv);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const ds = () => env.server.store.find('DaemonSet', 'weave-net', 'kube-system')!;
  const containers = () =>
    (ds().spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers.map(
      (c) => c.name,
    );
  const password = () =>
    Buffer.from(
      (env.server.store.find('Secret', 'weave-passwd', 'kube-system')!.data as Record<string, string>)[
        'weave-passwd'
      ]!,
      'base64',
    ).toString();

  before(async () => {
    env = await setup();
    await installPharosWeave(env.server, POD_CIDR, PASSWORD);
    file = env.file('cluster.yml', weaveYaml);
  });
  after(() => env.close());

  it('diff shows each object as adopt, with what changes, and writes nothing', async () => {
    const before = env.server.writes().length;
    const r = await np('diff', '-f', file);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      /^\* adopt {2}DaemonSet\.apps\/kube-system\/weave-net \(exists without netpack's label/m,
    );
    assert.match(r.stdout, /^\* adopt {2}ServiceAccount\/kube-system\/weave-net/m);
    assert.doesNotMatch(r.stdout, /\+ create DaemonSet\.apps\/kube-system\/weave-net/);
    // What goes: the side-car netpack does not render, kubectl's annotation.
    assert.match(r.stdout, /^ {4}- spec\.template\.spec\.containers\[name=pharos-weave-peers\]/m);
    assert.match(
      r.stdout,
      /^ {4}- metadata\.annotations\.kubectl\.kubernetes\.io\/last-applied-configuration/m,
    );
    assert.doesNotMatch(r.stdout, /\+ create Secret\/kube-system\/weave-passwd/);
    // The password Secret is adopted by its labels only.
    assert.match(
      r.stdout,
      /^\* adopt {2}Secret\/kube-system\/weave-passwd .*\n {4}\+ metadata\.labels: .*"app\.kubernetes\.io\/managed-by":"netpack".*\n(?! {4})/m,
    );
    assert.equal(env.server.writes().length, before);
  });

  it('apply without --adopt refuses, listing them and naming --adopt, and writes nothing', async () => {
    const before = env.server.writes().length;
    const r = await np('apply', '-f', file, '--no-wait', '--force');
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /objects netpack would create exist without its label .*DaemonSet\.apps\/kube-system\/weave-net/,
    );
    assert.match(r.stderr, /apply --adopt/);
    assert.equal(env.server.writes().length, before);
    assert.deepEqual(containers(), ['weave', 'weave-npc', 'pharos-weave-peers']);
  });

  it('apply --adopt converges it to the render: diff clean, the password kept', async () => {
    const r = await np('apply', '-f', file, '--no-wait', '--adopt');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, / adopted, /);
    assert.deepEqual(containers(), ['weave', 'weave-npc']);
    const meta = ds().metadata;
    assert.equal(meta.labels?.['app.kubernetes.io/managed-by'], 'netpack');
    assert.equal(meta.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], undefined);
    assert.ok(!meta.managedFields?.some((m) => m.manager === 'kubectl-client-side-apply'));
    assert.equal(password(), PASSWORD, 'the running mesh keeps its password');
    const secret = env.server.store.find('Secret', 'weave-passwd', 'kube-system')!;
    assert.equal(secret.metadata.labels?.['app.kubernetes.io/managed-by'], 'netpack');
    const diff = await np('diff', '-f', file);
    assert.equal(diff.code, 0, diff.stdout);
    const n = env.server.writes().length;
    assert.equal((await np('apply', '-f', file, '--no-wait')).code, 0);
    assert.equal(env.server.writes().length, n, 'converged: nothing more to write');
  });

  it('delete removes the adopted objects', async () => {
    const r = await np('delete', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(env.server.store.find('DaemonSet', 'weave-net', 'kube-system'), undefined);
    assert.equal(env.server.store.find('ClusterRole', 'weave-net'), undefined);
    assert.equal(env.server.store.find('ServiceAccount', 'weave-net', 'kube-system'), undefined);
    assert.equal(env.server.store.find('Secret', 'weave-passwd', 'kube-system'), undefined);
  });

  it('no byte of the password in any output', () => {
    for (const text of outputs) {
      assert.ok(!text.includes(PASSWORD));
      assert.ok(!text.includes(Buffer.from(PASSWORD).toString('base64')));
    }
  });
});

describe('adopting what another tool applied server-side', () => {
  let env: Env;
  before(async () => {
    env = await setup();
  });
  after(() => env.close());

  it("its fields netpack does not render go; a controller's fields stay; diff is clean after", async () => {
    // A ConfigMap netpack renders (node-local-dns), applied by "helm" with an extra key, and
    // then given an annotation by a controller (an Update).
    const base = `${env.server.url}/api/v1/namespaces/kube-system/configmaps`;
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'node-local-dns', namespace: 'kube-system', labels: { chart: 'nodelocaldns-1.0' } },
      data: { Corefile: 'old', extra: 'helm-only' },
    };
    let res = await fetch(`${base}/node-local-dns?fieldManager=helm`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/apply-patch+yaml' },
      body: JSON.stringify(cm),
    });
    assert.equal(res.status, 201, await res.text());
    res = await fetch(`${base}/node-local-dns?fieldManager=some-controller`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { annotations: { 'example.com/seen': 'yes' } } }),
    });
    assert.equal(res.status, 200, await res.text());
    const file = env.file('c.yml', `network:\n  provider: weave\n  pod_network_cidr: ${POD_CIDR}\n`);
    const diff = await env.np('diff', '-f', file);
    assert.match(diff.stdout, /^\* adopt {2}ConfigMap\/kube-system\/node-local-dns /m);
    assert.match(diff.stdout, /^ {4}- data\.extra \(was "helm-only"\)$/m);
    assert.match(diff.stdout, /^ {4}- metadata\.labels\.chart /m);
    const r = await env.np('apply', '-f', file, '--no-wait', '--adopt');
    assert.equal(r.code, 0, r.stderr);
    const live = env.server.store.find('ConfigMap', 'node-local-dns', 'kube-system')!;
    assert.equal((live.data as Record<string, string>).extra, undefined);
    assert.equal(live.metadata.labels?.chart, undefined);
    assert.equal(live.metadata.annotations?.['example.com/seen'], 'yes', "the controller's field stays");
    assert.ok(!live.metadata.managedFields?.some((m) => m.manager === 'helm'));
    assert.equal((await env.np('diff', '-f', file)).code, 0);
  });
});

describe('upgradedManagedFields', () => {
  it("folds client-side apply's and other appliers' entries into netpack's Apply entry, keeps the rest", () => {
    const live = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'x',
        managedFields: [
          {
            manager: 'kubectl-client-side-apply',
            operation: 'Update',
            fieldsV1: { 'f:data': { 'f:a': {} } },
          },
          { manager: 'before-first-apply', operation: 'Update', fieldsV1: { 'f:data': { 'f:b': {} } } },
          { manager: 'helm', operation: 'Apply', fieldsV1: { 'f:data': { 'f:c': {} } } },
          {
            manager: 'kube-controller-manager',
            operation: 'Update',
            fieldsV1: { 'f:metadata': { 'f:x': {} } },
          },
          { manager: 'kubectl-client-side-apply', operation: 'Update', subresource: 'status', fieldsV1: {} },
          { manager: 'netpack', operation: 'Apply', fieldsV1: { 'f:data': { 'f:d': {} } } },
        ],
      },
    };
    const got = upgradedManagedFields(live, '2026-01-01T00:00:00Z');
    assert.deepEqual(
      got.map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`),
      ['kube-controller-manager/Update', 'kubectl-client-side-apply/Update/status', 'netpack/Apply'],
    );
    assert.deepEqual(got.at(-1)!.fieldsV1, { 'f:data': { 'f:d': {}, 'f:a': {}, 'f:b': {}, 'f:c': {} } });
  });
});
