/**
 * Issue 14's Calico half in the config model: the node address (ip_autodetection_method), the
 * MTU default per cloud, Azure with unencapsulated VXLAN, a backend that cannot route the pool,
 * kube-proxy's nftables mode and max_nodes per IPAM. Every default with its origin; every
 * refusal at the line the operator wrote.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkAutodetectionMethod } from '../../src/config/autodetect.ts';
import { deriveFacts, deriveValues } from '../../src/config/derived.ts';
import { explain, explainText } from '../../src/config/explain.ts';
import { renderCalico } from '../../src/providers/calico/index.ts';
import { renderNodeLocalDns } from '../../src/providers/nodelocaldns/index.ts';
import { at, expectClean, expectOnly, expectValid, load, yml } from './helpers.ts';

/** A Calico cluster file with these hosts (JSON is YAML). */
function calicoWithHosts(hosts: Record<string, string>[]): string {
  return JSON.stringify({ network: { provider: 'calico' }, hosts });
}

/** calico-node's env in a render of `text`. */
function nodeEnv(text: string): { name: string; value?: string }[] {
  const c = expectClean(load(text));
  const ds = renderCalico(c, {}, { includeSecrets: false }).objects.find(
    (o) => o.kind === 'DaemonSet' && o.metadata.name === 'calico-node',
  );
  assert.ok(ds);
  const spec = ds.spec as {
    template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
  };
  return spec.template.spec.containers[0]?.env ?? [];
}

describe('calico.ip_autodetection_method', () => {
  test('without hosts: kubernetes-internal-ip, with the reason as its origin', () => {
    const r = load('network:\n  provider: calico\n');
    const c = expectClean(r);
    assert.equal(c.network.calico.ip_autodetection_method, 'kubernetes-internal-ip');
    const origin = r.origins['network.calico.ip_autodetection_method'];
    assert.equal(origin?.from, 'default');
    assert.match(origin?.from === 'default' ? (origin.reason ?? '') : '', /InternalIP/);
  });

  test('a master with a private address: can-reach= that address, as Pharos did', () => {
    const r = load(
      calicoWithHosts([
        { address: '203.0.113.10', role: 'worker', private_address: '10.0.0.10' },
        { address: '203.0.113.11', role: 'master', private_address: '10.0.0.11' },
      ]),
    );
    const c = expectClean(r);
    assert.equal(c.network.calico.ip_autodetection_method, 'can-reach=10.0.0.11');
    const shown = explainText(explain(c, r.origins));
    assert.match(
      shown,
      /^network\.calico\.ip_autodetection_method: can-reach=10\.0\.0\.11 +# default \(hosts\[1\]/m,
    );
  });

  test('masters without an IPv4 private address fall back to kubernetes-internal-ip', () => {
    const text = calicoWithHosts([
      { address: '10.0.0.11', role: 'master' },
      { address: '10.0.0.12', role: 'master', private_address: 'fd00::12' },
      { address: '10.0.0.13', role: 'master', private_address: 'master-3.internal' },
      { address: '10.0.0.14', role: 'worker', private_address: '10.1.0.14' },
    ]);
    assert.equal(expectClean(load(text)).network.calico.ip_autodetection_method, 'kubernetes-internal-ip');
  });

  for (const method of [
    'first-found',
    'kubernetes-internal-ip',
    'can-reach=10.0.0.1',
    'can-reach=www.example.com',
    'interface=eth.*',
    'interface=eth0,ens[0-9]+',
    'skip-interface=docker.*',
    'cidr=10.0.0.0/16,192.168.0.0/24',
  ]) {
    test(`${method} is accepted and rendered into calico-node`, () => {
      const env = nodeEnv(
        `network:\n  provider: calico\n  calico:\n    ip_autodetection_method: "${method}"\n`,
      );
      assert.equal(env.find((e) => e.name === 'IP_AUTODETECTION_METHOD')?.value, method);
    });
  }

  for (const [method, why] of [
    ['first-fond', /unknown method "first-fond"/],
    ['can-reach=', /nothing after/],
    ['can-reach=10.0.0.300', /octet above 255/],
    ['interface=eth[0-9', /not a regular expression/],
    ['skip-interface=(docker', /not a regular expression/],
    ['cidr=10.0.0.0/33', /./],
    ['cidr=10.0.0.0/16,', /empty entry/],
    ['interface=', /nothing after/],
  ] as const) {
    test(`${method} is refused at its position: ${why}`, () => {
      expectOnly(
        load(`network:\n  provider: calico\n  calico:\n    ip_autodetection_method: "${method}"\n`),
        [{ code: 'InvalidAutodetection', path: 'network.calico.ip_autodetection_method', line: 4, col: 30 }],
      );
      const checked = checkAutodetectionMethod(method);
      assert.equal(checked.ok, false);
      if (!checked.ok) assert.match(checked.reason, why);
    });
  }

  test('environment.IP_AUTODETECTION_METHOD is the same setting: checked, and a conflict is an error', () => {
    const bad = yml`
      network:
        provider: calico
        calico:
          environment:
            IP_AUTODETECTION_METHOD: interface=(eth
    `;
    expectOnly(load(bad), [
      {
        code: 'InvalidAutodetection',
        path: 'network.calico.environment.IP_AUTODETECTION_METHOD',
        line: 5,
        col: 32,
      },
    ]);
    const both = yml`
      network:
        provider: calico
        calico:
          ip_autodetection_method: interface=eth1
          environment:
            IP_AUTODETECTION_METHOD: interface=eth0
    `;
    expectOnly(load(both), [
      {
        code: 'AliasConflict',
        path: 'network.calico.environment.IP_AUTODETECTION_METHOD',
        line: 6,
        col: 32,
      },
    ]);
    const envOnly = yml`
      network:
        provider: calico
        calico:
          environment:
            IP_AUTODETECTION_METHOD: interface=eth0
    `;
    assert.equal(expectClean(load(envOnly)).network.calico.ip_autodetection_method, 'interface=eth0');
  });
});

describe('calico.mtu default', () => {
  for (const [cloud, mtu, workload] of [
    [
      undefined,
      'auto',
      /^auto: Calico detects the host interface's MTU and gives pods that minus 20 for IP-in-IP$/,
    ],
    ['gcp', 1460, /^1440 \(1460 − 20 for IP-in-IP\)$/],
    ['aws', 9001, /^8981 \(9001 − 20 for IP-in-IP\)$/],
    ['vmware', 'auto', /^auto:/],
  ] as const) {
    test(`cloud ${cloud ?? '(none)'}: ${mtu}, pods get what explain says`, () => {
      const r = load(`network:\n  provider: calico\n${cloud ? `  cloud: ${cloud}\n` : ''}`);
      const c = expectClean(r);
      assert.equal(c.network.calico.mtu, mtu);
      assert.match(deriveFacts(c.network).workload_mtu ?? '', workload);
      const origin = r.origins['network.calico.mtu'];
      assert.equal(origin?.from, 'default');
      if (cloud === 'gcp')
        assert.match(origin?.from === 'default' ? (origin.reason ?? '') : '', /cloud gcp.*1460/);
      const veth = renderCalico(c, {}, { includeSecrets: false }).objects.find((o) => o.kind === 'ConfigMap')
        ?.data as Record<string, string>;
      assert.equal(veth.veth_mtu, mtu === 'auto' ? '0' : String(mtu - 20));
    });
  }

  test('azure: 1500 and VXLAN, pods 1450', () => {
    const c = expectClean(load('network:\n  provider: calico\n  cloud: azure\n'));
    assert.equal(c.network.calico.mtu, 1500);
    assert.equal(deriveValues(c.network).workload_mtu, 1450);
  });

  test('a written mtu wins over the cloud', () => {
    const c = expectClean(load('network:\n  provider: calico\n  cloud: gcp\n  calico:\n    mtu: 1500\n'));
    assert.equal(c.network.calico.mtu, 1500);
  });
});

describe('Azure refuses unencapsulated pod traffic', () => {
  for (const mode of ['CrossSubnet', 'Never']) {
    test(`vxlan ${mode} is an error at mode, with the fix`, () => {
      const text = `network:\n  provider: calico\n  cloud: azure\n  calico:\n    encapsulation: vxlan\n    mode: ${mode}\n`;
      expectOnly(load(text), [
        {
          code: 'AzureUnencapsulated',
          path: 'network.calico.mode',
          line: 6,
          col: 11,
          hint: ['mode: Always'],
        },
      ]);
    });
  }

  test('the Pharos spelling vxlan_mode: CrossSubnet is located at vxlan_mode', () => {
    expectOnly(
      load('network:\n  provider: calico\n  cloud: azure\n  calico:\n    vxlan_mode: CrossSubnet\n'),
      [{ code: 'AzureUnencapsulated', path: 'network.calico.vxlan_mode', line: 5, col: 17 }],
    );
  });

  test('vxlan Always on Azure is fine', () => {
    expectClean(load('network:\n  provider: calico\n  cloud: azure\n  calico:\n    vxlan_mode: Always\n'));
  });
});

describe('environment.CALICO_NETWORKING_BACKEND against the pool', () => {
  test('vxlan with an IP-in-IP pool is an error (no BGP routes the pool)', () => {
    const text = yml`
      network:
        provider: calico
        calico:
          environment:
            CALICO_NETWORKING_BACKEND: vxlan
    `;
    expectOnly(load(text), [
      {
        code: 'BackendNeedsBgp',
        path: 'network.calico.environment.CALICO_NETWORKING_BACKEND',
        line: 5,
        col: 34,
        hint: ['encapsulation: vxlan'],
      },
    ]);
  });

  test('vxlan with an unencapsulated pool (mode Never) is an error too', () => {
    const text = yml`
      network:
        provider: calico
        calico:
          encapsulation: vxlan
          mode: Never
          environment:
            CALICO_NETWORKING_BACKEND: vxlan
    `;
    expectOnly(load(text), [
      {
        code: 'BackendNeedsBgp',
        path: 'network.calico.environment.CALICO_NETWORKING_BACKEND',
        line: 7,
        col: 34,
      },
    ]);
  });

  test('a backend calico-config does not know is an error at its value, before render', () => {
    const text = yml`
      network:
        provider: calico
        calico:
          environment:
            CALICO_NETWORKING_BACKEND: gobgp
    `;
    expectOnly(load(text), [
      {
        code: 'InvalidValue',
        path: 'network.calico.environment.CALICO_NETWORKING_BACKEND',
        ...at(text, 'gobgp'),
      },
    ]);
  });

  test('vxlan with a VXLAN pool, and bird with any pool, are fine', () => {
    expectClean(
      load(
        'network:\n  provider: calico\n  calico:\n    encapsulation: vxlan\n    environment:\n      CALICO_NETWORKING_BACKEND: vxlan\n',
      ),
    );
    expectClean(
      load(
        'network:\n  provider: calico\n  calico:\n    environment:\n      CALICO_NETWORKING_BACKEND: bird\n',
      ),
    );
  });
});

describe('kube_proxy.mode: nftables', () => {
  test('accepted; node-local-dns binds only 169.254.20.10 and kubelet must point at it (warning)', () => {
    const r = load('network:\n  provider: calico\nkube_proxy:\n  mode: nftables\n');
    expectOnly(r, [
      {
        code: 'DnsCacheLinkLocalOnly',
        path: 'kube_proxy.mode',
        severity: 'warning',
        line: 4,
        col: 9,
        hint: ['clusterDNS must be 169.254.20.10'],
      },
    ]);
    const c = expectValid(r);
    assert.equal(c.network.kube_proxy_mode, 'nftables');
    assert.equal(deriveValues(c.network).pod_dns_server, '169.254.20.10');
    const ds = renderNodeLocalDns(c).objects.find((o) => o.kind === 'DaemonSet');
    const args = JSON.stringify(ds?.spec);
    assert.match(args, /"-localip","169\.254\.20\.10"/, 'the link-local address only, as with IPVS');
  });

  test('without the DNS cache, nftables needs nothing', () => {
    expectClean(load('network:\n  node_local_dns_cache: false\nkube_proxy:\n  mode: nftables\n'));
  });
});

describe('max_nodes per provider and IPAM', () => {
  test('Calico: /26 blocks of the pool, not a /24 per node', () => {
    const c = expectClean(load('network:\n  provider: calico\n  pod_network_cidr: 10.244.0.0/16\n'));
    assert.equal(deriveValues(c.network).max_nodes, 1024);
    assert.match(deriveFacts(c.network).max_nodes, /^1024 \(Calico IPAM: one \/26 block \(64 addresses\)/);
  });

  test('Calico with etcd: the block size calico-node creates the pool with', () => {
    const text = yml`
      network:
        provider: calico
        pod_network_cidr: 10.244.0.0/16
        calico:
          datastore: etcd
          etcd:
            endpoints: [https://10.0.0.1:2379]
          environment:
            CALICO_IPV4POOL_BLOCK_SIZE: 24
    `;
    const c = expectValid(load(text));
    assert.equal(deriveValues(c.network).max_nodes, 256);
  });

  test('custom: a /24 per node (kube-controller-manager)', () => {
    const text =
      'network:\n  provider: custom\n  pod_network_cidr: 10.244.0.0/16\n  custom:\n    manifest_path: manifests\n';
    const c = expectValid(load(text));
    assert.equal(deriveValues(c.network).max_nodes, 256);
  });
});
