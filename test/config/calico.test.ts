/**
 * network.calico: encapsulation and its three spellings (netpack, Pharos, Spectro pack), MTU,
 * environment, the etcd datastore and its TLS files, and Azure's lack of IP-in-IP.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { autoTypha, defaultTyphaReplicas } from '../../src/config/defaults.ts';
import { explain, explainText } from '../../src/config/explain.ts';
import { defaultNetwork } from '../../src/config/resolve.ts';
import { after, at, BASE, expectClean, expectDiag, expectOnly, expectValid, load, yml } from './helpers.ts';

const calico = (body: string) =>
  `network:\n  provider: calico\n  calico:\n${body
    .split('\n')
    .filter((l) => l)
    .map((l) => `    ${l}`)
    .join('\n')}\n`;

describe('encapsulation and mode, in every spelling', () => {
  for (const [body, encapsulation, mode, from] of [
    ['encapsulation: vxlan', 'vxlan', 'Always', 'network.calico.encapsulation'],
    ['encapsulation: ipip\nmode: CrossSubnet', 'ipip', 'CrossSubnet', 'network.calico.encapsulation'],
    ['ipip_mode: CrossSubnet', 'ipip', 'CrossSubnet', 'network.calico.ipip_mode'],
    ['vxlan_mode: Never', 'vxlan', 'Never', 'network.calico.vxlan_mode'],
    ['encapsulationType: CALICO_IPV4POOL_VXLAN', 'vxlan', 'Always', 'network.calico.encapsulationType'],
    [
      'encapsulationType: CALICO_IPV4POOL_IPIP\nencapsulationMode: Never',
      'ipip',
      'Never',
      'network.calico.encapsulationType',
    ],
    ['encapsulation: vxlan\nvxlan_mode: CrossSubnet', 'vxlan', 'CrossSubnet', 'network.calico.encapsulation'],
  ] as const) {
    test(`${body.replace('\n', ', ')} → ${encapsulation} ${mode}`, () => {
      const text = calico(body);
      const r = load(text);
      const c = expectClean(r);
      assert.equal(c.network.calico.encapsulation, encapsulation);
      assert.equal(c.network.calico.mode, mode);
      const origin = r.origins['network.calico.encapsulation'];
      assert.equal(origin?.from, 'file');
      assert.equal(origin?.from === 'file' && origin.path, from);
    });
  }

  test('ipip_mode with encapsulation vxlan is a conflict at ipip_mode', () => {
    const text = calico('encapsulation: vxlan\nipip_mode: Always');
    expectOnly(load(text), [
      {
        code: 'AliasConflict',
        path: 'network.calico.ipip_mode',
        line: 5,
        col: 16,
        hint: ['choose one encapsulation'],
      },
    ]);
  });

  test('encapsulationType VXLAN with ipip_mode is a conflict', () => {
    const text = calico('ipip_mode: Always\nencapsulationType: CALICO_IPV4POOL_VXLAN');
    expectOnly(load(text), [
      {
        code: 'AliasConflict',
        path: 'network.calico.encapsulationType',
        line: 5,
        col: 24,
      },
    ]);
  });

  test('mode and encapsulationMode that differ are a conflict at the second', () => {
    const text = calico('mode: Always\nencapsulationMode: Never');
    expectOnly(load(text), [
      {
        code: 'AliasConflict',
        path: 'network.calico.encapsulationMode',
        line: 5,
        col: 24,
        hint: ['set only one of'],
      },
    ]);
  });

  test('mode and ipip_mode that agree pass', () => {
    const c = expectClean(load(calico('mode: CrossSubnet\nipip_mode: CrossSubnet')));
    assert.equal(c.network.calico.mode, 'CrossSubnet');
  });

  test('an unknown encapsulationType lists the two Spectro values', () => {
    const text = calico('encapsulationType: VXLAN');
    expectOnly(load(text), [
      {
        code: 'InvalidValue',
        path: 'network.calico.encapsulationType',
        line: 4,
        col: 24,
      },
    ]);
  });
});

describe('calicoNetworkCIDR (Spectro spelling of the pod range)', () => {
  test('alone it sets pod_network_cidr, and its origin is the alias path', () => {
    const text = calico('calicoNetworkCIDR: 192.168.0.0/16');
    const r = load(text);
    assert.equal(expectClean(r).network.pod_network_cidr, '192.168.0.0/16');
    assert.deepEqual(r.origins['network.pod_network_cidr'], {
      from: 'file',
      path: 'network.calico.calicoNetworkCIDR',
      line: 4,
      col: 24,
    });
  });

  test('equal to pod_network_cidr passes', () => {
    expectClean(
      load(
        `network:\n  provider: calico\n  pod_network_cidr: 192.168.0.0/16\n  calico:\n    calicoNetworkCIDR: 192.168.0.0/16\n`,
      ),
    );
  });

  test('different from pod_network_cidr is a conflict at calicoNetworkCIDR', () => {
    const text =
      'network:\n  provider: calico\n  pod_network_cidr: 192.168.0.0/16\n  calico:\n    calicoNetworkCIDR: 10.244.0.0/16\n';
    expectOnly(load(text), [
      {
        code: 'AliasConflict',
        path: 'network.calico.calicoNetworkCIDR',
        line: 5,
        col: 24,
      },
    ]);
  });

  test('a malformed calicoNetworkCIDR is a CIDR error', () => {
    expectOnly(load(calico('calicoNetworkCIDR: 192.168.0.1/16')), [
      {
        code: 'InvalidCidr',
        path: 'network.calico.calicoNetworkCIDR',
        line: 4,
        col: 24,
      },
    ]);
  });
});

describe('mtu', () => {
  for (const mtu of [596, 1450, 9000]) {
    test(`${mtu} passes`, () => {
      assert.equal(expectClean(load(calico(`mtu: ${mtu}`))).network.calico.mtu, mtu);
    });
  }
  test('auto passes', () => {
    assert.equal(expectClean(load(calico('mtu: auto'))).network.calico.mtu, 'auto');
  });

  // The workload MTU (host MTU less the encapsulation overhead) must be at least 576 too; the
  // loader says so at the value, so validate, explain and render (which all load) agree.
  for (const [body, ok] of [
    ['encapsulation: vxlan\nmtu: 600', false],
    ['encapsulation: vxlan\nmtu: 626', true],
    ['encapsulation: ipip\nmtu: 595', false],
    ['encapsulation: ipip\nmtu: 596', true],
    ['encapsulation: vxlan\nmode: Never\nmtu: 576', true],
  ] as const) {
    test(`${body.replaceAll('\n', ', ')}: ${ok ? 'passes' : 'an error at the MTU'}`, () => {
      const r = load(calico(body));
      if (ok) return void expectClean(r);
      const line = body.split('\n').length + 3;
      expectOnly(r, [{ code: 'MtuTooSmall', path: 'network.calico.mtu', line, col: 10 }]);
    });
  }

  for (const [value, code] of [
    ['575', 'OutOfRange'],
    ['9001', 'OutOfRange'],
    ['1400.5', 'InvalidValue'],
    ['AUTO', 'InvalidValue'],
    ['[1500]', 'InvalidValue'],
  ] as const) {
    test(`${value} is an error at the value`, () => {
      expectOnly(load(calico(`mtu: ${value}`)), [{ code, path: 'network.calico.mtu', line: 4, col: 10 }]);
    });
  }
});

describe('nat_outgoing', () => {
  test('defaults to true; false is kept', () => {
    assert.equal(expectClean(load(calico('mode: Always'))).network.calico.nat_outgoing, true);
    assert.equal(expectClean(load(calico('nat_outgoing: false'))).network.calico.nat_outgoing, false);
  });
  test('a string is a type error', () => {
    expectOnly(load(calico('nat_outgoing: "no"')), [
      {
        code: 'InvalidType',
        path: 'network.calico.nat_outgoing',
        line: 4,
        col: 19,
        hint: ['write false'],
      },
    ]);
  });
});

describe('environment', () => {
  test('values of every scalar type are stringified', () => {
    const text = calico(
      'environment:\n  FELIX_IPV6SUPPORT: false\n  FELIX_LOGSEVERITYSCREEN: info\n  FELIX_HEALTHPORT: 9099',
    );
    assert.deepEqual(expectClean(load(text)).network.calico.environment, {
      FELIX_IPV6SUPPORT: 'false',
      FELIX_LOGSEVERITYSCREEN: 'info',
      FELIX_HEALTHPORT: '9099',
    });
  });

  for (const value of ['false', 'true', '"false"', 'FALSE', 'True']) {
    test(`FELIX_PROMETHEUSMETRICSENABLED: ${value} passes`, () => {
      const env = expectClean(load(calico(`environment:\n  FELIX_PROMETHEUSMETRICSENABLED: ${value}`)))
        .network.calico.environment;
      assert.equal(
        env.FELIX_PROMETHEUSMETRICSENABLED?.toLowerCase(),
        value.replaceAll('"', '').toLowerCase(),
      );
    });
  }

  test('FELIX_PROMETHEUSMETRICSENABLED "false" stays the string "false", which means off', () => {
    const env = expectClean(load(calico('environment:\n  FELIX_PROMETHEUSMETRICSENABLED: "false"'))).network
      .calico.environment;
    assert.equal(env.FELIX_PROMETHEUSMETRICSENABLED, 'false');
    assert.notEqual(env.FELIX_PROMETHEUSMETRICSENABLED, 'true');
  });

  test('a bad FELIX_PROMETHEUSMETRICSENABLED is an error at the value', () => {
    const text = calico('environment:\n  FELIX_PROMETHEUSMETRICSENABLED: maybe');
    expectOnly(load(text), [
      {
        code: 'InvalidValue',
        path: 'network.calico.environment.FELIX_PROMETHEUSMETRICSENABLED',
        ...at(text, 'maybe'),
      },
    ]);
  });

  for (const port of ['9091', '1', '65535']) {
    test(`FELIX_PROMETHEUSMETRICSPORT ${port} passes`, () => {
      const env = expectClean(load(calico(`environment:\n  FELIX_PROMETHEUSMETRICSPORT: ${port}`))).network
        .calico.environment;
      assert.equal(env.FELIX_PROMETHEUSMETRICSPORT, port);
    });
  }

  for (const port of ['0', '65536', 'http', '90.5']) {
    test(`FELIX_PROMETHEUSMETRICSPORT ${port} is an error`, () => {
      const text = calico(`environment:\n  FELIX_PROMETHEUSMETRICSPORT: ${port}`);
      expectOnly(load(text), [
        {
          code: 'InvalidPort',
          path: 'network.calico.environment.FELIX_PROMETHEUSMETRICSPORT',
          ...after(text, 'PORT: '),
        },
      ]);
    });
  }

  test('an invalid variable name is an error at the name', () => {
    const text = calico('environment:\n  "1BAD-NAME": x');
    expectOnly(load(text), [
      {
        code: 'InvalidEnvName',
        path: 'network.calico.environment.1BAD-NAME',
        ...at(text, '"1BAD-NAME"'),
        hint: ['letters, digits and underscores'],
      },
    ]);
  });

  test('a list or map as a value is an error', () => {
    const text = calico('environment:\n  FOO: [a]\n  BAR: {b: 1}');
    expectOnly(load(text), [
      { code: 'InvalidValue', path: 'network.calico.environment.FOO', ...at(text, '[a]') },
      { code: 'InvalidValue', path: 'network.calico.environment.BAR', ...at(text, '{b') },
    ]);
  });

  test('environment checks apply only to calico', () => {
    const text = 'network:\n  calico:\n    environment:\n      FELIX_PROMETHEUSMETRICSPORT: http\n';
    expectOnly(load(text), [
      { code: 'IgnoredOption', path: 'network.calico', severity: 'warning', line: 2, col: 3 },
    ]);
  });
});

describe('datastore etcd', () => {
  const etcd = (lines: string) =>
    calico(
      `datastore: etcd\netcd:\n${lines
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}`,
    );

  test('endpoints and all three TLS files pass; the files are resolved against the cluster file', () => {
    const text = etcd(
      'endpoints: [https://192.0.2.9:2379, https://192.0.2.10:2379]\nca_file: etcd/ca.pem\ncert_file: etcd/client.pem\nkey_file: etcd/client-key.pem',
    );
    const c = expectClean(load(text));
    assert.deepEqual(c.network.calico.etcd, {
      endpoints: ['https://192.0.2.9:2379', 'https://192.0.2.10:2379'],
      ca_file: `${BASE}/etcd/ca.pem`,
      cert_file: `${BASE}/etcd/client.pem`,
      key_file: `${BASE}/etcd/client-key.pem`,
    });
  });

  test('datastore etcd without an etcd block is an error at datastore', () => {
    expectOnly(load(calico('datastore: etcd')), [
      {
        code: 'MissingOption',
        path: 'network.calico.datastore',
        line: 4,
        col: 16,
        hint: ['endpoints'],
      },
    ]);
  });

  test('an empty endpoint list is an error', () => {
    const text = etcd('endpoints: []');
    expectOnly(load(text), [
      { code: 'OutOfRange', path: 'network.calico.etcd.endpoints', ...at(text, '[]') },
    ]);
  });

  test('an etcd block without endpoints says they are required, at the block', () => {
    expectOnly(load(etcd('ca_file: etcd/ca.pem')), [
      { code: 'MissingOption', path: 'network.calico.etcd.endpoints', line: 5, col: 5 },
    ]);
  });

  test('an endpoint that is not a URL is an error at its entry', () => {
    const text = etcd('endpoints:\n  - https://192.0.2.9:2379\n  - 192.0.2.10:2379');
    expectOnly(load(text), [
      { code: 'InvalidFormat', path: 'network.calico.etcd.endpoints[1]', ...at(text, '192.0.2.10') },
    ]);
  });

  for (const key of ['ca_file', 'cert_file', 'key_file']) {
    test(`a missing ${key} is an error at its value`, () => {
      const others = {
        ca_file: 'etcd/ca.pem',
        cert_file: 'etcd/client.pem',
        key_file: 'etcd/client-key.pem',
      };
      const lines = Object.entries(others).map(([k, v]) => `${k}: ${k === key ? 'etcd/gone.pem' : v}`);
      const text = etcd(`endpoints: [https://192.0.2.9:2379]\n${lines.join('\n')}`);
      expectOnly(load(text), [
        {
          code: 'FileNotFound',
          path: `network.calico.etcd.${key}`,
          ...at(text, 'etcd/gone.pem'),
          hint: ['relative to the directory of the cluster file'],
        },
      ]);
    });
  }

  test('cert_file without key_file is an error at cert_file', () => {
    const text = etcd('endpoints: [https://192.0.2.9:2379]\ncert_file: etcd/client.pem');
    expectOnly(load(text), [
      {
        code: 'IncompleteTls',
        path: 'network.calico.etcd.cert_file',
        ...at(text, 'etcd/client.pem'),
        hint: ['certificate and its key'],
      },
    ]);
  });

  test('key_file without cert_file is an error at key_file', () => {
    const text = etcd('endpoints: [https://192.0.2.9:2379]\nkey_file: etcd/client-key.pem');
    expectOnly(load(text), [
      {
        code: 'IncompleteTls',
        path: 'network.calico.etcd.key_file',
        ...at(text, 'etcd/client-key.pem'),
      },
    ]);
  });

  test('TLS files with an http:// endpoint: a warning at that endpoint', () => {
    const text = etcd('endpoints: [https://192.0.2.9:2379, http://192.0.2.10:2379]\nca_file: etcd/ca.pem');
    const r = load(text);
    expectOnly(r, [
      {
        code: 'EtcdPlainHttp',
        path: 'network.calico.etcd.endpoints[1]',
        severity: 'warning',
        ...at(text, 'http://'),
        hint: ['https://'],
      },
    ]);
    expectValid(r);
  });

  test('an etcd block with datastore kubernetes is ignored with a warning at its key, files unchecked', () => {
    const text = calico('etcd:\n  endpoints: [https://192.0.2.9:2379]\n  ca_file: etcd/gone.pem');
    expectOnly(load(text), [
      {
        code: 'IgnoredOption',
        path: 'network.calico.etcd',
        severity: 'warning',
        line: 4,
        col: 5,
        hint: ['datastore: etcd'],
      },
    ]);
  });
});

describe('Azure', () => {
  test('azure without an explicit encapsulation defaults to vxlan, and says why', () => {
    const r = load('network:\n  provider: calico\n  cloud: azure\n');
    assert.equal(expectClean(r).network.calico.encapsulation, 'vxlan');
    assert.deepEqual(r.origins['network.calico.encapsulation'], {
      from: 'default',
      reason: 'Azure does not carry IP-in-IP',
    });
  });

  test('azure through the top-level cloud.provider alias defaults to vxlan too', () => {
    const r = load('cloud:\n  provider: azure\nnetwork:\n  provider: calico\n');
    assert.equal(expectClean(r).network.calico.encapsulation, 'vxlan');
  });

  test('other clouds keep ipip', () => {
    assert.equal(
      expectClean(load('network:\n  provider: calico\n  cloud: aws\n')).network.calico.encapsulation,
      'ipip',
    );
  });

  for (const [body, path, needle] of [
    ['encapsulation: ipip', 'network.calico.encapsulation', 'ipip'],
    ['ipip_mode: CrossSubnet', 'network.calico.ipip_mode', 'CrossSubnet'],
    ['encapsulationType: CALICO_IPV4POOL_IPIP', 'network.calico.encapsulationType', 'CALICO_IPV4POOL_IPIP'],
  ] as const) {
    test(`azure + ${body} is an error at ${path}`, () => {
      const text = `network:\n  provider: calico\n  cloud: azure\n  calico:\n    ${body}\n`;
      expectOnly(load(text), [
        {
          code: 'AzureNoIpip',
          path,
          ...at(text, needle, needle === 'ipip' ? 1 : 1),
          hint: ['encapsulation: vxlan'],
        },
      ]);
    });
  }

  test('azure + ipip with mode Never (no encapsulation at all) is refused at mode: Azure drops it', () => {
    expectOnly(
      load(
        'network:\n  provider: calico\n  cloud: azure\n  calico:\n    encapsulation: ipip\n    mode: Never\n',
      ),
      [{ code: 'AzureUnencapsulated', path: 'network.calico.mode', severity: 'error', line: 6, col: 11 }],
    );
  });

  test('azure + explicit vxlan passes', () => {
    expectClean(load('network:\n  provider: calico\n  cloud: azure\n  calico:\n    encapsulation: vxlan\n'));
  });

  test('azure + ipip is not a problem when the provider is weave (the calico block is only ignored)', () => {
    const text = 'network:\n  cloud: azure\n  calico:\n    encapsulation: ipip\n';
    expectOnly(load(text), [
      { code: 'IgnoredOption', path: 'network.calico', severity: 'warning', line: 3, col: 3 },
    ]);
  });

  test('azure set via cloud.provider + ipip is reported at the encapsulation', () => {
    const text = yml`
      cloud:
        provider: azure
      network:
        provider: calico
        calico:
          encapsulation: ipip
    `;
    expectOnly(load(text), [{ code: 'AzureNoIpip', path: 'network.calico.encapsulation', line: 6, col: 20 }]);
  });
});

/** A cluster file with `network:` first (so positions stay put) and then `count` worker hosts. */
function withHosts(network: string, count: number): string {
  const hosts = Array.from(
    { length: count },
    (_, i) => `  - address: 10.1.${Math.floor(i / 250)}.${(i % 250) + 1}\n    role: worker\n`,
  ).join('');
  return count > 0 ? `${network}hosts:\n${hosts}` : network;
}

describe('typha and typha_replicas', () => {
  for (const [hosts, on, replicas, reason] of [
    [0, false, 1, 'no hosts listed'],
    [1, false, 1, '1 host <= 50'],
    [50, false, 3, '50 hosts <= 50'],
    [51, true, 3, '51 hosts > 50'],
    [450, true, 3, '450 hosts > 50'],
    [601, true, 4, '601 hosts > 50'],
  ] as const) {
    test(`${hosts} hosts, nothing written → typha ${on}, ${replicas} replica(s), with the reason`, () => {
      const r = load(withHosts(calico('mode: Always'), hosts));
      const c = expectClean(r);
      assert.equal(c.network.calico.typha, on);
      assert.equal(c.network.calico.typha_replicas, replicas);
      const origin = r.origins['network.calico.typha'];
      assert.equal(origin?.from, 'default');
      assert.ok(origin?.from === 'default' && origin.reason?.includes(reason), JSON.stringify(origin));
      const replicasOrigin = r.origins['network.calico.typha_replicas'];
      assert.equal(replicasOrigin?.from, 'default');
    });
  }

  test('the replica formula: one per 200 hosts, at least 3, fewer than the hosts, at most 20', () => {
    for (const [hosts, replicas] of [
      [0, 1], // no hosts: calico-typha.yaml's 1
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 3],
      [600, 3],
      [601, 4],
      [1000, 5],
      [4000, 20],
      [5000, 20],
    ] as const)
      assert.equal(defaultTyphaReplicas(hosts), replicas, `${hosts} hosts`);
    assert.deepEqual(autoTypha(100, 'etcd').enabled, false);
    assert.deepEqual(autoTypha(51).enabled, true);
  });

  test('defaultNetwork(hosts) agrees with the loader', () => {
    const c = expectClean(load(withHosts('network: {}\n', 60)));
    assert.equal(defaultNetwork(60).calico.typha, true);
    assert.deepEqual(
      { typha: c.network.calico.typha, typha_replicas: c.network.calico.typha_replicas },
      { typha: defaultNetwork(60).calico.typha, typha_replicas: defaultNetwork(60).calico.typha_replicas },
    );
  });

  test('typha: true with no hosts: on, upstream’s 1 replica, from the file', () => {
    const text = calico('typha: true');
    const r = load(text);
    const c = expectClean(r);
    assert.equal(c.network.calico.typha, true);
    assert.equal(c.network.calico.typha_replicas, 1);
    assert.deepEqual(r.origins['network.calico.typha'], {
      from: 'file',
      path: 'network.calico.typha',
      ...after(text, 'typha: '),
    });
  });

  test('typha: false wins over 60 hosts', () => {
    const c = expectClean(load(withHosts(calico('typha: false'), 60)));
    assert.equal(c.network.calico.typha, false);
  });

  test('typha: auto written: resolved like the default, and the reason says auto', () => {
    const r = load(withHosts(calico('typha: auto\ntypha_replicas: auto'), 60));
    const c = expectClean(r);
    assert.equal(c.network.calico.typha, true);
    assert.equal(c.network.calico.typha_replicas, 3);
    assert.deepEqual(r.origins['network.calico.typha'], { from: 'default', reason: 'auto: 60 hosts > 50' });
    const o = r.origins['network.calico.typha_replicas'];
    assert.ok(o?.from === 'default' && o.reason?.startsWith('auto: 60 hosts'), JSON.stringify(o));
  });

  test('typha_replicas: a written number wins, from the file', () => {
    const text = withHosts(calico('typha: true\ntypha_replicas: 5'), 60);
    const r = load(text);
    assert.equal(expectClean(r).network.calico.typha_replicas, 5);
    assert.deepEqual(r.origins['network.calico.typha_replicas'], {
      from: 'file',
      path: 'network.calico.typha_replicas',
      ...after(text, 'typha_replicas: '),
    });
  });

  test('etcd + typha: true is an error at typha', () => {
    const text = calico('datastore: etcd\netcd:\n  endpoints: [https://10.0.0.1:2379]\ntypha: true');
    expectOnly(load(text), [
      {
        code: 'TyphaWithEtcd',
        path: 'network.calico.typha',
        ...after(text, 'typha: '),
        hint: ['datastore: kubernetes'],
      },
    ]);
  });

  test('etcd with 60 hosts and no typha option: auto keeps it off and says why', () => {
    const r = load(withHosts(calico('datastore: etcd\netcd:\n  endpoints: [https://10.0.0.1:2379]'), 60));
    const c = expectClean(r);
    assert.equal(c.network.calico.typha, false);
    const o = r.origins['network.calico.typha'];
    assert.ok(o?.from === 'default' && o.reason?.includes('etcd'), JSON.stringify(o));
  });

  test('etcd + typha: false is fine', () => {
    expectClean(load(calico('datastore: etcd\netcd:\n  endpoints: [https://10.0.0.1:2379]\ntypha: false')));
  });

  test('typha_replicas while Typha is off: a warning at the key, with the reason', () => {
    const text = withHosts(calico('typha_replicas: 2'), 3);
    const r = load(text);
    expectOnly(r, [
      {
        code: 'IgnoredOption',
        path: 'network.calico.typha_replicas',
        severity: 'warning',
        ...at(text, 'typha_replicas'),
        hint: ['typha: true'],
      },
    ]);
    assert.ok(r.config);
  });

  test('as many replicas as hosts: a warning at the value', () => {
    const text = withHosts(calico('typha: true\ntypha_replicas: 4'), 4);
    expectOnly(load(text), [
      {
        code: 'TooManyReplicas',
        path: 'network.calico.typha_replicas',
        severity: 'warning',
        ...after(text, 'typha_replicas: '),
        hint: ['use at most 3'],
      },
    ]);
  });

  test('more than 20 replicas: a warning', () => {
    const text = calico('typha: true\ntypha_replicas: 25');
    expectOnly(load(text), [
      {
        code: 'TooManyReplicas',
        path: 'network.calico.typha_replicas',
        severity: 'warning',
        ...after(text, 'typha_replicas: '),
      },
    ]);
  });

  for (const [body, code] of [
    ['typha: "on"', 'InvalidValue'],
    ['typha: 1', 'InvalidValue'],
    ['typha_replicas: 0', 'OutOfRange'],
    ['typha_replicas: 1.5', 'InvalidValue'],
  ] as const) {
    test(`${body} is a schema error at its value`, () => {
      const text = calico(body);
      const r = load(text);
      const key = body.slice(0, body.indexOf(':'));
      expectDiag(r, { code, path: `network.calico.${key}`, ...after(text, `${key}: `) });
      assert.equal(r.config, undefined);
    });
  }

  test('explain shows whether Typha is on and why, and a note with the replicas', () => {
    const r = load(withHosts(calico('mode: Always'), 60));
    const e = explain(expectClean(r), r.origins);
    const entry = e.entries.find((x) => x.path === 'network.calico.typha');
    assert.deepEqual(entry, {
      path: 'network.calico.typha',
      value: true,
      origin: { from: 'default', reason: '60 hosts > 50' },
    });
    const text = explainText(e);
    assert.match(text, /^network\.calico\.typha: true +# default \(60 hosts > 50\)$/m);
    assert.match(text, /^network\.calico\.typha_replicas: 3 +# default \(60 hosts: one per 200 nodes/m);
    assert.ok(e.notes.some((n) => n.startsWith('Typha is on') && n.includes('3 replicas')));
    const off = load(calico('typha: false'));
    const offText = explainText(explain(expectClean(off), off.origins));
    assert.match(offText, /^network\.calico\.typha: false +# cluster\.yml:4:12$/m);
    assert.ok(!offText.includes('Typha is on'));
  });
});
