import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import type { ClusterConfig, WeaveVersion } from '../../src/config/types.ts';
import {
  GENERATED_PASSWORD_SOURCE,
  peersFromScript,
  renderWeave,
  weaveImages,
} from '../../src/providers/weave/index.ts';
import type { KubeObject, ProviderOutput, RenderInputs, RenderOptions } from '../../src/render/types.ts';
import { MANAGED_BY_LABEL } from '../../src/render/types.ts';
import {
  type AllowedDifference,
  broaderRules,
  type Difference,
  diffObjects,
  findObject,
  type PolicyRule,
  unexplained,
  upstreamOrSkip,
} from '../support/upstream.ts';

const UPSTREAM = 'weave-v2.8.1/weave-daemonset-k8s-1.11.yaml';
/** The maintained fork's own manifest (tag v2.9.0): rajchaudhuri images, CHECKPOINT_DISABLE set. */
const FORK = 'weave-v2.9.0-fork/weave-daemonset-k8s-1.11.yaml';
const MANIFESTS: Record<string, { file: string; version: WeaveVersion }> = {
  upstream: { file: UPSTREAM, version: '2.8.1' },
  fork: { file: FORK, version: '2.9.0' },
};
const NS = 'kube-system';
const PASSWORD_FILE = '/etc/pharos/weave_passwd';
const NO_SECRETS: RenderOptions = { includeSecrets: false };
const WITH_SECRETS: RenderOptions = { includeSecrets: true };

function config(edit: (c: ClusterConfig) => void = () => {}): ClusterConfig {
  const c = defaultClusterConfig();
  c.baseDir = '/work/cluster';
  // The 2.8.1 manifest is the reference of most tests here; the fork's has its own describe.
  c.network.weave.image_version = '2.8.1';
  edit(c);
  return c;
}

/** Every option set, so every option's difference from upstream shows up at once. */
function allOptions(): ClusterConfig {
  return config((c) => {
    c.network.pod_network_cidr = '172.32.0.0/16';
    c.network.weave.trusted_subnets = ['10.10.0.0/16', '192.168.0.0/24'];
    c.network.weave.ipalloc_default_subnet = '172.32.0.0/20';
    c.network.weave.no_masq_local = true;
    c.network.weave.known_peers = ['203.0.113.10', '203.0.113.11'];
    c.network.weave.password = PASSWORD_FILE;
  });
}

function render(c: ClusterConfig, inputs: RenderInputs = {}, opts = NO_SECRETS): ProviderOutput {
  return renderWeave(c, inputs, opts);
}

function get(out: ProviderOutput, kind: string, name: string, namespace?: string): KubeObject {
  const o = findObject(out.objects, kind, name, namespace);
  assert.ok(o, `${kind} ${namespace ?? ''}/${name} is rendered`);
  return o;
}

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  [k: string]: unknown;
}

function podSpec(
  out: ProviderOutput,
): { containers: Container[]; initContainers: Container[] } & Record<string, unknown> {
  const ds = get(out, 'DaemonSet', 'weave-net', NS) as unknown as { spec: { template: { spec: never } } };
  return ds.spec.template.spec;
}

function container(out: ProviderOutput, name: string): Container {
  const c = podSpec(out).containers.find((x) => x.name === name);
  assert.ok(c, `container ${name}`);
  return c;
}

function env(out: ProviderOutput, name: string): string | undefined {
  const e = container(out, 'weave').env?.find((x) => x.name === name);
  return e?.value;
}

function hasEnv(out: ProviderOutput, name: string): boolean {
  return container(out, 'weave').env?.some((x) => x.name === name) ?? false;
}

const DS = 'spec.template.spec';
const WEAVE_ENV = `${DS}.containers[name=weave].env`;

/** The weaver flags the options should produce, computed here independently of the module. */
function expectedExtraArgs(c: ClusterConfig): string {
  const w = c.network.weave;
  return [
    ...(w.trusted_subnets.length > 0 ? [`--trusted-subnets=${w.trusted_subnets.join(',')}`] : []),
    ...(w.ipalloc_default_subnet ? [`--ipalloc-default-subnet=${w.ipalloc_default_subnet}`] : []),
    // Side-car on: peers come only from it, never from gossip.
    ...(w.peering.enabled ? ['--no-discovery'] : []),
  ].join(' ');
}

/**
 * Every way our DaemonSet may differ from upstream's, each tied to the option that explains it,
 * listed only when that option is set (so an entry that goes unused fails, see `assertConforms`).
 * Anything else is a conformance failure. `fork`: the maintained fork's manifest, which already
 * sets CHECKPOINT_DISABLE.
 */
function allowedDifferences(c: ClusterConfig, fork = false): AllowedDifference[] {
  const w = c.network.weave;
  const images = weaveImages(w.image_version);
  const envAdded = (name: string, reason: string, check: (e: Record<string, unknown>) => boolean) => ({
    path: `${WEAVE_ENV}[name=${name}]`,
    change: 'added' as const,
    reason,
    check: (d: Difference) => check(d.ours as Record<string, unknown>),
  });
  const entries: (AllowedDifference | false)[] = [
    {
      path: /^spec\.template\.spec\.(initContainers\[name=weave-init\]|containers\[name=weave(-npc)?\])\.image$/,
      change: 'changed',
      reason: 'images pinned to the release tag instead of :latest',
      check: (d) =>
        typeof d.upstream === 'string' &&
        d.upstream.endsWith(':latest') &&
        d.ours === d.upstream.replace(/:latest$/, `:${w.image_version}`) &&
        [images.kube, images.npc].includes(d.ours as string),
    },
    {
      path: /^spec\.template\.spec\.(initContainers\[name=weave-init\]|containers\[name=weave(-npc)?\])\.imagePullPolicy$/,
      change: 'changed',
      reason: 'a pinned tag needs no pull on every start (Always only makes sense for :latest)',
      check: (d) => d.upstream === 'Always' && d.ours === 'IfNotPresent',
    },
    {
      path: `${DS}.initContainers[name=weave-init].env`,
      change: 'removed',
      reason: "upstream's empty `env:` parses as null; we leave the field out",
      check: (d) => d.upstream === null,
    },
    envAdded('IPALLOC_RANGE', 'network.pod_network_cidr', (e) => e.value === c.network.pod_network_cidr),
    !fork && envAdded('CHECKPOINT_DISABLE', 'no version checks against the vendor', (e) => e.value === '1'),
    envAdded(
      'NO_MASQ_LOCAL',
      'network.weave.no_masq_local (launch.sh turns it on unless the value is "0")',
      (e) => e.value === (w.no_masq_local ? '1' : '0'),
    ),
    envAdded('CONN_LIMIT', 'unlimited connections: a full mesh past 200 nodes', (e) => e.value === '0'),
    expectedExtraArgs(c) !== '' &&
      envAdded(
        'EXTRA_ARGS',
        'network.weave.trusted_subnets / ipalloc_default_subnet as weaver flags',
        (e) => e.value === expectedExtraArgs(c),
      ),
    w.peering.enabled && {
      path: `${DS}.containers[name=weave-peers]`,
      change: 'added',
      reason: 'network.weave.peering.enabled: the region-aware peering side-car',
      check: (d) => (d.ours as { image?: string }).image === w.peering.image,
    },
    peersFromScript(c) && {
      path: 'spec.template.metadata.annotations',
      change: 'added',
      reason: "the side-car script's digest: a new script rolls the pods",
      check: (d) =>
        /^[0-9a-f]{64}$/.test((d.ours as Record<string, string>)['netpack.io/peers-script-sha256'] ?? ''),
    },
    peersFromScript(c) && {
      path: `${DS}.volumes[name=weave-net-peers]`,
      change: 'added',
      reason: 'ConfigMap weave-net-peers, the side-car script, mounted read-only',
      check: (d) => (d.ours as { configMap?: { name?: string } }).configMap?.name === 'weave-net-peers',
    },
    w.known_peers.length > 0 && {
      path: `${DS}.containers[name=weave].args`,
      change: 'added',
      reason: 'network.weave.known_peers: launch.sh hands its args to weaver as peers, beside the node list',
      check: (d) => JSON.stringify(d.ours) === JSON.stringify(w.known_peers),
    },
    w.ipalloc_init === 'observer' &&
      envAdded('IPALLOC_INIT', 'network.weave.ipalloc_init: observer', (e) => e.value === 'observer'),
    ...(w.iptables_backend === 'auto'
      ? []
      : ['weave', 'weave-npc'].map((name) => ({
          path: `${DS}.containers[name=${name}].env[name=IPTABLES_BACKEND]`,
          change: 'added' as const,
          reason: 'network.weave.iptables_backend',
          check: (d: Difference) => (d.ours as { value?: string }).value === w.iptables_backend,
        }))),
    envAdded('WEAVE_PASSWORD', 'shared secret from Secret weave-passwd', (e) => {
      const ref = (e.valueFrom as { secretKeyRef?: unknown } | undefined)?.secretKeyRef;
      return e.value === undefined && JSON.stringify(ref) === '{"name":"weave-passwd","key":"weave-passwd"}';
    }),
  ];
  return entries.filter((e): e is AllowedDifference => e !== false);
}

/** Side-car on with kubelet DNAT: `patch` on nodes, so it can publish its bridge address. */
function clusterRoleDifferences(c: ClusterConfig): AllowedDifference[] {
  const p = c.network.weave.peering;
  return [
    {
      path: 'rules[4]',
      change: 'added',
      reason: 'network.weave.peering.kubelet_dnat: the side-car annotates its own node',
      check: (d) =>
        p.enabled &&
        p.kubelet_dnat &&
        JSON.stringify(d.ours) ===
          JSON.stringify({ apiGroups: [''], resources: ['nodes'], verbs: ['patch'] }),
    },
  ];
}

/** Objects we render that upstream does not have. */
const EXTRA_OBJECTS = new Map<string, string>([
  ['Service kube-system/weave-net-metrics', 'headless Service for Prometheus discovery of router metrics'],
  ['Service kube-system/weave-npc-metrics', 'headless Service for Prometheus discovery of weave-npc metrics'],
  ['Secret kube-system/weave-passwd', 'network.weave.password with includeSecrets'],
  ['ConfigMap kube-system/weave-net-peers', 'the side-car script, with peering on the node image'],
]);

const ref = (o: KubeObject) =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

function assertConforms(upstream: KubeObject[], c: ClusterConfig, out: ProviderOutput, fork = false): void {
  for (const u of upstream) {
    const ours = findObject(out.objects, u.kind, u.metadata.name, u.metadata.namespace);
    assert.ok(ours, `we render upstream's ${ref(u)}`);
    const allowed =
      u.kind === 'DaemonSet'
        ? allowedDifferences(c, fork)
        : u.kind === 'ClusterRole'
          ? clusterRoleDifferences(c)
          : [];
    const diffs = diffObjects(u, ours);
    assert.deepEqual(unexplained(diffs, allowed), [], `${ref(u)}: differences no option explains`);
    if (u.kind === 'DaemonSet') {
      // Every entry listed for this config explains something: none is left over.
      const unused = allowed
        .filter((a) => unexplained(diffs, [a]).length === diffs.length)
        .map((a) => a.reason);
      assert.deepEqual(unused, [], `${ref(u)}: allow-list entries that explain nothing`);
    }
  }
  for (const o of out.objects) {
    if (findObject(upstream, o.kind, o.metadata.name, o.metadata.namespace)) continue;
    assert.ok(EXTRA_OBJECTS.has(ref(o)), `${ref(o)} is not upstream's and not on the list of extra objects`);
  }
}

describe('weave: conformance with the maintained fork v2.9.0 (the default)', () => {
  const fork = (edit: (c: ClusterConfig) => void = () => {}) =>
    config((c) => {
      c.network.weave.image_version = MANIFESTS.fork!.version;
      edit(c);
    });

  test("default config: the fork's images at 2.9.0, every difference explained, none left over", (t) => {
    const upstream = upstreamOrSkip(t, FORK);
    if (!upstream) return;
    const c = fork();
    const out = render(c);
    assertConforms(upstream, c, out, true);
    assert.equal(container(out, 'weave').image, 'rajchaudhuri/weave-kube:2.9.0');
    assert.equal(container(out, 'weave-npc').image, 'rajchaudhuri/weave-npc:2.9.0');
    assert.equal(podSpec(out).initContainers[0]!.image, 'rajchaudhuri/weave-kube:2.9.0');
  });

  test('every option set, iptables backend and observer included: still explained', (t) => {
    const upstream = upstreamOrSkip(t, FORK);
    if (!upstream) return;
    for (const backend of ['nft', 'legacy'] as const) {
      const c = allOptions();
      c.network.weave.image_version = '2.9.0';
      c.network.weave.iptables_backend = backend;
      c.network.weave.ipalloc_init = 'observer';
      assertConforms(upstream, c, render(c, { weavePassword: 'x\n' }, WITH_SECRETS), true);
    }
  });

  test('an allow-list entry that explains nothing fails (the 2.8.1 list against the fork)', (t) => {
    const upstream = upstreamOrSkip(t, FORK);
    if (!upstream) return;
    const c = fork();
    // Treated as upstream's manifest, CHECKPOINT_DISABLE would be "added" by us: it is not.
    assert.throws(() => assertConforms(upstream, c, render(c), false), /explain nothing/);
  });

  test('iptables_backend: IPTABLES_BACKEND on weave and weave-npc; none with auto', () => {
    const out = render(fork((c) => (c.network.weave.iptables_backend = 'legacy')));
    for (const name of ['weave', 'weave-npc'])
      assert.equal(container(out, name).env?.find((e) => e.name === 'IPTABLES_BACKEND')?.value, 'legacy');
    const auto = render(fork());
    for (const name of ['weave', 'weave-npc'])
      assert.equal(
        container(auto, name).env?.some((e) => e.name === 'IPTABLES_BACKEND'),
        false,
      );
  });

  test('2.8.2..2.8.10 come from the fork too; 2.8.1 from weaveworks', () => {
    assert.deepEqual(weaveImages('2.8.10'), {
      kube: 'rajchaudhuri/weave-kube:2.8.10',
      npc: 'rajchaudhuri/weave-npc:2.8.10',
    });
    assert.deepEqual(weaveImages('2.8.1'), {
      kube: 'weaveworks/weave-kube:2.8.1',
      npc: 'weaveworks/weave-npc:2.8.1',
    });
  });
});

describe('weave: conformance with upstream v2.8.1', () => {
  test('default config: same objects, every difference explained', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    const c = config();
    assertConforms(upstream, c, render(c));
  });

  test('every option set (with the Secret): every difference still explained', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    const c = allOptions();
    const out = render(c, { weavePassword: 'hunter2hunter2\n' }, WITH_SECRETS);
    assert.ok(findObject(out.objects, 'Secret', 'weave-passwd', NS));
    assertConforms(upstream, c, out);
  });

  test('the allow-list is not a blanket: an unexpected change is caught', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    const c = config();
    const out = render(c);
    const ds = structuredClone(get(out, 'DaemonSet', 'weave-net', NS)) as unknown as {
      spec: { template: { spec: { containers: Container[] } } };
    };
    const weave = ds.spec.template.spec.containers[0]!;
    weave.env!.push({ name: 'IPALLOC_RANGE_TYPO', value: 'x' });
    (weave as Record<string, unknown>).readinessProbe = { httpGet: { path: '/status', port: 6784 } };
    const u = findObject(upstream, 'DaemonSet', 'weave-net', NS)!;
    const left = unexplained(diffObjects(u, ds), allowedDifferences(c)).map((d) => d.path);
    assert.deepEqual(left.sort(), [
      `${WEAVE_ENV}[name=IPALLOC_RANGE_TYPO]`,
      `${DS}.containers[name=weave].readinessProbe.httpGet.host`,
    ]);
  });

  test('RBAC rules are no broader than upstream, and none is missing', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    const out = render(allOptions());
    for (const [kind, ns] of [
      ['ClusterRole', undefined],
      ['Role', NS],
    ] as const) {
      const ours = get(out, kind, 'weave-net', ns).rules as PolicyRule[];
      const theirs = findObject(upstream, kind, 'weave-net', ns)!.rules as PolicyRule[];
      assert.deepEqual(broaderRules(ours, theirs), [], `${kind}: rules broader than upstream`);
      assert.deepEqual(broaderRules(theirs, ours), [], `${kind}: upstream rules we lack`);
    }
    // Sanity of the checker itself: a wildcard verb is broader.
    assert.equal(
      broaderRules(
        [{ apiGroups: [''], resources: ['nodes'], verbs: ['*'] }],
        [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }],
      ).length,
      1,
    );
    // A by-name rule is covered by upstream's by-name rule only for the same names.
    const roleRules = findObject(upstream, 'Role', 'weave-net', NS)!.rules as PolicyRule[];
    assert.equal(
      broaderRules(
        [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['other'], verbs: ['update'] }],
        roleRules,
      ).length,
      1,
    );
    assert.equal(
      broaderRules([{ apiGroups: [''], resources: ['configmaps'], verbs: ['update'] }], roleRules).length,
      1,
    );
  });

  test('current API versions', () => {
    const versions = Object.fromEntries(render(config()).objects.map((o) => [o.kind, o.apiVersion]));
    assert.deepEqual(versions, {
      ServiceAccount: 'v1',
      ClusterRole: 'rbac.authorization.k8s.io/v1',
      ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
      Role: 'rbac.authorization.k8s.io/v1',
      RoleBinding: 'rbac.authorization.k8s.io/v1',
      DaemonSet: 'apps/v1',
      Service: 'v1',
    });
  });
});

describe('weave: options', () => {
  test('IPALLOC_RANGE is the pod network', () => {
    assert.equal(env(render(config()), 'IPALLOC_RANGE'), '10.32.0.0/12');
    const c = config((c) => {
      c.network.pod_network_cidr = '172.32.0.0/16';
    });
    assert.equal(env(render(c), 'IPALLOC_RANGE'), '172.32.0.0/16');
  });

  test('CHECKPOINT_DISABLE is always 1', () => {
    assert.equal(env(render(config()), 'CHECKPOINT_DISABLE'), '1');
  });

  test('no EXTRA_ARGS without trusted_subnets or ipalloc_default_subnet', () => {
    assert.equal(hasEnv(render(config()), 'EXTRA_ARGS'), false);
  });

  test('trusted_subnets → --trusted-subnets=a,b in EXTRA_ARGS', () => {
    const c = config((c) => {
      c.network.weave.trusted_subnets = ['10.10.0.0/16', '10.20.0.0/16'];
    });
    assert.equal(env(render(c), 'EXTRA_ARGS'), '--trusted-subnets=10.10.0.0/16,10.20.0.0/16');
  });

  test('ipalloc_default_subnet → --ipalloc-default-subnet=X in EXTRA_ARGS', () => {
    const c = config((c) => {
      c.network.weave.ipalloc_default_subnet = '10.32.0.0/16';
    });
    assert.equal(env(render(c), 'EXTRA_ARGS'), '--ipalloc-default-subnet=10.32.0.0/16');
  });

  test('both flags share EXTRA_ARGS, one word each (launch.sh word-splits it)', () => {
    const value = env(render(allOptions()), 'EXTRA_ARGS');
    assert.deepEqual(value?.split(/\s+/), [
      '--trusted-subnets=10.10.0.0/16,192.168.0.0/24',
      '--ipalloc-default-subnet=172.32.0.0/20',
    ]);
  });

  test('no_masq_local: "1" when true, an explicit "0" when false (2.8.1 defaults it on)', () => {
    assert.equal(env(render(config()), 'NO_MASQ_LOCAL'), '0');
    const c = config((c) => {
      c.network.weave.no_masq_local = true;
    });
    assert.equal(env(render(c), 'NO_MASQ_LOCAL'), '1');
  });

  test("known_peers → the weave container's args (peers beside the node list), never KUBE_PEERS", () => {
    assert.equal(hasEnv(render(config()), 'KUBE_PEERS'), false);
    assert.equal(container(render(config()), 'weave').args, undefined);
    const c = config((c) => {
      c.network.weave.known_peers = ['203.0.113.10', '203.0.113.11', 'peer.example.com'];
    });
    // KUBE_PEERS would replace the Kubernetes node list that launch.sh otherwise fetches.
    assert.equal(hasEnv(render(c), 'KUBE_PEERS'), false);
    assert.deepEqual(container(render(c), 'weave').args, [
      '203.0.113.10',
      '203.0.113.11',
      'peer.example.com',
    ]);
  });

  test('CONN_LIMIT is 0 (unlimited); IPALLOC_INIT only for observer', () => {
    assert.equal(env(render(config()), 'CONN_LIMIT'), '0');
    assert.equal(hasEnv(render(config()), 'IPALLOC_INIT'), false);
    assert.equal(
      env(render(config((c) => (c.network.weave.ipalloc_init = 'observer'))), 'IPALLOC_INIT'),
      'observer',
    );
  });

  test('WEAVE_PASSWORD always comes from Secret weave-passwd, never a literal', () => {
    for (const out of [
      render(config()),
      render(allOptions(), { weavePassword: 'pw-literal' }, WITH_SECRETS),
    ]) {
      const e = container(out, 'weave').env?.find((x) => x.name === 'WEAVE_PASSWORD');
      assert.deepEqual(e, {
        name: 'WEAVE_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'weave-passwd', key: 'weave-passwd' } },
      });
    }
  });
});

describe('weave: password Secret', () => {
  const secretValue = 'correct-horse-battery-staple';
  const b64 = Buffer.from(secretValue).toString('base64');
  const withFile = () =>
    config((c) => {
      c.network.weave.password = PASSWORD_FILE;
    });

  test('file + includeSecrets: Secret rendered from the file, trailing newline trimmed, nothing pending', () => {
    const out = render(withFile(), { weavePassword: `${secretValue}\n` }, WITH_SECRETS);
    const s = get(out, 'Secret', 'weave-passwd', NS);
    assert.equal(s.type, 'Opaque');
    assert.deepEqual(s.data, { 'weave-passwd': b64 });
    assert.deepEqual(out.pendingSecrets, []);
    assert.equal(out.diagnostics, undefined);
    // The value appears in the Secret and nowhere else.
    const others = JSON.stringify(out.objects.filter((o) => o.kind !== 'Secret'));
    assert.ok(!others.includes(secretValue) && !others.includes(b64));
  });

  test('CRLF line ending is trimmed too', () => {
    const out = render(withFile(), { weavePassword: `${secretValue}\r\n` }, WITH_SECRETS);
    assert.deepEqual(get(out, 'Secret', 'weave-passwd', NS).data, { 'weave-passwd': b64 });
  });

  test('surrounding whitespace is stripped, as Pharos read the file (spaces, tabs, blank lines)', () => {
    for (const text of [`  ${secretValue}  \n`, `\n\t${secretValue}\n\n`, ` ${secretValue}\r\n`]) {
      const out = render(withFile(), { weavePassword: text }, WITH_SECRETS);
      assert.deepEqual(
        get(out, 'Secret', 'weave-passwd', NS).data,
        { 'weave-passwd': b64 },
        JSON.stringify(text),
      );
    }
  });

  test('file without includeSecrets: no Secret, no value anywhere, a pending Secret naming the file', () => {
    const out = render(withFile(), { weavePassword: `${secretValue}\n` }, NO_SECRETS);
    assert.equal(findObject(out.objects, 'Secret', 'weave-passwd', NS), undefined);
    assert.deepEqual(out.pendingSecrets, [
      { namespace: NS, name: 'weave-passwd', source: `file ${PASSWORD_FILE}`, createOnly: true },
    ]);
    const all = JSON.stringify(out);
    assert.ok(!all.includes(secretValue), 'password value leaked into the output');
    assert.ok(!all.includes(b64), 'base64 password leaked into the output');
  });

  test('no password file: a generated password is pending, with or without includeSecrets', () => {
    for (const opts of [NO_SECRETS, WITH_SECRETS]) {
      const out = render(config(), {}, opts);
      assert.equal(findObject(out.objects, 'Secret', 'weave-passwd', NS), undefined);
      assert.deepEqual(out.pendingSecrets, [
        { namespace: NS, name: 'weave-passwd', source: GENERATED_PASSWORD_SOURCE, createOnly: true },
      ]);
    }
  });

  test('includeSecrets but the file was not read: an error, no Secret, still pending', () => {
    const out = render(withFile(), {}, WITH_SECRETS);
    assert.equal(findObject(out.objects, 'Secret', 'weave-passwd', NS), undefined);
    assert.equal(out.diagnostics?.[0]?.severity, 'error');
    assert.equal(out.diagnostics?.[0]?.path, 'network.weave.password');
    assert.equal(out.pendingSecrets.length, 1);
  });

  test('an empty password file is an error (weave would silently run unencrypted)', () => {
    const out = render(withFile(), { weavePassword: '\n' }, WITH_SECRETS);
    assert.equal(findObject(out.objects, 'Secret', 'weave-passwd', NS), undefined);
    assert.equal(out.diagnostics?.[0]?.severity, 'error');
    assert.match(out.diagnostics?.[0]?.message ?? '', /empty/);
  });
});

describe('weave: metrics Services', () => {
  test('headless Services on 6782 (router) and 6781 (npc) select the weave-net pods', () => {
    const out = render(config());
    const podLabels = (
      get(out, 'DaemonSet', 'weave-net', NS) as unknown as {
        spec: { template: { metadata: { labels: object } } };
      }
    ).spec.template.metadata.labels;
    for (const [name, port] of [
      ['weave-net-metrics', 6782],
      ['weave-npc-metrics', 6781],
    ] as const) {
      const svc = get(out, 'Service', name, NS) as KubeObject & {
        spec: {
          clusterIP: string;
          selector: Record<string, string>;
          ports: { port: number; targetPort: number }[];
        };
      };
      assert.equal(svc.spec.clusterIP, 'None');
      assert.deepEqual(
        svc.spec.ports.map((p) => [p.port, p.targetPort]),
        [[port, port]],
      );
      for (const [k, v] of Object.entries(svc.spec.selector))
        assert.equal((podLabels as Record<string, string>)[k], v);
      assert.equal(svc.metadata.annotations?.['prometheus.io/scrape'], 'true');
      assert.equal(svc.metadata.annotations?.['prometheus.io/port'], String(port));
    }
  });
});

describe('weave: output hygiene', () => {
  test('deterministic: rendering twice gives identical JSON, and the config is not mutated', () => {
    const c = allOptions();
    const before = structuredClone(c);
    const inputs = { weavePassword: 'pw\n' };
    const a = JSON.stringify(render(c, inputs, WITH_SECRETS));
    const b = JSON.stringify(render(c, inputs, WITH_SECRETS));
    assert.equal(a, b);
    assert.deepEqual(c, before);
  });

  test('no :latest image, no common labels (the orchestrator adds those), namespaced in kube-system', () => {
    const out = render(allOptions());
    const json = JSON.stringify(out);
    assert.ok(!json.includes(':latest'));
    assert.ok(!json.includes(MANAGED_BY_LABEL));
    for (const o of out.objects) {
      const clusterScoped = o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding';
      assert.equal(o.metadata.namespace, clusterScoped ? undefined : NS, ref(o));
    }
  });

  test('pod spec: init container, two containers (the side-car seam adds none), host network', () => {
    const spec = podSpec(render(allOptions()));
    assert.deepEqual(
      spec.initContainers.map((c) => c.name),
      ['weave-init'],
    );
    assert.deepEqual(
      spec.containers.map((c) => [c.name, c.image]),
      [
        ['weave', 'weaveworks/weave-kube:2.8.1'],
        ['weave-npc', 'weaveworks/weave-npc:2.8.1'],
      ],
    );
    assert.equal(spec.hostNetwork, true);
  });
});

/** The side-car container's fields these tests read. */
interface SideCar extends Container {
  command: string[];
  ports: { containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: number } };
  readinessProbe: { httpGet: { path: string; port: number } };
  resources: { requests: { cpu?: string }; limits: { memory?: string } };
  securityContext: { runAsNonRoot?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: unknown };
  volumeMounts?: unknown[];
}

function withPeering(kubeletDnat: boolean): ClusterConfig {
  const c = allOptions();
  c.network.weave.peering = {
    enabled: true,
    image: 'registry.example.com/netpack:9.9.9',
    kubelet_dnat: kubeletDnat,
  };
  return c;
}

describe('weave: peering side-car', () => {
  test('on the default node image: the script in ConfigMap weave-net-peers, mounted, digest on the pods; conformant', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    const c = allOptions();
    c.network.weave.peering.enabled = true;
    const out = render(c, { peersScript: '// the side-car\n' });
    assert.deepEqual(out.diagnostics ?? [], []);
    assertConforms(upstream, c, out);
    const cm = get(out, 'ConfigMap', 'weave-net-peers', NS);
    assert.deepEqual(cm.data, { 'sidecar.cjs': '// the side-car\n' });
    const sc = container(out, 'weave-peers') as SideCar;
    assert.equal(sc.image, c.network.weave.peering.image);
    assert.deepEqual(sc.command.slice(0, 4), ['node', '/netpack/sidecar.cjs', 'peers', 'run']);
    assert.deepEqual(sc.volumeMounts, [{ name: 'weave-net-peers', mountPath: '/netpack', readOnly: true }]);
    // Without the built script: an error, not a pod that cannot start.
    const missing = render(c, {});
    assert.ok(
      missing.diagnostics?.some((d) => d.severity === 'error' && d.path === 'network.weave.peering.enabled'),
    );
  });

  test('side-car on (with and without kubelet DNAT): every difference from upstream still explained', (t) => {
    const upstream = upstreamOrSkip(t, UPSTREAM);
    if (!upstream) return;
    for (const dnat of [false, true]) {
      const c = withPeering(dnat);
      assertConforms(upstream, c, render(c));
    }
  });

  test('the side-car container: image from config, netpack peers run, NODE_NAME from spec.nodeName, probes, port', () => {
    const out = render(withPeering(false));
    const sc = container(out, 'weave-peers') as SideCar;
    assert.equal(sc.image, 'registry.example.com/netpack:9.9.9');
    assert.deepEqual(sc.command.slice(0, 3), ['netpack', 'peers', 'run']);
    assert.deepEqual(sc.env!.find((e) => e.name === 'NODE_NAME')?.valueFrom, {
      fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' },
    });
    assert.equal(sc.env!.find((e) => e.name === 'KNOWN_PEERS')?.value, '203.0.113.10 203.0.113.11');
    assert.equal(
      sc.env!.some((e) => e.name === 'KUBELET_DNAT'),
      false,
    );
    assert.equal(sc.livenessProbe.httpGet.path, '/healthz');
    assert.equal(sc.readinessProbe.httpGet.path, '/healthz');
    assert.equal(sc.livenessProbe.httpGet.port, sc.ports[0]!.containerPort);
    assert.ok(sc.command.includes(`--listen=:${sc.ports[0]!.containerPort}`));
    assert.ok(sc.resources.requests.cpu && sc.resources.limits.memory);
    assert.equal(sc.securityContext.runAsNonRoot, true);
    assert.deepEqual(sc.securityContext.capabilities, { drop: ['ALL'] });
  });

  test('--no-discovery only with the side-car', () => {
    assert.match(env(render(withPeering(false)), 'EXTRA_ARGS') ?? '', /(^| )--no-discovery$/);
    assert.doesNotMatch(env(render(allOptions()), 'EXTRA_ARGS') ?? '', /no-discovery/);
    assert.equal(hasEnv(render(config()), 'EXTRA_ARGS'), false);
  });

  test('RBAC: nothing beyond upstream without DNAT; DNAT adds exactly patch on nodes', () => {
    const rules = (c: ClusterConfig) => get(render(c), 'ClusterRole', 'weave-net').rules as PolicyRule[];
    assert.deepEqual(rules(withPeering(false)), rules(allOptions()));
    const extra = broaderRules(rules(withPeering(true)), rules(allOptions()));
    assert.deepEqual(extra, [{ apiGroups: [''], resources: ['nodes'], verbs: ['patch'] }]);
    // Side-car off, DNAT switch alone grants nothing.
    const c = allOptions();
    c.network.weave.peering.kubelet_dnat = true;
    assert.deepEqual(rules(c), rules(allOptions()));
  });

  test('kubelet DNAT: root with NET_ADMIN/NET_RAW only, the xtables lock, KUBELET_DNAT=true', () => {
    const sc = container(render(withPeering(true)), 'weave-peers') as SideCar;
    assert.deepEqual(sc.securityContext.capabilities, { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] });
    assert.equal(sc.securityContext.allowPrivilegeEscalation, false);
    assert.equal(sc.env!.find((e) => e.name === 'KUBELET_DNAT')?.value, 'true');
    assert.deepEqual(sc.volumeMounts, [
      { name: 'xtables-lock', mountPath: '/run/xtables.lock', readOnly: false },
    ]);
  });

  test('off by default: no side-car', () => {
    assert.equal(
      podSpec(render(config())).containers.some((c) => c.name === 'weave-peers'),
      false,
    );
  });
});

describe('weave: schema', () => {
  test('every object validates against the Kubernetes OpenAPI schema of its kind', () => {
    const models: Record<string, new (data: never) => { validate(): void }> = {
      ServiceAccount,
      ClusterRole,
      ClusterRoleBinding,
      Role,
      RoleBinding,
      DaemonSet,
      Service,
      Secret,
    };
    const out = render(allOptions(), { weavePassword: 'pw\n' }, WITH_SECRETS);
    assert.ok(out.objects.some((o) => o.kind === 'Secret'));
    out.objects.push(
      ...render(withPeering(true)).objects.filter((o) => o.kind === 'DaemonSet' || o.kind === 'ClusterRole'),
    );
    for (const o of out.objects) {
      const Model = models[o.kind];
      assert.ok(Model, `no schema model for ${o.kind}`);
      assert.doesNotThrow(() => new Model(structuredClone(o) as never).validate(), ref(o));
    }
  });
});
