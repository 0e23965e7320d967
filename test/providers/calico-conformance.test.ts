/**
 * Conformance of the Calico render with upstream Calico v3.32.1's manifests: every object
 * upstream ships is rendered, field by field, and every difference is on an allow-list that
 * names the option (or the netpack decision) it comes from. Unused allow-list entries fail too,
 * so the list cannot rot.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import type { CalicoConfig, ClusterConfig } from '../../src/config/types.ts';
import { renderCalico } from '../../src/providers/calico/index.ts';
import type { KubeObject, ProviderOutput } from '../../src/render/types.ts';
import { upstreamOrSkip } from '../support/upstream.ts';

const DIR = 'calico-v3.32.1';

function calicoConfig(calico: Partial<CalicoConfig> = {}): ClusterConfig {
  const config = defaultClusterConfig();
  config.network.provider = 'calico';
  config.network.pod_network_cidr = '10.32.0.0/12';
  Object.assign(config.network.calico, calico);
  return config;
}

function render(calico: Partial<CalicoConfig> = {}, includeSecrets = false): ProviderOutput {
  return renderCalico(
    calicoConfig(calico),
    { etcdTls: { ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM' } },
    { includeSecrets },
  );
}

function ref(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** Arrays whose items Kubernetes merges by this key: diffed item by item, order checked apart. */
const LIST_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'name',
  ports: 'name',
};

/**
 * Rewrites the parts of upstream that our YAML loader reads differently from Kubernetes, or that
 * are text standing for data:
 * - `cni_network_config` is JSON with a bare `__CNI_MTU__` placeholder: compared as data.
 */
function normalise(o: KubeObject): KubeObject {
  const copy = structuredClone(o);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const item of v) walk(item);
    } else if (v && typeof v === 'object') {
      const rec = v as Record<string, unknown>;
      for (const child of Object.values(rec)) walk(child);
    }
  };
  walk(copy);
  const data = copy.data as Record<string, unknown> | undefined;
  if (copy.kind === 'ConfigMap' && typeof data?.cni_network_config === 'string') {
    data.cni_network_config = JSON.parse(data.cni_network_config.replace('__CNI_MTU__', '1234'));
  }
  return copy;
}

/**
 * Differences between upstream `a` and ours `b`: `~path` changed, `-path` only upstream, `+path`
 * only ours, `order:path` same named items in another order. null and absent are the same (as
 * for the API server).
 */
function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (a === null) a = undefined;
  if (b === null) b = undefined;
  if (a === undefined && b === undefined) return;
  if (a === undefined || b === undefined) {
    out.push(a === undefined ? `+${path}` : `-${path}`);
    return;
  }
  const key = LIST_KEYS[path.slice(path.lastIndexOf('.') + 1).replace(/\[.*$/, '')];
  if (Array.isArray(a) && Array.isArray(b) && key) {
    const name = (x: unknown): string => String((x as Record<string, unknown>)[key]);
    const an = a.map(name);
    const bn = b.map(name);
    for (const n of new Set([...an, ...bn])) {
      diff(
        a.find((x) => name(x) === n),
        b.find((x) => name(x) === n),
        `${path}[${n}]`,
        out,
      );
    }
    const common = an.filter((n) => bn.includes(n));
    if (common.join() !== bn.filter((n) => an.includes(n)).join()) out.push(`order:${path}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      out.push(`~${path}`);
      return;
    }
    for (const [i, x] of a.entries()) diff(x, b[i], `${path}[${i}]`, out);
    return;
  }
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)]))
      diff(ra[k], rb[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (a !== b) out.push(`~${path}`);
}

/** Allow-list: difference → why. */
type Allowed = Record<string, string>;

function checkConformance(upstream: KubeObject[], ours: ProviderOutput, allowed: Allowed): void {
  const found: string[] = [];
  const upstreamRefs = upstream.map(ref);
  const ourRefs = ours.objects.map(ref);
  assert.equal(new Set(ourRefs).size, ourRefs.length, 'rendered objects are unique');
  for (const r of upstreamRefs) if (!ourRefs.includes(r)) found.push(`-${r}`);
  for (const r of ourRefs) if (!upstreamRefs.includes(r)) found.push(`+${r}`);
  for (const u of upstream) {
    const o = ours.objects.find((x) => ref(x) === ref(u));
    if (!o) continue;
    const diffs: string[] = [];
    diff(normalise(u), normalise(o), '', diffs);
    found.push(...diffs.map((d) => d.replace(/^(order:|[~+-])/, `$1${ref(u)}:`)));
  }
  const unexplained = found.filter((d) => !(d in allowed));
  assert.deepEqual(unexplained, [], 'every difference from upstream is on the allow-list');
  const unused = Object.keys(allowed).filter((d) => !found.includes(d));
  assert.deepEqual(unused, [], 'every allow-list entry is still needed');
}

const NODE = 'DaemonSet/kube-system/calico-node';
const NODE_ENV = `${NODE}:spec.template.spec.containers[calico-node].env`;
const CONFIG = 'ConfigMap/kube-system/calico-config';

function configData(out: ProviderOutput): Record<string, string> {
  const config = out.objects.find((o) => ref(o) === CONFIG);
  assert.ok(config, 'calico-config rendered');
  return config.data as Record<string, string>;
}

/** Differences every datastore shares. */
const COMMON: Allowed = {
  [`+${NODE_ENV}[CALICO_IPV4POOL_CIDR]`]: 'network.pod_network_cidr (upstream leaves it commented out)',
  [`+${NODE_ENV}[CALICO_IPV4POOL_NAT_OUTGOING]`]:
    'network.calico.nat_outgoing (upstream: Calico default true)',
  [`+${NODE_ENV}[IP_AUTODETECTION_METHOD]`]:
    'network.calico.ip_autodetection_method (default kubernetes-internal-ip; upstream leaves Calico’s first-found)',
  [`~${CONFIG}:data.cni_network_config.plugins`]:
    'the CNI bandwidth plugin after portmap, as Pharos configured it (kubernetes.io/ingress-bandwidth annotations)',
};

/** A host MTU written in the file: veth_mtu is a number instead of upstream's "0". */
const MTU_WRITTEN: Allowed = {
  [`~${CONFIG}:data.veth_mtu`]:
    'network.calico.mtu: host MTU minus encapsulation overhead (upstream "0" = detect)',
};

describe('Calico render conforms to upstream v3.32.1', () => {
  test('calico.yaml: default IP-in-IP, kubernetes datastore', (t) => {
    const upstream = upstreamOrSkip(t, `${DIR}/calico.yaml`);
    if (!upstream) return;
    const ours = render();
    checkConformance(upstream, ours, {
      ...COMMON,
      '+IPPool//default-ipv4-ippool':
        'netpack manages the default pool so later mode/NAT changes take effect',
    });
    assert.equal(configData(ours).veth_mtu, '0', 'mtu auto by default, as upstream');
    const plugins = JSON.parse(
      String(configData(ours).cni_network_config).replace('__CNI_MTU__', '0'),
    ).plugins;
    assert.deepEqual(plugins.at(-1), { type: 'bandwidth', capabilities: { bandwidth: true } });
  });

  test('calico-vxlan.yaml: encapsulation vxlan, mode CrossSubnet (upstream’s VXLAN mode)', (t) => {
    const upstream = upstreamOrSkip(t, `${DIR}/calico-vxlan.yaml`);
    if (!upstream) return;
    checkConformance(upstream, render({ encapsulation: 'vxlan', mode: 'CrossSubnet' }), {
      ...COMMON,
      '+IPPool//default-ipv4-ippool':
        'netpack manages the default pool so later mode/NAT changes take effect',
    });
  });

  test('calico-vxlan.yaml with mode Always differs only in the pool modes', (t) => {
    const upstream = upstreamOrSkip(t, `${DIR}/calico-vxlan.yaml`);
    if (!upstream) return;
    checkConformance(upstream, render({ encapsulation: 'vxlan', mode: 'Always' }), {
      ...COMMON,
      '+IPPool//default-ipv4-ippool':
        'netpack manages the default pool so later mode/NAT changes take effect',
      [`~${NODE_ENV}[CALICO_IPV4POOL_VXLAN].value`]: 'network.calico.mode Always (upstream CrossSubnet)',
      [`~${NODE_ENV}[CALICO_IPV6POOL_VXLAN].value`]: 'mirrors the IPv4 VXLAN mode, as upstream does',
    });
  });

  test('calico.yaml with a host MTU of 1500: veth_mtu 1480 instead of "0"', (t) => {
    const upstream = upstreamOrSkip(t, `${DIR}/calico.yaml`);
    if (!upstream) return;
    const allowed: Allowed = {
      ...COMMON,
      ...MTU_WRITTEN,
      '+IPPool//default-ipv4-ippool': 'netpack manages the default pool',
    };
    const ours = render({ mtu: 1500 });
    checkConformance(upstream, ours, allowed);
    assert.equal(configData(ours).veth_mtu, '1480');
  });

  test('calico-etcd.yaml: etcd datastore with TLS, secrets included', (t) => {
    const upstream = upstreamOrSkip(t, `${DIR}/calico-etcd.yaml`);
    if (!upstream) return;
    const ours = render(
      {
        datastore: 'etcd',
        etcd: {
          endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'],
          ca_file: '/etc/pki/etcd/ca.pem',
          cert_file: '/etc/pki/etcd/client.pem',
          key_file: '/etc/pki/etcd/client-key.pem',
        },
      },
      true,
    );
    checkConformance(upstream, ours, {
      ...COMMON,
      [`~${CONFIG}:data.etcd_endpoints`]: 'network.calico.etcd.endpoints, comma-joined',
      [`~${CONFIG}:data.etcd_ca`]: 'network.calico.etcd.ca_file set: the Secret’s mount path',
      [`~${CONFIG}:data.etcd_cert`]: 'network.calico.etcd.cert_file set: the Secret’s mount path',
      [`~${CONFIG}:data.etcd_key`]: 'network.calico.etcd.key_file set: the Secret’s mount path',
      '+Secret/kube-system/calico-etcd-secrets:data': 'TLS file contents (upstream ships an empty template)',
    });
    const data = configData(ours);
    assert.deepEqual(
      {
        etcd_endpoints: data.etcd_endpoints,
        etcd_ca: data.etcd_ca,
        etcd_cert: data.etcd_cert,
        etcd_key: data.etcd_key,
      },
      {
        etcd_endpoints: 'https://10.0.0.1:2379,https://10.0.0.2:2379',
        etcd_ca: '/calico-secrets/etcd-ca',
        etcd_cert: '/calico-secrets/etcd-cert',
        etcd_key: '/calico-secrets/etcd-key',
      },
    );
  });

  test('calico-etcd.yaml without TLS: the empty Secret and "" paths as upstream', (t) => {
    const upstream = upstreamOrSkip(t, `${DIR}/calico-etcd.yaml`);
    if (!upstream) return;
    checkConformance(upstream, render({ datastore: 'etcd', etcd: { endpoints: ['http://10.0.0.1:2379'] } }), {
      ...COMMON,
      [`~${CONFIG}:data.etcd_endpoints`]: 'network.calico.etcd.endpoints',
    });
  });
});

/** Every (group, resource, resourceName, verb) a ClusterRole grants. */
function grants(role: KubeObject): Set<string> {
  const out = new Set<string>();
  for (const r of role.rules as {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames?: string[];
  }[]) {
    for (const g of r.apiGroups)
      for (const res of r.resources)
        for (const v of r.verbs) for (const n of r.resourceNames ?? ['*']) out.add(`${g}|${res}|${n}|${v}`);
  }
  return out;
}

/** Whether upstream grants this (a `*` resource or name in upstream covers any). */
function covered(grant: string, upstream: Set<string>): boolean {
  const [g, res, n, v] = grant.split('|');
  return [`${g}|${res}|${n}|${v}`, `${g}|*|${n}|${v}`, `${g}|${res}|*|${v}`, `${g}|*|*|${v}`].some((x) =>
    upstream.has(x),
  );
}

describe('Calico RBAC is no broader than upstream', () => {
  for (const [file, calico] of [
    ['calico.yaml', {}],
    ['calico-vxlan.yaml', { encapsulation: 'vxlan' }],
    ['calico-etcd.yaml', { datastore: 'etcd', etcd: { endpoints: ['http://e:2379'] } }],
  ] as const) {
    test(file, (t) => {
      const upstream = upstreamOrSkip(t, `${DIR}/${file}`);
      if (!upstream) return;
      const ours = render(calico as Partial<CalicoConfig>).objects;
      const kinds = new Set(['ClusterRole', 'Role', 'ClusterRoleBinding', 'RoleBinding']);
      const rbac = ours.filter((o) => kinds.has(o.kind));
      assert.ok(rbac.length > 0);
      for (const o of rbac) {
        const u: KubeObject | undefined = upstream.find((x) => ref(x) === ref(o));
        assert.ok(u, `${ref(o)} exists upstream`);
        if (o.kind === 'ClusterRole' || o.kind === 'Role') {
          const theirs = grants(u);
          const broader = [...grants(o)].filter((g) => !covered(g, theirs));
          assert.deepEqual(broader, [], `${ref(o)} grants nothing upstream does not`);
        } else {
          assert.deepEqual(o.roleRef, u.roleRef);
          assert.deepEqual(o.subjects, u.subjects);
        }
      }
    });
  }
});

describe('the conformance check itself', () => {
  test('catches a changed probe, a missing object, a reordered env and a stale allow-list entry', (t) => {
    const upstream = upstreamOrSkip(t, `${DIR}/calico.yaml`);
    if (!upstream) return;
    const allowed = { ...COMMON, '+IPPool//default-ipv4-ippool': 'netpack manages the default pool' };
    const node = (out: ProviderOutput) => {
      const ds = out.objects.find((o) => ref(o) === NODE) as KubeObject;
      return (ds.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec
        .containers[0] as { livenessProbe: { periodSeconds: number }; env: unknown[] };
    };

    const probe = render();
    node(probe).livenessProbe.periodSeconds = 11;
    assert.throws(() => checkConformance(upstream, probe, allowed), /livenessProbe\.periodSeconds/);

    const missing = render();
    missing.objects = missing.objects.filter((o) => o.kind !== 'PodDisruptionBudget');
    assert.throws(() => checkConformance(upstream, missing, allowed), /-PodDisruptionBudget/);

    const reordered = render();
    node(reordered).env.reverse();
    assert.throws(() => checkConformance(upstream, reordered, allowed), /order:/);

    assert.throws(
      () => checkConformance(upstream, render(), { ...allowed, '~nothing:here': 'stale' }),
      /allow-list entry is still needed/,
    );
  });
});
