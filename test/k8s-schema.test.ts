import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultClusterConfig } from '../src/config/resolve.ts';
import type { ClusterConfig } from '../src/config/types.ts';
import { renderCluster } from '../src/render/index.ts';
import { isCustomResource } from '../src/render/order.ts';
import type { KubeObject, RenderInputs } from '../src/render/types.ts';
import { validateCustomResource, validateK8sObject } from './support/k8s-schema.ts';

function daemonSet(container: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'x', namespace: 'kube-system', labels: { 'any/label': 'ok' }, annotations: { a: 'b' } },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'x' } },
        spec: { containers: [{ name: 'c', image: 'example/c:1', ...container }] },
      },
    },
  };
}

describe('validateK8sObject', () => {
  test('a valid object has no problems', () => {
    assert.deepEqual(
      validateK8sObject(daemonSet({ imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80 }] })),
      [],
    );
  });

  test('catches a wrong type', () => {
    const problems = validateK8sObject(daemonSet({ ports: [{ containerPort: 'eighty' }] }));
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /containers\/0\/ports\/0\/containerPort must be integer/);
  });

  test('catches a missing required field', () => {
    const ds = daemonSet({});
    delete (ds.spec as Record<string, unknown>).selector;
    const problems = validateK8sObject(ds);
    assert.ok(
      problems.some((p) => /spec must have required property '?selector'?/.test(p)),
      problems.join('\n'),
    );
  });

  test('catches an unknown field anywhere, and accepts any key in maps', () => {
    const problems = validateK8sObject(
      daemonSet({ imagePullPolicyy: 'Always', resources: { limits: { cpu: '1' } } }),
    );
    assert.deepEqual(problems, [
      'spec.template.spec.containers[0].imagePullPolicyy: unknown field "imagePullPolicyy"',
    ]);
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', nmespace: 'x' },
      data: { 'any.key': 'v' },
    };
    assert.deepEqual(validateK8sObject(cm), ['metadata.nmespace: unknown field "nmespace"']);
    const top = { ...daemonSet({}), spec2: {} };
    assert.deepEqual(validateK8sObject(top), ['spec2: unknown field "spec2"']);
  });

  test('a kind kubernetes-models does not know is a problem', () => {
    assert.match(
      validateK8sObject({ apiVersion: 'apps/v1', kind: 'Widget', metadata: { name: 'x' } })[0]!,
      /not a built-in kind/,
    );
  });
});

describe('validateCustomResource', () => {
  const crd: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets' },
      scope: 'Cluster',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: {
                    size: { type: 'integer' },
                    tags: { type: 'object', additionalProperties: { type: 'string' } },
                    free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
  const widget = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec,
  });

  test('valid, with map and preserve-unknown-fields parts', () => {
    assert.deepEqual(
      validateCustomResource(widget({ size: 1, tags: { a: 'b' }, free: { anything: [1] } }), [crd]),
      [],
    );
  });

  test('wrong type, missing required field and unknown field', () => {
    assert.match(
      validateCustomResource(widget({ size: 'big' }), [crd]).join('\n'),
      /\/spec\/size: must be integer/,
    );
    assert.match(validateCustomResource(widget({}), [crd]).join('\n'), /must have required property/);
    assert.deepEqual(validateCustomResource(widget({ size: 1, colour: 'red' }), [crd]), [
      'spec.colour: unknown field "colour" (the API server would prune it)',
    ]);
  });

  test('no CRD, or no such version, is a problem', () => {
    assert.match(
      validateCustomResource(widget({ size: 1 }), [])[0]!,
      /no CustomResourceDefinition for Widget\.example\.com/,
    );
    assert.match(
      validateCustomResource({ ...widget({ size: 1 }), apiVersion: 'example.com/v2' }, [crd])[0]!,
      /has no version v2/,
    );
  });
});

describe('every rendered object validates', () => {
  const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'custom', 'valid');
  const customManifests = readdirSync(fixtures)
    .sort()
    .map((f) => ({ path: `valid/${f}`, text: readFileSync(path.join(fixtures, f), 'utf8') }));

  const cases: [string, (c: ClusterConfig) => void, RenderInputs][] = [
    ['weave', (c) => (c.network.provider = 'weave'), {}],
    [
      'weave with a password',
      (c) => (c.network.weave.password = '/etc/weave-passwd'),
      { weavePassword: 's3cret' },
    ],
    ['calico ipip', (c) => (c.network.provider = 'calico'), {}],
    [
      'calico vxlan',
      (c) => {
        c.network.provider = 'calico';
        c.network.calico.encapsulation = 'vxlan';
      },
      {},
    ],
    [
      'calico etcd',
      (c) => {
        c.network.provider = 'calico';
        c.network.calico.datastore = 'etcd';
        c.network.calico.etcd = {
          endpoints: ['https://192.0.2.10:2379'],
          ca_file: '/etc/etcd/ca.pem',
          cert_file: '/etc/etcd/client.pem',
          key_file: '/etc/etcd/client-key.pem',
        };
      },
      { etcdTls: { ca: 'CA', cert: 'CERT', key: 'KEY' } },
    ],
    [
      'custom',
      (c) => {
        c.network.provider = 'custom';
        c.network.custom = { manifest_path: fixtures, options: {} };
        c.raw = {
          network: { provider: 'custom', pod_network_cidr: '10.50.0.0/16', custom: { options: {} } },
        };
      },
      { customManifests },
    ],
  ];

  for (const [label, change, inputs] of cases) {
    for (const includeSecrets of [false, true]) {
      test(`${label}${includeSecrets ? ' (secrets included)' : ''}`, () => {
        const config = defaultClusterConfig();
        config.hosts = [{ address: '192.0.2.1', role: 'master', labels: {}, ssh_port: 22 }];
        change(config);
        const result = renderCluster(config, inputs, { includeSecrets });
        assert.deepEqual(
          result.diagnostics.filter((d) => d.severity === 'error'),
          [],
        );
        const crds = result.objects.filter((o) => o.kind === 'CustomResourceDefinition');
        const problems: string[] = [];
        for (const obj of result.objects) {
          const found = isCustomResource(obj) ? validateCustomResource(obj, crds) : validateK8sObject(obj);
          for (const p of found) problems.push(`${obj.kind}/${obj.metadata.name}: ${p}`);
        }
        assert.deepEqual(problems, []);
        if (label.startsWith('calico') && label !== 'calico etcd') {
          assert.ok(
            result.objects.some((o) => o.kind === 'IPPool'),
            'the IPPool was validated against its CRD',
          );
        }
      });
    }
  }
});
