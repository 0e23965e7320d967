// planChanges and objectChanges on their own: desired vs live vs the previous inventory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  covers,
  type FieldChange,
  objectChanges,
  ownedPaths,
  type PlanItem,
  planChanges,
  REDACTED,
} from '../../src/cluster/plan.ts';
import { type KubeObject, type ObjectRef, refKey } from '../../src/cluster/types.ts';

const OURS = { 'app.kubernetes.io/managed-by': 'netpack', 'app.kubernetes.io/component': 'test' };

function cm(
  name: string,
  data: Record<string, string>,
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'kube-system', labels: { ...OURS }, ...extra },
    data,
  };
}

/** What a server returns for `obj`: server metadata and defaults around it, netpack's managedFields. */
function live(obj: KubeObject, fieldsV1: unknown = {}, extra: Record<string, unknown> = {}): KubeObject {
  return {
    ...structuredClone(obj),
    ...extra,
    metadata: {
      ...structuredClone(obj.metadata),
      uid: 'u-1',
      resourceVersion: '42',
      creationTimestamp: '2024-01-01T00:00:00Z',
      managedFields: [{ manager: 'netpack', operation: 'Apply', apiVersion: obj.apiVersion, fieldsV1 }],
    },
  };
}

const liveMap = (...objs: KubeObject[]) => new Map(objs.map((o) => [refKey(o), o]));
const ref = (o: KubeObject): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
});
const actions = (items: PlanItem[]) => items.map((i) => `${i.action} ${i.ref.kind}/${i.ref.name}`);

describe('objectChanges: field by field', () => {
  const ds: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'weave-net', namespace: 'kube-system', labels: { ...OURS } },
    spec: {
      selector: { matchLabels: { name: 'weave-net' } },
      template: {
        spec: {
          containers: [{ name: 'weave', image: 'weave-kube:2.8.1', env: [{ name: 'A', value: '1' }] }],
        },
      },
    },
  };
  const cases: {
    name: string;
    desired: KubeObject;
    live: KubeObject;
    want: FieldChange[];
  }[] = [
    {
      name: 'server defaults and status around our fields: no change',
      desired: ds,
      live: live(
        {
          ...ds,
          spec: {
            ...(ds.spec as object),
            revisionHistoryLimit: 10,
            updateStrategy: { type: 'RollingUpdate' },
          },
        },
        {},
        { status: { numberReady: 3 } },
      ),
      want: [],
    },
    {
      name: 'a changed scalar',
      desired: { ...ds, spec: { ...(ds.spec as object), minReadySeconds: 5 } },
      live: live({ ...ds, spec: { ...(ds.spec as object), minReadySeconds: 0 } }),
      want: [{ op: 'change', path: 'spec.minReadySeconds', from: 0, to: 5 }],
    },
    {
      name: 'a field the live object lacks',
      desired: { ...ds, spec: { ...(ds.spec as object), minReadySeconds: 5 } },
      live: live(ds),
      want: [{ op: 'add', path: 'spec.minReadySeconds', to: 5 }],
    },
    {
      name: 'a list is compared as a whole (env of a container)',
      desired: ds,
      live: live({
        ...ds,
        spec: {
          selector: { matchLabels: { name: 'weave-net' } },
          template: {
            spec: {
              containers: [{ name: 'weave', image: 'weave-kube:2.8.0', env: [{ name: 'A', value: '1' }] }],
            },
          },
        },
      }),
      want: [
        {
          op: 'change',
          path: 'spec.template.spec.containers',
          from: [{ name: 'weave', image: 'weave-kube:2.8.0', env: [{ name: 'A', value: '1' }] }],
          to: [{ name: 'weave', image: 'weave-kube:2.8.1', env: [{ name: 'A', value: '1' }] }],
        },
      ],
    },
    {
      name: 'a label changed and one added',
      desired: {
        ...ds,
        metadata: {
          ...ds.metadata,
          labels: { ...OURS, tier: 'net', 'app.kubernetes.io/component': 'weave' },
        },
      },
      live: live(ds),
      want: [
        { op: 'change', path: 'metadata.labels.app.kubernetes.io/component', from: 'test', to: 'weave' },
        { op: 'add', path: 'metadata.labels.tier', to: 'net' },
      ],
    },
    {
      name: 'a field netpack applied before and now drops (managedFields)',
      desired: cm('c', { a: '1' }),
      live: live(cm('c', { a: '1', old: 'x' }), {
        'f:data': { '.': {}, 'f:a': {}, 'f:old': {} },
        'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/managed-by': {} }, 'f:name': {} },
      }),
      want: [{ op: 'remove', path: 'data.old', from: 'x' }],
    },
    {
      name: 'a label netpack applied before and now drops',
      desired: cm('c', { a: '1' }),
      live: live(cm('c', { a: '1' }, { labels: { ...OURS, gone: 'yes' } }), {
        'f:metadata': { 'f:labels': { 'f:gone': {} } },
      }),
      want: [{ op: 'remove', path: 'metadata.labels.gone', from: 'yes' }],
    },
    {
      name: "another manager's fields, Update operations and status are never ours to drop",
      desired: cm('c', { a: '1' }),
      live: {
        ...live(cm('c', { a: '1', theirs: 'x', edited: 'y' }), {
          'f:status': { 'f:x': {} },
          'f:metadata': { 'f:uid': {} },
        }),
        metadata: {
          ...live(cm('c', { a: '1' })).metadata,
          managedFields: [
            { manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': { 'f:theirs': {} } } },
            { manager: 'netpack', operation: 'Update', fieldsV1: { 'f:data': { 'f:edited': {} } } },
            {
              manager: 'netpack',
              operation: 'Apply',
              fieldsV1: { 'f:status': { 'f:x': {} }, 'f:metadata': { 'f:uid': {} } },
            },
          ],
        },
      },
      want: [],
    },
    {
      name: 'a list item netpack owned stays compared as the whole list (k: members are not paths)',
      desired: ds,
      live: live(ds, {
        'f:spec': {
          'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"weave"}': { 'f:image': {} } } } },
        },
      }),
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(objectChanges(c.desired, c.live), c.want);
    });
  }
});

describe('objectChanges: Secret values are redacted', () => {
  const secret = (data: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'calico-etcd-secrets', namespace: 'kube-system', labels: { ...OURS } },
    type: 'Opaque',
    data,
    ...extra,
  });
  const SECRET_A = Buffer.from('-----BEGIN PRIVATE KEY----- AAA').toString('base64');
  const SECRET_B = Buffer.from('-----BEGIN PRIVATE KEY----- BBB').toString('base64');

  const cases: { name: string; desired: KubeObject; live: KubeObject; want: FieldChange[] }[] = [
    {
      name: 'changed value',
      desired: secret({ 'etcd-key': SECRET_B }),
      live: live(secret({ 'etcd-key': SECRET_A })),
      want: [{ op: 'change', path: 'data.etcd-key', from: REDACTED, to: REDACTED }],
    },
    {
      name: 'added key',
      desired: secret({ 'etcd-key': SECRET_A, 'etcd-ca': SECRET_B }),
      live: live(secret({ 'etcd-key': SECRET_A })),
      want: [{ op: 'add', path: 'data.etcd-ca', to: REDACTED }],
    },
    {
      name: 'data added as a whole',
      desired: secret({ 'etcd-key': SECRET_A }),
      live: { ...live(secret({})), data: undefined },
      want: [{ op: 'add', path: 'data', to: REDACTED }],
    },
    {
      name: 'key netpack applied before, dropped now',
      desired: secret({ 'etcd-key': SECRET_A }),
      live: live(secret({ 'etcd-key': SECRET_A, 'etcd-cert': SECRET_B }), {
        'f:data': { 'f:etcd-cert': {} },
      }),
      want: [{ op: 'remove', path: 'data.etcd-cert', from: REDACTED }],
    },
    {
      name: 'stringData too',
      desired: secret({}, { stringData: { password: 'hunter2' } }),
      live: live(secret({}, { stringData: { password: 'hunter1' } })),
      want: [{ op: 'change', path: 'stringData.password', from: REDACTED, to: REDACTED }],
    },
    {
      name: 'fields outside data are shown (type, labels)',
      desired: { ...secret({ 'etcd-key': SECRET_A }), type: 'kubernetes.io/tls' },
      live: live(secret({ 'etcd-key': SECRET_A })),
      want: [{ op: 'change', path: 'type', from: 'Opaque', to: 'kubernetes.io/tls' }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = objectChanges(c.desired, c.live);
      assert.deepEqual(got, c.want);
      const text = JSON.stringify(got);
      for (const v of [SECRET_A, SECRET_B, 'hunter1', 'hunter2', 'PRIVATE KEY'])
        assert.ok(!text.includes(v), text);
    });
  }

  it('a ConfigMap with the same shape is not redacted', () => {
    const got = objectChanges(cm('c', { 'etcd-key': 'b' }), live(cm('c', { 'etcd-key': 'a' })));
    assert.deepEqual(got, [{ op: 'change', path: 'data.etcd-key', from: 'a', to: 'b' }]);
  });
});

describe('planChanges', () => {
  const a = cm('a', { x: '1' });
  const b = cm('b', { x: '1' });
  const gone = cm('gone', { x: '1' });
  const crd: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'ippools.crd.projectcalico.org', labels: { ...OURS } },
  };
  const role: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'gone-role', labels: { ...OURS } },
  };

  it('create, update, unchanged in desired order, then prunes; changes counts writes', () => {
    const plan = planChanges([a, b, cm('c', {})], liveMap(live(a), live(cm('b', { x: '2' })), live(gone)), [
      ref(a),
      ref(b),
      ref(gone),
    ]);
    assert.deepEqual(actions(plan.items), [
      'unchanged ConfigMap/a',
      'update ConfigMap/b',
      'create ConfigMap/c',
      'prune ConfigMap/gone',
    ]);
    assert.equal(plan.changes, 3);
    const update = plan.items[1] as Extract<PlanItem, { action: 'update' }>;
    assert.deepEqual(update.changes, [{ op: 'change', path: 'data.x', from: '2', to: '1' }]);
  });

  it('nothing to do: zero changes', () => {
    const plan = planChanges([a, b], liveMap(live(a), live(b)), [ref(a), ref(b)]);
    assert.equal(plan.changes, 0);
    assert.ok(plan.items.every((i) => i.action === 'unchanged'));
  });

  const pruneCases: {
    name: string;
    live: KubeObject[];
    inventory: ObjectRef[] | undefined;
    protect?: string[];
    want: string[];
    why?: RegExp;
  }[] = [
    {
      name: 'first apply (no inventory): nothing pruned',
      live: [live(gone)],
      inventory: undefined,
      want: [],
    },
    {
      name: 'dropped from the render, still ours: pruned',
      live: [live(gone)],
      inventory: [ref(gone)],
      want: ['prune ConfigMap/gone'],
    },
    { name: 'already gone: nothing to do', live: [], inventory: [ref(gone)], want: [] },
    {
      name: 'our label removed by someone: kept',
      live: [live(cm('gone', {}, { labels: { 'app.kubernetes.io/component': 'test' } }))],
      inventory: [ref(gone)],
      want: ['keep ConfigMap/gone'],
      why: /no longer carries app\.kubernetes\.io\/managed-by=netpack/,
    },
    {
      name: 'managed-by another tool: kept',
      live: [live(cm('gone', {}, { labels: { 'app.kubernetes.io/managed-by': 'helm' } }))],
      inventory: [ref(gone)],
      want: ['keep ConfigMap/gone'],
    },
    {
      name: 'owned by another object: kept',
      live: [live(cm('gone', {}, { ownerReferences: [{ kind: 'Deployment', name: 'x', uid: 'u' }] }))],
      inventory: [ref(gone)],
      want: ['keep ConfigMap/gone'],
      why: /another object owns it/,
    },
    {
      name: 'ours by label but never in the inventory: never pruned',
      live: [live(gone), live(cm('stray', {}))],
      inventory: [],
      want: [],
    },
    {
      name: 'a protected (create-only Secret) entry is not pruned',
      live: [live(gone)],
      inventory: [ref(gone)],
      protect: [refKey(gone)],
      want: [],
    },
    {
      name: 'namespaced first, then cluster-scoped, CRDs last',
      live: [live(crd), live(role), live(gone)],
      inventory: [ref(crd), ref(role), ref(gone)],
      want: [
        'prune ConfigMap/gone',
        'prune ClusterRole/gone-role',
        'prune CustomResourceDefinition/ippools.crd.projectcalico.org',
      ],
    },
    {
      name: 'an inventory entry under an older version of a kind still rendered is the same object',
      live: [live(a)],
      inventory: [{ ...ref(a), apiVersion: 'v1' }],
      want: [],
    },
  ];
  for (const c of pruneCases) {
    it(c.name, () => {
      const plan = planChanges([a], liveMap(live(a), ...c.live), c.inventory, new Set(c.protect ?? []));
      const rest = plan.items.filter((i) => i.ref.name !== 'a');
      assert.deepEqual(actions(rest), c.want);
      assert.equal(plan.changes, rest.filter((i) => i.action === 'prune').length);
      if (c.why) assert.match((rest[0] as { why: string }).why, c.why);
    });
  }

  it('objects are keyed without their version: policy/v1beta1 in the inventory, policy/v1 rendered', () => {
    const pdb: KubeObject = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'calico-kube-controllers', namespace: 'kube-system', labels: { ...OURS } },
      spec: { maxUnavailable: 1 },
    };
    const plan = planChanges([pdb], liveMap(live(pdb)), [{ ...ref(pdb), apiVersion: 'policy/v1beta1' }]);
    assert.deepEqual(actions(plan.items), ['unchanged PodDisruptionBudget/calico-kube-controllers']);
  });
});

describe('helpers', () => {
  it('covers: extra live fields are fine, lists must match in length and order', () => {
    assert.ok(covers({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(!covers({ a: 1 }, { a: 2 }));
    assert.ok(!covers([1, 2], [1, 2, 3]));
    assert.ok(!covers([1, 2], [2, 1]));
    assert.ok(covers([{ a: 1 }], [{ a: 1, default: true }]));
    assert.ok(!covers({ a: {} }, { a: 'x' }));
  });

  it('ownedPaths: leaves of a FieldsV1 set, stopping at list members', () => {
    assert.deepEqual(
      ownedPaths({
        'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
        'f:spec': { 'f:containers': { 'k:{"name":"x"}': { 'f:image': {} } }, 'f:replicas': {} },
      }),
      [
        ['metadata', 'labels', 'a'],
        ['spec', 'containers'],
        ['spec', 'replicas'],
      ],
    );
    assert.deepEqual(ownedPaths({}), []);
  });
});
