// The state ConfigMap on its own: round trip, determinism, damage reported, and no secret
// contents in it (file paths only), including through apply's decision.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../src/cluster/apply.ts';
import { desiredState } from '../../src/cluster/desired.ts';
import { parseState, STATE_NAME, STATE_NAMESPACE, stateConfigMap } from '../../src/cluster/inventory.ts';
import type { KubeObject, ObjectRef } from '../../src/cluster/types.ts';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import type { ClusterConfig } from '../../src/config/types.ts';

const CA = '-----BEGIN CERTIFICATE-----\nQ0EtY29udGVudHMtbm90LXJlYWw=\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nY2VydC1jb250ZW50cw==\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n';
const PASSWORD = 'weave-Sh4red-S3cret';

function etcdConfig(): ClusterConfig {
  const c = defaultClusterConfig();
  c.network.provider = 'calico';
  c.network.pod_network_cidr = '10.244.0.0/16';
  c.network.calico.datastore = 'etcd';
  c.network.calico.etcd = {
    endpoints: ['https://192.0.2.20:2379'],
    ca_file: '/etc/netpack/tls/ca.pem',
    cert_file: '/etc/netpack/tls/client.pem',
    key_file: '/etc/netpack/tls/client-key.pem',
  };
  return c;
}

const refs: ObjectRef[] = [
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    name: 'ippools.crd.projectcalico.org',
  },
  { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'calico-config' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'kube-system', name: 'calico-node' },
];

const forms = (v: string) => [
  v,
  v.trim(),
  Buffer.from(v).toString('base64'),
  Buffer.from(v.trim()).toString('base64'),
];

describe('state ConfigMap', () => {
  it('round trip: the network and the inventory come back as stored, in order', () => {
    const config = etcdConfig();
    const cm = stateConfigMap(config, refs);
    assert.equal(cm.metadata.name, STATE_NAME);
    assert.equal(cm.metadata.namespace, STATE_NAMESPACE);
    assert.deepEqual(cm.metadata.labels, {
      'app.kubernetes.io/managed-by': 'netpack',
      'app.kubernetes.io/component': 'state',
    });
    const parsed = parseState(cm);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(parsed.state.network, config.network);
    assert.deepEqual(parsed.state.inventory, refs);
  });

  it('round trip of every provider default, and of objects given as KubeObjects', () => {
    for (const provider of ['weave', 'calico', 'custom'] as const) {
      const config = defaultClusterConfig();
      config.network.provider = provider;
      if (provider === 'custom') config.network.custom = { manifest_path: '/m', options: { a: 1 } };
      const objs: KubeObject[] = [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'kube-system' } },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'role' } },
      ];
      const parsed = parseState(stateConfigMap(config, objs));
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.state.network, config.network);
      assert.deepEqual(parsed.state.inventory, [
        { apiVersion: 'v1', kind: 'ServiceAccount', name: 'sa', namespace: 'kube-system' },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'role' },
      ]);
    }
  });

  it('deterministic, and one entry per object even when listed twice (or under two versions)', () => {
    const config = etcdConfig();
    const twice = [...refs, refs[1]!, { ...refs[2]!, apiVersion: 'apps/v1beta2' }];
    const a = stateConfigMap(config, twice);
    const b = stateConfigMap(structuredClone(config), twice);
    assert.deepEqual(a, b);
    const parsed = parseState(a);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.state.inventory, refs);
  });

  it('stores file paths, never file contents', () => {
    const config = etcdConfig();
    config.network.weave.password = '/etc/netpack/weave.pw';
    const data = stateConfigMap(config, refs).data as Record<string, string>;
    assert.match(data['network.yaml']!, /ca_file: \/etc\/netpack\/tls\/ca\.pem/);
    assert.match(data['network.yaml']!, /key_file: \/etc\/netpack\/tls\/client-key\.pem/);
    assert.match(data['network.yaml']!, /password: \/etc\/netpack\/weave\.pw/);
  });

  it("apply's decision stores no secret contents although the Secrets it applies carry them", () => {
    const config = etcdConfig();
    config.network.weave.password = '/etc/netpack/weave.pw';
    const desired = desiredState(
      config,
      { etcdTls: { ca: CA, cert: CERT, key: KEY }, weavePassword: PASSWORD },
      () => Buffer.alloc(24, 7),
    );
    assert.deepEqual(
      desired.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    const secret = desired.objects.find(
      (o) => o.kind === 'Secret' && o.metadata.name === 'calico-etcd-secrets',
    );
    assert.ok(secret, 'the etcd Secret is among the applied objects, with its values');
    assert.equal(Buffer.from((secret.data as Record<string, string>)['etcd-key']!, 'base64').toString(), KEY);
    const decision = decide(config, desired, {
      state: undefined,
      stateObject: undefined,
      live: new Map(),
      unlabelled: new Map(),
      facts: { ipPools: [], nodes: [], networks: [] },
      existingSecrets: new Set(),
      staleSecrets: new Set(),
    });
    const text = JSON.stringify(decision.stateObject);
    for (const s of [CA, CERT, KEY, PASSWORD].flatMap(forms))
      assert.ok(!text.includes(s), `state holds ${s}`);
    const parsed = parseState(decision.stateObject);
    assert.ok(parsed.ok);
    assert.ok(
      parsed.state.inventory.some((r) => r.kind === 'Secret' && r.name === 'calico-etcd-secrets'),
      'the Secret is in the inventory by name',
    );
  });

  const damaged: { name: string; data: Record<string, string> | undefined; reason: RegExp }[] = [
    { name: 'no data', data: undefined, reason: /has format undefined, expected netpack-state\/v1/ },
    {
      name: 'another format',
      data: { format: 'netpack-state/v9' },
      reason: /has format "netpack-state\/v9"/,
    },
    {
      name: 'network.yaml not YAML',
      data: { format: 'netpack-state/v1', 'network.yaml': 'a: [', 'inventory.yaml': '[]' },
      reason: /cannot be read/,
    },
    {
      name: 'network without a provider',
      data: {
        format: 'netpack-state/v1',
        'network.yaml': 'service_cidr: 10.96.0.0/12\n',
        'inventory.yaml': '[]',
      },
      reason: /cannot be read: missing fields/,
    },
    {
      name: 'inventory not a list',
      data: { format: 'netpack-state/v1', 'network.yaml': 'provider: weave\n', 'inventory.yaml': 'a: 1\n' },
      reason: /cannot be read: missing fields/,
    },
    {
      name: 'inventory entry without a kind',
      data: {
        format: 'netpack-state/v1',
        'network.yaml': 'provider: weave\n',
        'inventory.yaml': '- apiVersion: v1\n  name: x\n',
      },
      reason: /inventory entry without apiVersion\/kind\/name/,
    },
  ];
  for (const d of damaged) {
    it(`a damaged state is reported, not guessed at: ${d.name}`, () => {
      const parsed = parseState({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: STATE_NAME, namespace: STATE_NAMESPACE },
        ...(d.data ? { data: d.data } : {}),
      });
      assert.equal(parsed.ok, false);
      assert.match((parsed as { reason: string }).reason, /^ConfigMap kube-system\/netpack-state /);
      assert.match((parsed as { reason: string }).reason, d.reason);
    });
  }
});
