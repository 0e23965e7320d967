/**
 * Facts derived from the effective config (DNS and kubernetes service IPs, node capacity,
 * workload MTU) and `explain`: every value with its origin, file line:col or default.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  clusterDnsIp,
  deriveFacts,
  deriveValues,
  encapsulationOverhead,
  kubernetesServiceIp,
  workloadMtu,
} from '../../src/config/derived.ts';
import { explain, explainText } from '../../src/config/explain.ts';
import { defaultNetwork } from '../../src/config/resolve.ts';
import type { CalicoConfig, NetworkConfig } from '../../src/config/types.ts';
import { at, expectClean, expectValid, FILE, load, yml } from './helpers.ts';

/** Calico with a host MTU of 1500 (the default is auto) and `edit`. */
function calico(edit: Partial<CalicoConfig>): CalicoConfig {
  return { ...defaultNetwork().calico, mtu: 1500, ...edit };
}

describe('derived facts', () => {
  for (const [cidr, dns, kube] of [
    ['172.31.0.0/16', '172.31.0.10', '172.31.0.1'],
    ['10.96.0.0/12', '10.96.0.10', '10.96.0.1'],
    ['192.168.100.0/24', '192.168.100.10', '192.168.100.1'],
    ['fd00:10:96::/108', 'fd00:10:96::a', 'fd00:10:96::1'],
  ] as const) {
    test(`${cidr}: DNS ${dns}, kubernetes ${kube}`, () => {
      assert.equal(clusterDnsIp(cidr), dns);
      assert.equal(kubernetesServiceIp(cidr), kube);
    });
  }

  test('a range too small for a 10th address throws (render code only gets validated configs)', () => {
    assert.throws(() => clusterDnsIp('10.0.0.0/29'), RangeError);
  });

  for (const [edit, overhead, mtu] of [
    [{ encapsulation: 'ipip', mode: 'Always' }, 20, 1480],
    [{ encapsulation: 'ipip', mode: 'CrossSubnet' }, 20, 1480],
    [{ encapsulation: 'vxlan', mode: 'Always' }, 50, 1450],
    [{ encapsulation: 'vxlan', mode: 'Never' }, 0, 1500],
    [{ encapsulation: 'ipip', mode: 'Never' }, 0, 1500],
    [{ encapsulation: 'vxlan', mode: 'Always', mtu: 9000 }, 50, 8950],
  ] as const) {
    test(`workload MTU ${JSON.stringify(edit)} → ${mtu}`, () => {
      const c = calico(edit as Partial<CalicoConfig>);
      assert.equal(encapsulationOverhead(c), overhead);
      assert.equal(workloadMtu(c), mtu);
    });
  }

  test('workload MTU with mtu auto is left to Calico', () => {
    assert.equal(workloadMtu(calico({ mtu: 'auto' })), undefined);
  });

  test('deriveValues: the same facts as values for machines', () => {
    const net = defaultNetwork();
    assert.deepEqual(deriveValues(net), {
      dns_service_ip: '10.96.0.10',
      kubernetes_service_ip: '10.96.0.1',
      pod_dns_server: '10.96.0.10',
      // Weave: no per-node range; one address per node at least.
      max_nodes: 2 ** 20,
      pod_addresses: 2 ** 20,
      service_addresses: 2 ** 20,
      weave_conn_limit: 0,
    });
    net.provider = 'calico';
    net.calico.mtu = 'auto';
    assert.equal(deriveValues(net).workload_mtu, null, 'detected by Calico');
    assert.equal(deriveValues(net).max_nodes, 2 ** 14, 'a /12 holds 16384 Calico /26 blocks');
    net.provider = 'custom';
    net.pod_network_cidr = 'fd00::/48';
    net.service_cidr = 'fd01::/108';
    assert.equal(deriveValues(net).max_nodes, 65536, 'host-local IPAM: a /64 per node');
    net.pod_network_cidr = 'fd00::/8';
    assert.equal(
      deriveValues(net).pod_addresses,
      (2n ** 120n).toString(),
      'past 2^53: an exact decimal string',
    );
  });

  test('deriveFacts of the defaults', () => {
    const facts = deriveFacts(defaultNetwork());
    assert.equal(facts.dns_service_ip, '10.96.0.10');
    assert.equal(facts.kubernetes_service_ip, '10.96.0.1');
    assert.match(facts.max_nodes, /^1048576 \(Weave IPAM: no per-node range/);
    assert.match(facts.weave_conn_limit ?? '', /^unlimited \(CONN_LIMIT=0\).*200/);
    assert.equal(facts.pod_addresses, String(2 ** 20));
    assert.equal(facts.service_addresses, String(2 ** 20));
    assert.match(facts.pod_dns_server, /^10\.96\.0\.10 .*node-local-dns/);
    assert.equal(facts.workload_mtu, undefined, 'no workload MTU for weave');
  });

  test('max nodes follows the pod range: a /16 holds 256 /24s', () => {
    const net: NetworkConfig = { ...defaultNetwork(), provider: 'custom', pod_network_cidr: '10.244.0.0/16' };
    assert.match(deriveFacts(net).max_nodes, /^256 /);
  });

  test('pod DNS server without node-local DNS is the service IP itself', () => {
    const net: NetworkConfig = {
      ...defaultNetwork(),
      service_cidr: '172.31.0.0/16',
      node_local_dns_cache: { enabled: false },
    };
    assert.equal(deriveFacts(net).pod_dns_server, '172.31.0.10');
  });

  test('pod DNS server with IPVS is the link-local address', () => {
    const net: NetworkConfig = { ...defaultNetwork(), kube_proxy_mode: 'ipvs' };
    assert.match(deriveFacts(net).pod_dns_server, /^169\.254\.20\.10 /);
  });

  test('calico facts include the workload MTU with its reason', () => {
    const vxlan: NetworkConfig = {
      ...defaultNetwork(),
      provider: 'calico',
      calico: calico({ encapsulation: 'vxlan' }),
    };
    assert.match(deriveFacts(vxlan).workload_mtu!, /^1450 .*VXLAN/);
    const ipip: NetworkConfig = { ...defaultNetwork(), provider: 'calico', calico: calico({}) };
    assert.match(deriveFacts(ipip).workload_mtu!, /^1480 .*IP-in-IP/);
    const never: NetworkConfig = {
      ...defaultNetwork(),
      provider: 'calico',
      calico: calico({ mode: 'Never' }),
    };
    assert.match(deriveFacts(never).workload_mtu!, /^1500 .*no encapsulation/);
    const auto: NetworkConfig = { ...defaultNetwork(), provider: 'calico', calico: calico({ mtu: 'auto' }) };
    assert.match(deriveFacts(auto).workload_mtu!, /auto/);
  });

  test('facts from a loaded file: 172.31.0.0/16 → DNS 172.31.0.10', () => {
    const c = expectClean(load('network:\n  service_cidr: 172.31.0.0/16\n'));
    assert.equal(deriveFacts(c.network).dns_service_ip, '172.31.0.10');
  });
});

describe('explain', () => {
  const text = yml`
    cloud:
      provider: azure
    hosts:
      - address: node-1.example.com
        role: master
    network:
      provider: calico
      service_cidr: 172.31.0.0/16
      calico:
        mtu: 1400
  `;

  test('each entry carries its origin: file line:col, alias path, default with reason', () => {
    const r = load(text);
    const e = explain(expectValid(r), r.origins);
    const byPath = new Map(e.entries.map((x) => [x.path, x]));
    assert.deepEqual(byPath.get('network.service_cidr'), {
      path: 'network.service_cidr',
      value: '172.31.0.0/16',
      origin: { from: 'file', path: 'network.service_cidr', line: 8, col: 17 },
    });
    assert.deepEqual(byPath.get('network.calico.mtu')?.origin, {
      from: 'file',
      path: 'network.calico.mtu',
      line: 10,
      col: 10,
    });
    assert.deepEqual(byPath.get('network.cloud'), {
      path: 'network.cloud',
      value: 'azure',
      origin: { from: 'file', path: 'cloud.provider', line: 2, col: 13 },
    });
    assert.deepEqual(byPath.get('network.pod_network_cidr'), {
      path: 'network.pod_network_cidr',
      value: '10.32.0.0/12',
      origin: { from: 'default' },
    });
    assert.deepEqual(byPath.get('network.calico.encapsulation'), {
      path: 'network.calico.encapsulation',
      value: 'vxlan',
      origin: { from: 'default', reason: 'Azure does not carry IP-in-IP' },
    });
    // Only the chosen provider's block is shown.
    assert.equal(
      [...byPath.keys()].some((p) => p.startsWith('network.weave.')),
      false,
    );
    assert.equal(e.derived.dns_service_ip, '172.31.0.10');
    assert.match(e.derived.workload_mtu!, /^1350 /);
    assert.deepEqual(e.hosts, { count: 1, hostnames: ['node-1.example.com'] });
    assert.ok(e.notes.some((n) => n.includes('node-1.example.com') && n.includes('skipped')));
  });

  test('the text form shows file:line:col for written values, "default" for the rest, and the alias', () => {
    const r = load(text);
    const out = explainText(explain(expectValid(r), r.origins));
    const line = (path: string) => out.split('\n').find((l) => l.startsWith(`${path}:`)) ?? '';
    assert.match(line('network.service_cidr'), /^network\.service_cidr: 172\.31\.0\.0\/16 +# .*8:17/);
    assert.match(line('network.cloud'), /azure +# .*2:13.*cloud\.provider/);
    assert.match(line('network.pod_network_cidr'), /10\.32\.0\.0\/12 +# default$/);
    assert.match(line('network.calico.encapsulation'), /vxlan +# default \(Azure does not carry IP-in-IP\)$/);
    assert.ok(out.includes(FILE));
    assert.match(out, /^dns_service_ip: 172\.31\.0\.10$/m);
    assert.match(out, /^kubernetes_service_ip: 172\.31\.0\.1$/m);
  });

  test('an environment entry takes its own origin', () => {
    const t =
      'network:\n  provider: calico\n  calico:\n    environment:\n      FELIX_LOGSEVERITYSCREEN: info\n';
    const r = load(t);
    const e = explain(expectClean(r), r.origins);
    const entry = e.entries.find((x) => x.path === 'network.calico.environment.FELIX_LOGSEVERITYSCREEN');
    assert.deepEqual(entry, {
      path: 'network.calico.environment.FELIX_LOGSEVERITYSCREEN',
      value: 'info',
      origin: {
        from: 'file',
        path: 'network.calico.environment.FELIX_LOGSEVERITYSCREEN',
        ...at(t, 'info'),
      },
    });
  });

  test('weave without a password notes the generated secret; with one, shows the path not the contents', () => {
    const none = load('');
    assert.ok(explain(expectClean(none), none.origins).notes.some((n) => n.includes('weave-passwd')));
    const withPw = load('network:\n  weave:\n    password: weave.secret\n');
    const e = explain(expectClean(withPw), withPw.origins);
    assert.equal(
      e.notes.some((n) => n.includes('weave-passwd')),
      false,
    );
    assert.equal(
      e.entries.find((x) => x.path === 'network.weave.password')?.value,
      '/clusters/prod/weave.secret',
    );
  });
});

describe('explain: calico.environment entries', () => {
  test('each variable points at its own line, not at the first one', () => {
    const text = yml`
      network:
        provider: calico
        calico:
          environment:
            FELIX_LOGSEVERITYSCREEN: info
            FELIX_PROMETHEUSMETRICSENABLED: "true"
    `;
    const r = load(text);
    assert.ok(r.config);
    const e = explain(r.config, r.origins);
    const entry = (name: string) => e.entries.find((x) => x.path === `network.calico.environment.${name}`)!;
    assert.deepEqual(
      { line: (entry('FELIX_LOGSEVERITYSCREEN').origin as { line: number }).line },
      { line: at(text, 'info').line },
    );
    assert.deepEqual(
      { line: (entry('FELIX_PROMETHEUSMETRICSENABLED').origin as { line: number }).line },
      { line: at(text, '"true"').line },
    );
  });
});

describe('explain: Weave', () => {
  test('notes say where peers come from, how IP allocation starts and what runs the side-car', () => {
    const text = yml`
      hosts:
        - {address: 10.0.0.1, role: master, labels: {topology.kubernetes.io/region: eu}}
        - {address: 10.0.1.1, role: worker, labels: {topology.kubernetes.io/region: us}}
      network:
        weave:
          password: weave.secret
          known_peers: [192.0.2.7]
    `;
    const r = load(text);
    const e = explain(expectClean(r), r.origins);
    const notes = e.notes.join('\n');
    assert.match(notes, /Weave 2\.9\.0 \(the maintained fork/);
    assert.match(
      notes,
      /peers: this cluster's nodes from the Kubernetes node list, plus known_peers 192\.0\.2\.7/,
    );
    assert.match(
      notes,
      /IP allocation: starts once a majority of this cluster's nodes agree .*2 with these hosts/,
    );
    assert.match(
      notes,
      /peering side-car: the official node image runs netpack's side-car script from ConfigMap/,
    );
    const entry = (path: string) => e.entries.find((x) => x.path === path)!;
    assert.deepEqual(entry('network.weave.peering.enabled').origin, {
      from: 'default',
      reason: 'the hosts span regions eu, us',
    });
    assert.equal(entry('network.weave.image_version').value, '2.9.0');
    assert.match(explainText(e), /weave_conn_limit: unlimited \(CONN_LIMIT=0\)/);
  });

  test('observer: the note says the pods wait for the seeding cluster', () => {
    const r = load('network:\n  weave:\n    ipalloc_init: observer\n');
    assert.ok(explain(expectClean(r), r.origins).notes.some((n) => n.startsWith('IP allocation: observer')));
  });
});
