/**
 * Each option's default, and that a value written in the file replaces it (with the file
 * position recorded as its origin).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultDnsReplicas } from '../../src/config/defaults.ts';
import { defaultNetwork } from '../../src/config/resolve.ts';
import { at, BASE, expectClean, expectValid, FILE, load, yml } from './helpers.ts';

/** Asserts every leaf of `expected` (maps are descended, lists compared whole) equals `actual`'s. */
function assertLeaves(actual: unknown, expected: unknown, path: string): void {
  if (
    expected !== null &&
    typeof expected === 'object' &&
    !Array.isArray(expected) &&
    Object.keys(expected).length > 0
  ) {
    assert.ok(actual !== null && typeof actual === 'object', `${path} should be a map`);
    for (const [k, v] of Object.entries(expected))
      assertLeaves((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else assert.deepEqual(actual, expected, path);
}

function hostsYaml(n: number): string {
  if (n === 0) return '';
  const lines = ['hosts:'];
  for (let i = 0; i < n; i++)
    lines.push(`  - address: 192.0.2.${i + 1}`, `    role: ${i === 0 ? 'master' : 'worker'}`);
  return `${lines.join('\n')}\n`;
}

describe('defaults', () => {
  for (const [label, text] of [
    ['an empty file', ''],
    ['a file with only comments', '# nothing here\n'],
    ['network: {}', 'network: {}\n'],
  ] as const) {
    test(`${label} gives the built-in defaults for every option`, () => {
      const c = expectClean(load(text));
      assert.equal(c.file, FILE);
      assert.equal(c.baseDir, BASE);
      assert.deepEqual(c.hosts, []);
      const expected: Record<string, unknown> = {
        provider: 'weave',
        service_cidr: '10.96.0.0/12',
        pod_network_cidr: '10.32.0.0/12',
        node_local_dns_cache: { enabled: true },
        dns_replicas: 1,
        weave: { trusted_subnets: [], no_masq_local: false, known_peers: [], remote_subnets: [] },
        calico: {
          encapsulation: 'ipip',
          mode: 'Always',
          mtu: 'auto',
          nat_outgoing: true,
          ip_autodetection_method: 'kubernetes-internal-ip',
          environment: {},
          datastore: 'kubernetes',
        },
        kube_proxy_mode: 'iptables',
      };
      // Option by option (the model also carries options outside this suite, e.g. firewalld).
      assertLeaves(c.network, expected, 'network');
      // Absent optional options stay absent rather than appearing as undefined values.
      for (const key of ['cloud', 'image_repository', 'custom'])
        assert.equal(key in c.network, false, `${key} should be unset`);
      assert.equal('password' in c.network.weave, false);
      assert.equal('ipalloc_default_subnet' in c.network.weave, false);
      assert.equal('etcd' in c.network.calico, false);
    });
  }

  test('the loader default equals defaultNetwork()', () => {
    const c = expectClean(load(''));
    assert.deepEqual(c.network, defaultNetwork());
  });

  test('every defaulted option records a default origin', () => {
    const { origins } = load('');
    for (const path of [
      'network.provider',
      'network.service_cidr',
      'network.pod_network_cidr',
      'network.node_local_dns_cache',
      'network.dns_replicas',
      'network.cloud',
      'network.image_repository',
      'network.kube_proxy_mode',
      'network.weave.trusted_subnets',
      'network.weave.no_masq_local',
      'network.weave.known_peers',
      'network.weave.remote_subnets',
      'network.calico.encapsulation',
      'network.calico.mode',
      'network.calico.nat_outgoing',
      'network.calico.environment',
      'network.calico.datastore',
    ]) {
      assert.deepEqual(origins[path], { from: 'default' }, path);
    }
    // Defaults that depend on something carry the reason explain shows.
    for (const path of ['network.calico.mtu', 'network.calico.ip_autodetection_method'])
      assert.equal(origins[path]?.from, 'default', path);
  });

  describe('dns_replicas: 1 for at most one host, else 1 + ceil(hosts/10)', () => {
    for (const [hosts, replicas] of [
      [0, 1],
      [1, 1],
      [2, 2],
      [9, 2],
      [10, 2],
      [11, 3],
      [20, 3],
      [21, 4],
    ] as const) {
      test(`${hosts} hosts → ${replicas}`, () => {
        assert.equal(defaultDnsReplicas(hosts), replicas);
        const c = expectClean(load(hostsYaml(hosts)));
        assert.equal(c.hosts.length, hosts);
        assert.equal(c.network.dns_replicas, replicas);
      });
    }

    test('a written value wins over the host-count default', () => {
      const text = hostsYaml(11) + 'network:\n  dns_replicas: 1\n';
      const r = load(text);
      // Valid, with the warning that netpack deploys no CoreDNS (test/config/providers.test.ts).
      const c = expectValid(r);
      assert.deepEqual(
        r.diagnostics.map((d) => `${d.severity} ${d.path}`),
        ['warning network.dns_replicas'],
      );
      assert.equal(c.network.dns_replicas, 1);
      assert.deepEqual(r.origins['network.dns_replicas'], {
        from: 'file',
        path: 'network.dns_replicas',
        line: 25,
        col: 17,
      });
    });

    test('without hosts any positive number is accepted', () => {
      assert.equal(expectValid(load('network:\n  dns_replicas: 7\n')).network.dns_replicas, 7);
    });
  });
});

describe('each option, written in the file', () => {
  const cases: {
    name: string;
    text: string;
    canonical: string;
    needle: string;
    check: (c: ReturnType<typeof expectClean>) => void;
    /** Paths of the warnings the option gives (none by default). */
    warnings?: string[];
  }[] = [
    {
      name: 'provider calico',
      text: 'network:\n  provider: calico\n',
      canonical: 'network.provider',
      needle: 'calico',
      check: (c) => assert.equal(c.network.provider, 'calico'),
    },
    {
      name: 'service_cidr',
      text: 'network:\n  service_cidr: 172.31.0.0/16\n',
      canonical: 'network.service_cidr',
      needle: '172.31.0.0/16',
      check: (c) => assert.equal(c.network.service_cidr, '172.31.0.0/16'),
    },
    {
      name: 'pod_network_cidr',
      text: 'network:\n  pod_network_cidr: 10.244.0.0/16\n',
      canonical: 'network.pod_network_cidr',
      needle: '10.244.0.0/16',
      check: (c) => assert.equal(c.network.pod_network_cidr, '10.244.0.0/16'),
    },
    {
      name: 'node_local_dns_cache as a boolean',
      text: 'network:\n  node_local_dns_cache: false\n',
      canonical: 'network.node_local_dns_cache',
      needle: 'false',
      check: (c) => assert.deepEqual(c.network.node_local_dns_cache, { enabled: false }),
    },
    {
      name: 'node_local_dns_cache as a map',
      text: 'network:\n  node_local_dns_cache:\n    enabled: false\n',
      canonical: 'network.node_local_dns_cache',
      needle: 'enabled',
      check: (c) => assert.deepEqual(c.network.node_local_dns_cache, { enabled: false }),
    },
    {
      name: 'dns_replicas',
      text: 'network:\n  dns_replicas: 3\n',
      canonical: 'network.dns_replicas',
      needle: '3',
      check: (c) => assert.equal(c.network.dns_replicas, 3),
      // Accepted, but netpack deploys no CoreDNS: it says so.
      warnings: ['network.dns_replicas'],
    },
    {
      name: 'cloud',
      text: 'network:\n  cloud: gcp\n',
      canonical: 'network.cloud',
      needle: 'gcp',
      check: (c) => assert.equal(c.network.cloud, 'gcp'),
    },
    {
      name: 'image_repository',
      text: 'network:\n  image_repository: registry.example.com/mirror\n',
      canonical: 'network.image_repository',
      needle: 'registry.example.com',
      check: (c) => assert.equal(c.network.image_repository, 'registry.example.com/mirror'),
    },
    {
      name: 'kube_proxy.mode',
      text: 'kube_proxy:\n  mode: iptables\n',
      canonical: 'network.kube_proxy_mode',
      needle: 'iptables',
      check: (c) => assert.equal(c.network.kube_proxy_mode, 'iptables'),
    },
    {
      name: 'weave.no_masq_local',
      text: 'network:\n  weave:\n    no_masq_local: true\n',
      canonical: 'network.weave.no_masq_local',
      needle: 'true',
      check: (c) => assert.equal(c.network.weave.no_masq_local, true),
    },
    {
      name: 'weave.known_peers',
      text: 'network:\n  weave:\n    password: weave.secret\n    known_peers: [192.0.2.7, 2001:db8::7]\n',
      canonical: 'network.weave.known_peers',
      needle: '[',
      check: (c) => assert.deepEqual(c.network.weave.known_peers, ['192.0.2.7', '2001:db8::7']),
    },
    {
      name: 'weave.trusted_subnets',
      text: 'network:\n  weave:\n    trusted_subnets: [192.0.2.0/24]\n',
      canonical: 'network.weave.trusted_subnets',
      needle: '[',
      check: (c) => assert.deepEqual(c.network.weave.trusted_subnets, ['192.0.2.0/24']),
    },
    {
      name: 'weave.ipalloc_default_subnet',
      text: 'network:\n  weave:\n    ipalloc_default_subnet: 10.32.0.0/16\n',
      canonical: 'network.weave.ipalloc_default_subnet',
      needle: '10.32.0.0/16',
      check: (c) => assert.equal(c.network.weave.ipalloc_default_subnet, '10.32.0.0/16'),
    },
    {
      name: 'weave.remote_subnets',
      text: 'network:\n  weave:\n    ipalloc_default_subnet: 10.32.0.0/16\n    remote_subnets: [10.40.0.0/16]\n',
      canonical: 'network.weave.remote_subnets',
      needle: '[',
      check: (c) => assert.deepEqual(c.network.weave.remote_subnets, ['10.40.0.0/16']),
    },
    {
      name: 'weave.password (resolved against the cluster file directory)',
      text: 'network:\n  weave:\n    password: weave.secret\n',
      canonical: 'network.weave.password',
      needle: 'weave.secret',
      check: (c) => assert.equal(c.network.weave.password, `${BASE}/weave.secret`),
    },
    {
      name: 'calico.encapsulation',
      text: 'network:\n  provider: calico\n  calico:\n    encapsulation: vxlan\n',
      canonical: 'network.calico.encapsulation',
      needle: 'vxlan',
      check: (c) => assert.equal(c.network.calico.encapsulation, 'vxlan'),
    },
    {
      name: 'calico.mode',
      text: 'network:\n  provider: calico\n  calico:\n    mode: CrossSubnet\n',
      canonical: 'network.calico.mode',
      needle: 'CrossSubnet',
      check: (c) => assert.equal(c.network.calico.mode, 'CrossSubnet'),
    },
    {
      name: 'calico.mtu',
      text: 'network:\n  provider: calico\n  calico:\n    mtu: 9000\n',
      canonical: 'network.calico.mtu',
      needle: '9000',
      check: (c) => assert.equal(c.network.calico.mtu, 9000),
    },
    {
      name: 'calico.nat_outgoing',
      text: 'network:\n  provider: calico\n  calico:\n    nat_outgoing: false\n',
      canonical: 'network.calico.nat_outgoing',
      needle: 'false',
      check: (c) => assert.equal(c.network.calico.nat_outgoing, false),
    },
    {
      name: 'calico.datastore',
      text: yml`
        network:
          provider: calico
          calico:
            datastore: etcd
            etcd:
              endpoints: [https://192.0.2.10:2379]
      `,
      canonical: 'network.calico.datastore',
      needle: 'etcd\n',
      check: (c) => {
        assert.equal(c.network.calico.datastore, 'etcd');
        assert.deepEqual(c.network.calico.etcd, { endpoints: ['https://192.0.2.10:2379'] });
      },
    },
    {
      name: 'calico.environment (values become strings)',
      text: yml`
        network:
          provider: calico
          calico:
            environment:
              FELIX_LOGSEVERITYSCREEN: info
              FELIX_PROMETHEUSMETRICSENABLED: false
              FELIX_PROMETHEUSMETRICSPORT: 9091
      `,
      canonical: 'network.calico.environment',
      needle: 'FELIX_LOGSEVERITYSCREEN',
      check: (c) =>
        assert.deepEqual(c.network.calico.environment, {
          FELIX_LOGSEVERITYSCREEN: 'info',
          FELIX_PROMETHEUSMETRICSENABLED: 'false',
          FELIX_PROMETHEUSMETRICSPORT: '9091',
        }),
    },
    {
      name: 'custom.manifest_path and options',
      text: yml`
        network:
          provider: custom
          custom:
            manifest_path: manifests
            options:
              replicas: 2
      `,
      canonical: 'network.custom.manifest_path',
      needle: 'manifests',
      check: (c) =>
        assert.deepEqual(c.network.custom, { manifest_path: `${BASE}/manifests`, options: { replicas: 2 } }),
    },
  ];

  for (const k of cases) {
    test(k.name, () => {
      const r = load(k.text);
      assert.deepEqual(
        r.diagnostics.map((d) => `${d.severity} ${d.path}`),
        (k.warnings ?? []).map((w) => `warning ${w}`),
      );
      k.check(expectValid(r));
      assert.deepEqual(r.origins[k.canonical], {
        from: 'file',
        path: k.canonical.replace('network.kube_proxy_mode', 'kube_proxy.mode'),
        ...at(k.text, k.needle),
      });
    });
  }

  test('custom.options defaults to {}', () => {
    const c = expectClean(load('network:\n  provider: custom\n  custom:\n    manifest_path: manifest.yml\n'));
    assert.deepEqual(c.network.custom, { manifest_path: `${BASE}/manifest.yml`, options: {} });
  });

  test('absolute paths are kept as written', () => {
    const c = expectClean(load('network:\n  weave:\n    password: /etc/pharos/weave.secret\n'));
    assert.equal(c.network.weave.password, '/etc/pharos/weave.secret');
  });

  test('raw keeps the whole parsed file, Pharos keys included', () => {
    const c = expectClean(load('name: prod\naddons: {}\nnetwork:\n  provider: weave\n'));
    assert.deepEqual(c.raw, { name: 'prod', addons: {}, network: { provider: 'weave' } });
  });
});
