import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultClusterConfig } from '../src/config/resolve.ts';
import type { ClusterConfig, Provider } from '../src/config/types.ts';
import { listImages, mirrorImage, rewriteImages } from '../src/render/images.ts';
import { listImagePairs, renderCluster } from '../src/render/index.ts';
import { withCommonLabels, withKeyOrder } from '../src/render/labels.ts';
import { applyRank, findDuplicates, isCustomResource, sortForApply } from '../src/render/order.ts';
import {
  COMPONENT_LABEL,
  type KubeObject,
  MANAGED_BY_LABEL,
  type RenderInputs,
  type RenderResult,
} from '../src/render/types.ts';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'custom', 'valid');
const customManifests = readdirSync(fixtures)
  .sort()
  .map((f) => ({ path: `valid/${f}`, text: readFileSync(path.join(fixtures, f), 'utf8') }));

function config(provider: Provider, change?: (c: ClusterConfig) => void): ClusterConfig {
  const c = defaultClusterConfig();
  c.network.provider = provider;
  if (provider === 'custom') {
    c.network.custom = { manifest_path: fixtures, options: { mtu: 1400 } };
    c.raw = {
      network: { provider: 'custom', pod_network_cidr: '10.50.0.0/16', custom: { options: { mtu: 1400 } } },
    };
  }
  change?.(c);
  return c;
}

function render(c: ClusterConfig, inputs: RenderInputs = { customManifests }): RenderResult {
  return renderCluster(c, inputs, { includeSecrets: false });
}

function obj(kind: string, name: string, extra: Partial<KubeObject> = {}, apiVersion = 'v1'): KubeObject {
  return { apiVersion, kind, metadata: { name, ...(extra.metadata ?? {}) }, ...extra } as KubeObject;
}

function podSpec(o: KubeObject): { containers: { image: string }[]; initContainers?: { image: string }[] } {
  return (o.spec as { template: { spec: never } }).template.spec;
}

describe('render: every provider', () => {
  for (const provider of ['weave', 'calico', 'custom'] as const) {
    test(`${provider}: labels on every object, no errors, node-local-dns included`, () => {
      const result = render(config(provider));
      assert.deepEqual(
        result.diagnostics.filter((d) => d.severity === 'error'),
        [],
      );
      assert.ok(result.objects.length > 0);
      for (const o of result.objects) {
        assert.equal(o.metadata.labels?.[MANAGED_BY_LABEL], 'netpack', `${o.kind}/${o.metadata.name}`);
        const component = o.metadata.labels?.[COMPONENT_LABEL];
        const expected =
          o.metadata.name.startsWith('node-local-dns') || o.metadata.name === 'kube-dns-upstream';
        assert.equal(component, expected ? 'node-local-dns' : provider, `${o.kind}/${o.metadata.name}`);
      }
      assert.ok(result.objects.some((o) => o.kind === 'DaemonSet' && o.metadata.name === 'node-local-dns'));
    });
  }

  test('node-local-dns is left out when disabled', () => {
    const result = render(
      config('weave', (c) => {
        c.network.node_local_dns_cache.enabled = false;
      }),
    );
    assert.ok(!result.objects.some((o) => o.metadata.labels?.[COMPONENT_LABEL] === 'node-local-dns'));
  });

  test('key order is apiVersion, kind, metadata (name, namespace, labels, ...), then the rest', () => {
    for (const provider of ['weave', 'calico', 'custom'] as const) {
      for (const o of render(config(provider)).objects) {
        assert.deepEqual(Object.keys(o).slice(0, 3), ['apiVersion', 'kind', 'metadata']);
        const metaKeys = Object.keys(o.metadata);
        assert.equal(metaKeys[0], 'name');
        if (o.metadata.namespace) assert.equal(metaKeys[1], 'namespace');
      }
    }
  });

  test('deterministic: two renders are deep-equal and render does not mutate its config', () => {
    const c = config('calico', (x) => {
      x.network.image_repository = 'mirror.example.com/k8s';
    });
    const before = structuredClone(c);
    assert.deepEqual(render(c), render(c));
    assert.deepEqual(c, before);
  });
});

describe('render: apply order', () => {
  test('kinds go in the documented order, custom resources before workloads', () => {
    const shuffled = [
      obj('PodDisruptionBudget', 'p', {}, 'policy/v1'),
      obj('Deployment', 'd', {}, 'apps/v1'),
      obj('DaemonSet', 'ds', {}, 'apps/v1'),
      obj('IPPool', 'pool', {}, 'crd.projectcalico.org/v1'),
      obj('NetworkPolicy', 'np', { metadata: { name: 'np', namespace: 'x' } }, 'networking.k8s.io/v1'),
      obj('PriorityClass', 'pc', {}, 'scheduling.k8s.io/v1'),
      obj('Service', 's'),
      obj('Secret', 'sec'),
      obj('ConfigMap', 'cm'),
      obj('RoleBinding', 'rb', {}, 'rbac.authorization.k8s.io/v1'),
      obj('Role', 'r', {}, 'rbac.authorization.k8s.io/v1'),
      obj('ClusterRoleBinding', 'crb', {}, 'rbac.authorization.k8s.io/v1'),
      obj('ClusterRole', 'cr', {}, 'rbac.authorization.k8s.io/v1'),
      obj('ServiceAccount', 'sa'),
      obj('Namespace', 'ns'),
      obj('CustomResourceDefinition', 'ippools.crd.projectcalico.org', {}, 'apiextensions.k8s.io/v1'),
    ];
    assert.deepEqual(
      sortForApply(shuffled).map((o) => o.kind),
      [
        'CustomResourceDefinition',
        'Namespace',
        'ServiceAccount',
        'ClusterRole',
        'ClusterRoleBinding',
        'Role',
        'RoleBinding',
        'ConfigMap',
        'Secret',
        'Service',
        'PriorityClass',
        'NetworkPolicy',
        'IPPool',
        'DaemonSet',
        'Deployment',
        'PodDisruptionBudget',
      ],
    );
  });

  test('within a kind by namespace then name; stable whatever the input order', () => {
    const a = obj('ConfigMap', 'b', { metadata: { name: 'b', namespace: 'a' } });
    const b = obj('ConfigMap', 'a', { metadata: { name: 'a', namespace: 'b' } });
    const c = obj('ConfigMap', 'a', { metadata: { name: 'a', namespace: 'a' } });
    const names = (list: KubeObject[]) =>
      sortForApply(list).map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    assert.deepEqual(names([a, b, c]), ['a/a', 'a/b', 'b/a']);
    assert.deepEqual(names([b, c, a]), ['a/a', 'a/b', 'b/a']);
  });

  test('custom resources are recognised by a non-built-in API group', () => {
    assert.equal(isCustomResource({ apiVersion: 'crd.projectcalico.org/v1' }), true);
    assert.equal(isCustomResource({ apiVersion: 'policy.networking.k8s.io/v1alpha1' }), true);
    assert.equal(isCustomResource({ apiVersion: 'networking.k8s.io/v1' }), false);
    assert.equal(isCustomResource({ apiVersion: 'v1' }), false);
    assert.ok(applyRank(obj('constructor', 'x')) > applyRank(obj('Service', 'x')));
  });

  test('rendered calico: CRDs first, IPPool after them and before calico-node, PDB last', () => {
    const objects = render(config('calico')).objects;
    const index = (kind: string) => objects.findIndex((o) => o.kind === kind);
    assert.equal(objects[0]?.kind, 'CustomResourceDefinition');
    assert.ok(index('IPPool') > objects.map((o) => o.kind).lastIndexOf('CustomResourceDefinition'));
    assert.ok(index('IPPool') < index('DaemonSet'));
    assert.equal(objects.at(-1)?.kind, 'PodDisruptionBudget');
  });

  test('a duplicate kind/namespace/name is an error diagnostic', () => {
    const cm = obj('ConfigMap', 'x', { metadata: { name: 'x', namespace: 'kube-system' } });
    const other = obj('ConfigMap', 'x', { metadata: { name: 'x', namespace: 'default' } });
    const found = findDuplicates([cm, other, structuredClone(cm)]);
    assert.equal(found.length, 1);
    assert.equal(found[0]?.severity, 'error');
    assert.equal(found[0]?.path, 'ConfigMap/kube-system/x');
    assert.match(found[0]!.message, /objects #1 and #3/);
  });

  test('renderCluster reports a custom manifest that collides with node-local-dns', () => {
    const clash = {
      path: 'clash.yaml',
      text: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: node-local-dns\n  namespace: kube-system\n',
    };
    const result = render(config('custom'), { customManifests: [clash] });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(
      errors.map((d) => d.path),
      ['ServiceAccount/kube-system/node-local-dns'],
    );
  });
});

describe('render: labels', () => {
  test('common labels are added after the provider labels, and win over them', () => {
    const o = obj('ConfigMap', 'x', {
      metadata: { name: 'x', labels: { app: 'x', [MANAGED_BY_LABEL]: 'helm' } },
    });
    const labelled = withCommonLabels(o, 'calico');
    assert.deepEqual(labelled.metadata.labels, {
      app: 'x',
      [MANAGED_BY_LABEL]: 'netpack',
      [COMPONENT_LABEL]: 'calico',
    });
    assert.equal(o.metadata.labels?.[MANAGED_BY_LABEL], 'helm', 'the input is not mutated');
  });

  test('withKeyOrder fixes top-level and metadata key order and keeps the rest as written', () => {
    const messy = {
      spec: { b: 1, a: 2 },
      metadata: { labels: {}, name: 'n', namespace: 'ns' },
      kind: 'K',
      apiVersion: 'v1',
    };
    const ordered = withKeyOrder(messy as unknown as KubeObject);
    assert.deepEqual(Object.keys(ordered), ['apiVersion', 'kind', 'metadata', 'spec']);
    assert.deepEqual(Object.keys(ordered.metadata), ['name', 'namespace', 'labels']);
    assert.deepEqual(Object.keys(ordered.spec as object), ['b', 'a']);
  });
});

describe('render: images', () => {
  test("Pharos' mirror rule: REPO/<last path segment>, keeping tags and digests", () => {
    assert.equal(mirrorImage('weaveworks/weave-kube:2.8.1', 'REPO'), 'REPO/weave-kube:2.8.1');
    assert.equal(mirrorImage('quay.io/calico/node:v3.32.1', 'REPO'), 'REPO/node:v3.32.1');
    assert.equal(
      mirrorImage('registry.k8s.io/dns/k8s-dns-node-cache:1.26.4', 'm.example/k8s/'),
      'm.example/k8s/k8s-dns-node-cache:1.26.4',
    );
    assert.equal(mirrorImage('busybox', 'REPO'), 'REPO/busybox');
    assert.equal(mirrorImage('localhost:5000/team/app:1', 'REPO'), 'REPO/app:1');
    const digest = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
    assert.equal(mirrorImage(`quay.io/x/init@${digest}`, 'REPO'), `REPO/init@${digest}`);
    assert.equal(mirrorImage(`quay.io/x/init:1.0@${digest}`, 'REPO'), `REPO/init:1.0@${digest}`);
  });

  test('rewrites containers and init containers of every pod template kind, and nothing else', () => {
    const template = (image: string) => ({
      template: {
        spec: {
          initContainers: [{ name: 'i', image: `q.io/a/${image}-init:1` }],
          containers: [{ name: 'c', image: `q.io/a/${image}:1` }],
        },
      },
    });
    const kinds = ['DaemonSet', 'Deployment', 'StatefulSet', 'Job'];
    for (const kind of kinds) {
      const rewritten = rewriteImages(obj(kind, 'x', { spec: template(kind.toLowerCase()) }, 'apps/v1'), 'M');
      assert.equal(podSpec(rewritten).containers[0]?.image, `M/${kind.toLowerCase()}:1`);
      assert.equal(podSpec(rewritten).initContainers?.[0]?.image, `M/${kind.toLowerCase()}-init:1`);
    }
    const cron = rewriteImages(
      obj('CronJob', 'c', { spec: { jobTemplate: { spec: template('cron') } } }, 'batch/v1'),
      'M',
    );
    assert.deepEqual(listImages([cron]), ['M/cron-init:1', 'M/cron:1']);
    const pod = rewriteImages(
      obj('Pod', 'p', { spec: { containers: [{ name: 'c', image: 'a/b/pod:2' }] } }),
      'M',
    );
    assert.deepEqual(listImages([pod]), ['M/pod:2']);
    const cm = obj('ConfigMap', 'c', { data: { image: 'a/b:1' } });
    assert.deepEqual(rewriteImages(cm, 'M'), cm);
  });

  test('image_repository rewrites every rendered image; listImages is sorted and unique', () => {
    for (const provider of ['weave', 'calico', 'custom'] as const) {
      const plain = listImages(render(config(provider)).objects);
      const mirrored = listImages(
        render(
          config(provider, (c) => {
            c.network.image_repository = 'mirror.example.com/k8s';
          }),
        ).objects,
      );
      assert.deepEqual(plain, [...new Set(plain)].sort());
      assert.deepEqual(
        mirrored,
        [...new Set(plain.map((i) => mirrorImage(i, 'mirror.example.com/k8s')))].sort(),
      );
      assert.ok(mirrored.every((i) => i.startsWith('mirror.example.com/k8s/')));
    }
  });

  test('the custom fixture images, including a digest, are mirrored', () => {
    const images = listImages(
      render(
        config('custom', (c) => {
          c.network.image_repository = 'REPO';
          c.network.node_local_dns_cache.enabled = false;
        }),
      ).objects,
    );
    assert.deepEqual(images, [
      'REPO/net-agent-init@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'REPO/net-agent:1.2.3',
    ]);
  });

  test('listImagePairs pairs each upstream image with its mirrored name', () => {
    const c = config('weave', (x) => {
      x.network.image_repository = 'REPO';
    });
    const pairs = listImagePairs(c);
    assert.ok(
      pairs.some(
        (p) => p.upstream === 'rajchaudhuri/weave-kube:2.9.0' && p.mirrored === 'REPO/weave-kube:2.9.0',
      ),
    );
    assert.ok(pairs.every((p) => p.mirrored === mirrorImage(p.upstream, 'REPO')));
    assert.deepEqual(
      pairs.map((p) => p.upstream),
      [...pairs.map((p) => p.upstream)].sort(),
    );
    const noMirror = listImagePairs(config('weave'));
    assert.ok(noMirror.every((p) => p.mirrored === p.upstream));
  });
});
