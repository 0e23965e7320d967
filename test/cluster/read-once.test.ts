/**
 * The read of apply and diff (src/cluster/read.ts) asks for each kind once: one list per
 * resource, namespace, selector and shape, the labelled objects and the unlabelled ones of the
 * render from the same answer; CRDs never one GET each, never listed whole without netpack's
 * label (metadata only), and read whole only when one of the render's exists unlabelled.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MANAGED_BY_LABEL } from '../../src/render/types.ts';
import type { RequestRecord } from '../fake-apiserver/http.ts';
import { calicoYaml, type Env, setup } from './helpers.ts';

const METADATA = /as=PartialObjectMetadataList;g=meta\.k8s\.io;v=v1/;

const listKey = (r: RequestRecord) =>
  [
    r.resource,
    r.namespace ?? '*',
    r.query.labelSelector || '-',
    METADATA.test(r.accept ?? '') ? 'meta' : 'full',
  ].join(' ');

describe('apply and diff read each kind once', () => {
  let env: Env;
  let file: string;
  before(async () => {
    env = await setup();
    file = env.file('cluster.yml', calicoYaml());
    const r = await env.np('apply', '-f', file, '--no-wait');
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => env.close());

  const diff = async () => {
    const from = env.server.requests.length;
    const r = await env.np('diff', '-f', file);
    return { r, requests: env.server.requests.slice(from) };
  };

  it('a clean diff: no list twice, CRDs by their label and metadata-only, no GET of a CRD', async () => {
    const { r, requests } = await diff();
    assert.equal(r.code, 0, r.stderr);
    const lists = requests.filter((q) => q.verb === 'list').map(listKey);
    assert.deepEqual(lists, [...new Set(lists)], lists.join('\n'));
    const crdLists = lists.filter((l) => l.startsWith('customresourcedefinitions '));
    assert.deepEqual(
      new Set(crdLists),
      new Set([
        `customresourcedefinitions * ${MANAGED_BY_LABEL}=netpack full`,
        'customresourcedefinitions * - meta',
      ]),
    );
    const gets = requests.filter((q) => q.verb === 'get' && q.resource === 'customresourcedefinitions');
    assert.deepEqual(gets, []);
    // Nothing but reads, and far fewer of them than one per object (44).
    assert.ok(requests.every((q) => q.method === 'GET'));
    assert.ok(requests.length <= 20, `${requests.length} requests`);
  });

  it('a CRD and a ConfigMap of the render that lost the label are found for adoption', async () => {
    const unlabel = (kind: string, name: string, namespace?: string) => {
      const obj = structuredClone(env.server.store.find(kind, name, namespace)!);
      delete obj.metadata.labels![MANAGED_BY_LABEL];
      const rt = env.server.store.registry.byKind(String(obj.apiVersion), kind)!;
      env.server.store.commit(rt, obj);
    };
    unlabel('CustomResourceDefinition', 'tiers.crd.projectcalico.org');
    unlabel('ConfigMap', 'calico-config', 'kube-system');
    const { r, requests } = await diff();
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      /^\* adopt {2}CustomResourceDefinition\.apiextensions\.k8s\.io\/tiers\.crd\.projectcalico\.org /m,
    );
    assert.match(r.stdout, /^\* adopt {2}ConfigMap\/kube-system\/calico-config /m);
    // Only the unlabelled CRD is read whole.
    const gets = requests.filter((q) => q.verb === 'get' && q.resource === 'customresourcedefinitions');
    assert.deepEqual(
      gets.map((q) => q.name),
      ['tiers.crd.projectcalico.org'],
    );
  });
});

describe('a Secret of the render that someone else made', () => {
  let env: Env;
  after(() => env.close());

  it('is found by a metadata-only list of its namespace and read whole alone, never a list of values', async () => {
    env = await setup();
    const file = env.file(
      'cluster.yml',
      calicoYaml('  calico:\n    datastore: etcd\n    etcd:\n      endpoints: [http://192.0.2.20:2379]\n'),
    );
    const secrets = env.server.store.registry.byKind('v1', 'Secret')!;
    env.server.store.commit(secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'calico-etcd-secrets', namespace: 'kube-system' },
      data: {},
    });
    env.server.store.commit(secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'someone-elses', namespace: 'kube-system' },
      data: { token: Buffer.from('not-for-netpack').toString('base64') },
    });
    const r = await env.np('diff', '-f', file);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^\* adopt {2}Secret\/kube-system\/calico-etcd-secrets /m);
    const requests = env.server.requests.filter((q) => q.resource === 'secrets');
    const lists = requests.filter((q) => q.verb === 'list');
    // Secrets are listed by netpack's label, or metadata-only: never their values unselected.
    assert.ok(lists.length > 0);
    for (const q of lists) assert.ok(q.query.labelSelector || METADATA.test(q.accept ?? ''), listKey(q));
    assert.deepEqual(
      requests.filter((q) => q.verb === 'get').map((q) => q.name),
      ['calico-etcd-secrets'],
    );
  });
});
