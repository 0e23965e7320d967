/**
 * Calico with Typha: conformance with upstream's calico-typha.yaml (every difference on an
 * allow-list that names its reason, unused entries failing too), object and env order as
 * upstream, RBAC no broader than upstream, every object valid for its kind, the options'
 * effects (replicas, off, etcd, environment override, image mirror) and determinism.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import type { CalicoConfig, ClusterConfig } from '../../src/config/types.ts';
import { renderCalico, TYPHA_IMAGE } from '../../src/providers/calico/index.ts';
import { renderCluster } from '../../src/render/index.ts';
import type { KubeObject, ProviderOutput } from '../../src/render/types.ts';
import { validateCustomResource, validateK8sObject } from '../support/k8s-schema.ts';
import {
  type AllowedDifference,
  broaderRules,
  diffObjects,
  findObject,
  type PolicyRule,
  unexplained,
  upstreamOrSkip,
} from '../support/upstream.ts';

const UPSTREAM = 'calico-v3.32.1/calico-typha.yaml';
const NS = 'kube-system';

function calicoConfig(calico: Partial<CalicoConfig> = {}): ClusterConfig {
  const config = defaultClusterConfig();
  config.network.provider = 'calico';
  Object.assign(config.network.calico, { typha: true, typha_replicas: 1 }, calico);
  return config;
}

function render(calico: Partial<CalicoConfig> = {}): ProviderOutput {
  return renderCalico(calicoConfig(calico), {}, { includeSecrets: false });
}

function ref(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function get(objects: readonly KubeObject[], kind: string, name: string, namespace?: string): KubeObject {
  const o = findObject(objects, kind, name, namespace);
  assert.ok(o, `${kind} ${namespace ?? ''}/${name} rendered`);
  return o;
}

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
}

function podSpec(
  o: KubeObject,
): { containers: Container[]; initContainers?: Container[] } & Record<string, unknown> {
  return (o.spec as { template: { spec: never } }).template.spec;
}

function nodeEnv(objects: readonly KubeObject[]): NonNullable<Container['env']> {
  const ds = get(objects, 'DaemonSet', 'calico-node', NS);
  const c = podSpec(ds).containers.find((x) => x.name === 'calico-node');
  assert.ok(c?.env);
  return c.env;
}

function configData(objects: readonly KubeObject[]): Record<string, string> {
  return get(objects, 'ConfigMap', 'calico-config', NS).data as Record<string, string>;
}

const NODE_ENV = 'spec.template.spec.containers[name=calico-node].env';

/**
 * Differences from calico-typha.yaml, per object ref. Those of calico.yaml's conformance
 * (test/providers/calico-conformance.test.ts) recur; Typha itself adds none.
 */
const ALLOWED: Record<string, AllowedDifference[]> = {
  'DaemonSet/kube-system/calico-node': [
    {
      path: `${NODE_ENV}[name=CALICO_IPV4POOL_CIDR]`,
      change: 'added',
      reason: 'network.pod_network_cidr (upstream leaves it commented out)',
    },
    {
      path: `${NODE_ENV}[name=CALICO_IPV4POOL_NAT_OUTGOING]`,
      change: 'added',
      reason: 'network.calico.nat_outgoing (upstream: Calico default true)',
    },
    {
      path: `${NODE_ENV}[name=IP_AUTODETECTION_METHOD]`,
      change: 'added',
      reason: 'network.calico.ip_autodetection_method (default kubernetes-internal-ip)',
    },
  ],
  'ConfigMap/kube-system/calico-config': [
    {
      path: 'data.cni_network_config',
      change: 'changed',
      reason:
        'upstream’s JSON plus the bandwidth plugin Pharos configured (compared as data below), formatted by JSON.stringify',
      check: (d) => {
        const theirs = JSON.parse(String(d.upstream).replace('__CNI_MTU__', '0'));
        theirs.plugins.push({ type: 'bandwidth', capabilities: { bandwidth: true } });
        return (
          JSON.stringify(theirs) === JSON.stringify(JSON.parse(String(d.ours).replace('__CNI_MTU__', '0')))
        );
      },
    },
  ],
};
/** Objects only netpack renders. */
const EXTRA: Record<string, string> = {
  'IPPool//default-ipv4-ippool': 'netpack manages the default pool so later mode/NAT changes take effect',
};

/** Every difference not on the lists, plus every list entry that no difference needed. */
function conformance(upstream: readonly KubeObject[], ours: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const used = new Set<AllowedDifference>();
  const ourRefs = ours.map(ref);
  assert.equal(new Set(ourRefs).size, ourRefs.length, 'rendered objects are unique');
  for (const u of upstream) {
    const o = ours.find((x) => ref(x) === ref(u));
    if (!o) {
      problems.push(`missing ${ref(u)}`);
      continue;
    }
    const allowed = ALLOWED[ref(u)] ?? [];
    const diffs = diffObjects(u, o);
    for (const d of unexplained(diffs, allowed)) problems.push(`${ref(u)}: ${d.change} ${d.path}`);
    for (const a of allowed) if (unexplained(diffs, [a]).length < diffs.length) used.add(a);
  }
  for (const r of ourRefs)
    if (!upstream.some((u) => ref(u) === r) && !(r in EXTRA)) problems.push(`extra ${r}`);
  for (const [r, list] of Object.entries(ALLOWED))
    for (const a of list)
      if (!used.has(a)) problems.push(`stale allow-list entry ${r}: ${a.change} ${a.path}`);
  for (const r of Object.keys(EXTRA)) if (!ourRefs.includes(r)) problems.push(`stale extra ${r}`);
  return problems;
}

describe('Calico with Typha conforms to upstream calico-typha.yaml', () => {
  test('typha on, 1 replica (upstream’s): every difference is explained', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    const ours = render().objects.filter((o) => o.kind !== 'CustomResourceDefinition');
    const theirs = upstream.filter((o) => o.kind !== 'CustomResourceDefinition');
    assert.deepEqual(conformance(theirs, ours), []);
  });

  test('the CRDs are calico.yaml’s (Typha adds none)', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    const names = (objects: readonly KubeObject[]) =>
      objects
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .map((o) => o.metadata.name)
        .sort();
    assert.deepEqual(names(render().objects), names(upstream));
  });

  test('objects come in upstream’s order (the IPPool after them)', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    const ours = render().objects.map(ref);
    const theirs = upstream.map(ref);
    assert.deepEqual(
      ours.filter((r) => theirs.includes(r)),
      theirs,
    );
    assert.equal(ours.at(-1), 'IPPool//default-ipv4-ippool');
  });

  test('calico-node env: FELIX_TYPHAK8SSERVICENAME right after DATASTORE_TYPE, as upstream', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    const names = (objects: readonly KubeObject[]) => nodeEnv(objects).map((e) => e.name);
    const theirs = names(upstream);
    const ours = names(render().objects);
    assert.deepEqual(
      ours.filter((n) => theirs.includes(n)),
      theirs,
    );
    assert.deepEqual(ours.slice(0, 3), ['DATASTORE_TYPE', 'FELIX_TYPHAK8SSERVICENAME', 'WAIT_FOR_DATASTORE']);
  });

  test('the check is not a rubber stamp: a changed probe, a missing PDB and a stale entry fail it', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    const theirs = upstream.filter((o) => o.kind !== 'CustomResourceDefinition');
    const base = () => render().objects.filter((o) => o.kind !== 'CustomResourceDefinition');

    const probe = base();
    const deploy = get(probe, 'Deployment', 'calico-typha', NS);
    (
      podSpec(deploy).containers[0] as unknown as { readinessProbe: { periodSeconds: number } }
    ).readinessProbe.periodSeconds = 5;
    assert.ok(conformance(theirs, probe).some((p) => p.includes('readinessProbe.periodSeconds')));

    const missing = base().filter((o) => ref(o) !== 'PodDisruptionBudget/kube-system/calico-typha');
    assert.ok(conformance(theirs, missing).includes('missing PodDisruptionBudget/kube-system/calico-typha'));

    // Without Typha, calico-typha.yaml's additions are missing, and a written MTU changes
    // veth_mtu, which no allow-list entry explains.
    const off = render({ typha: false, mtu: 1500 }).objects.filter(
      (o) => o.kind !== 'CustomResourceDefinition',
    );
    const problems = conformance(theirs, off);
    for (const p of [
      'missing Service/kube-system/calico-typha',
      'missing Deployment/kube-system/calico-typha',
      'ConfigMap/kube-system/calico-config: changed data.typha_service_name',
      `DaemonSet/kube-system/calico-node: removed ${NODE_ENV}[name=FELIX_TYPHAK8SSERVICENAME]`,
      'ConfigMap/kube-system/calico-config: changed data.veth_mtu',
    ])
      assert.ok(problems.includes(p), `${p} in ${JSON.stringify(problems)}`);
  });
});

describe('Calico with Typha: RBAC is upstream’s', () => {
  test('no ClusterRole grants more than calico-typha.yaml’s, and Typha runs as calico-node', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    const ours = render().objects;
    const roles = ours.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
    assert.ok(roles.length > 0);
    for (const role of roles) {
      const theirs = findObject(upstream, role.kind, role.metadata.name, role.metadata.namespace);
      assert.ok(theirs, `${ref(role)} exists upstream`);
      assert.deepEqual(broaderRules(role.rules as PolicyRule[], theirs.rules as PolicyRule[]), [], ref(role));
    }
    // Typha adds no RBAC: the same roles and bindings as without it.
    const rbac = (objects: readonly KubeObject[]) =>
      objects.filter((o) => /Role/.test(o.kind)).map((o) => JSON.stringify(o));
    assert.deepEqual(rbac(ours), rbac(render({ typha: false }).objects));
    const deploy = get(ours, 'Deployment', 'calico-typha', NS);
    assert.equal(podSpec(deploy).serviceAccountName, 'calico-node');
    assert.ok(findObject(ours, 'ServiceAccount', 'calico-node', NS));
  });
});

describe('Calico with Typha: schema', () => {
  test('every object is valid for its kind, with no unknown fields (replicas 1 and 5)', () => {
    for (const typha_replicas of [1, 5]) {
      const { objects } = render({ typha_replicas });
      const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
      for (const o of objects) {
        const problems = o.kind === 'IPPool' ? validateCustomResource(o, crds) : validateK8sObject(o);
        assert.deepEqual(problems, [], ref(o));
      }
    }
  });
});

describe('Calico with Typha: option effects', () => {
  test('typha_replicas sets the Deployment’s replicas, and nothing else', () => {
    const one = render({ typha_replicas: 1 }).objects;
    const seven = render({ typha_replicas: 7 }).objects;
    assert.equal((get(seven, 'Deployment', 'calico-typha', NS).spec as { replicas: number }).replicas, 7);
    assert.deepEqual(
      diffObjects(one, seven).map((d) => d.path),
      [`[${one.findIndex((o) => ref(o) === 'Deployment/kube-system/calico-typha')}].spec.replicas`],
    );
  });

  test('typha on: Service on 5473 to the Typha pods, PDB, and Felix pointed at it', () => {
    const { objects } = render();
    const svc = get(objects, 'Service', 'calico-typha', NS);
    assert.deepEqual(svc.spec, {
      ports: [{ port: 5473, protocol: 'TCP', targetPort: 'calico-typha', name: 'calico-typha' }],
      selector: { 'k8s-app': 'calico-typha' },
    });
    const pdb = get(objects, 'PodDisruptionBudget', 'calico-typha', NS);
    assert.deepEqual(pdb.spec, {
      maxUnavailable: 1,
      selector: { matchLabels: { 'k8s-app': 'calico-typha' } },
    });
    const deploy = get(objects, 'Deployment', 'calico-typha', NS);
    const spec = podSpec(deploy);
    assert.equal(spec.hostNetwork, true);
    assert.equal(spec.terminationGracePeriodSeconds, 300);
    const container = spec.containers[0]!;
    assert.equal(container.image, TYPHA_IMAGE);
    assert.equal(TYPHA_IMAGE, 'quay.io/calico/typha:v3.32.1');
    // The grace period and Typha's own shutdown timeout agree.
    assert.equal(container.env?.find((e) => e.name === 'TYPHA_SHUTDOWNTIMEOUTSECS')?.value, '300');
    assert.equal(configData(objects).typha_service_name, 'calico-typha');
    assert.deepEqual(
      nodeEnv(objects).find((e) => e.name === 'FELIX_TYPHAK8SSERVICENAME'),
      {
        name: 'FELIX_TYPHAK8SSERVICENAME',
        valueFrom: { configMapKeyRef: { name: 'calico-config', key: 'typha_service_name' } },
      },
    );
  });

  test('typha off: none of it, and typha_service_name "none"', () => {
    const { objects } = render({ typha: false, typha_replicas: 4 });
    for (const kind of ['Service', 'Deployment', 'PodDisruptionBudget'])
      assert.equal(findObject(objects, kind, 'calico-typha', NS), undefined, kind);
    assert.equal(configData(objects).typha_service_name, 'none');
    assert.equal(
      nodeEnv(objects).some((e) => e.name === 'FELIX_TYPHAK8SSERVICENAME'),
      false,
    );
  });

  test('etcd datastore: no Typha even if the config says so (the loader rejects that combination)', () => {
    const { objects } = render({ datastore: 'etcd', etcd: { endpoints: ['https://10.0.0.1:2379'] } });
    assert.equal(findObject(objects, 'Deployment', 'calico-typha', NS), undefined);
    assert.equal(configData(objects).typha_service_name, 'none');
    assert.equal(
      nodeEnv(objects).some((e) => e.name === 'FELIX_TYPHAK8SSERVICENAME'),
      false,
    );
  });

  test('the operator’s FELIX_TYPHAK8SSERVICENAME replaces the ConfigMap reference, last as usual', () => {
    const env = nodeEnv(render({ environment: { FELIX_TYPHAK8SSERVICENAME: 'my-typha' } }).objects);
    const hits = env.filter((e) => e.name === 'FELIX_TYPHAK8SSERVICENAME');
    assert.deepEqual(hits, [{ name: 'FELIX_TYPHAK8SSERVICENAME', value: 'my-typha' }]);
    assert.equal(env.at(-1)?.name, 'FELIX_TYPHAK8SSERVICENAME');
  });

  test('image_repository mirrors the Typha image by Pharos’ rule, through renderCluster', () => {
    const config = calicoConfig();
    config.network.image_repository = 'registry.example.com/mirror';
    const { objects } = renderCluster(config, {}, { includeSecrets: false });
    const deploy = get(objects, 'Deployment', 'calico-typha', NS);
    assert.equal(podSpec(deploy).containers[0]?.image, 'registry.example.com/mirror/typha:v3.32.1');
    assert.equal(deploy.metadata.labels?.['app.kubernetes.io/managed-by'], 'netpack');
  });
});

describe('Calico with Typha: determinism', () => {
  test('the same config renders the same JSON twice, and the config is not changed', () => {
    const config = calicoConfig({ typha_replicas: 3 });
    const before = JSON.stringify(config);
    const a = renderCalico(config, {}, { includeSecrets: false });
    const b = renderCalico(config, {}, { includeSecrets: false });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.equal(JSON.stringify(config), before);
    // Outputs share no objects: changing one leaves the next render alone.
    const deploy = get(a.objects, 'Deployment', 'calico-typha', NS);
    (deploy.spec as { replicas: number }).replicas = 99;
    podSpec(deploy).containers[0]!.env!.length = 0;
    assert.equal(JSON.stringify(renderCalico(config, {}, { includeSecrets: false })), JSON.stringify(b));
  });
});
