/**
 * Provider selection and the options around it: custom manifests, the other providers' blocks,
 * the top-level aliases (cloud.provider, image_repository), node-local DNS, dns_replicas and
 * kube_proxy.mode.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../support/cli.ts';
import { BASE, expectClean, expectOnly, expectValid, load, yml } from './helpers.ts';

describe('provider', () => {
  for (const p of ['weave', 'calico'] as const) {
    test(`${p} passes`, () => {
      assert.equal(expectClean(load(`network:\n  provider: ${p}\n`)).network.provider, p);
    });
  }

  test('an unsupported provider lists the choices', () => {
    expectOnly(load('network:\n  provider: cilium\n'), [
      {
        code: 'InvalidValue',
        path: 'network.provider',
        line: 2,
        col: 13,
      },
    ]);
  });
});

describe('custom provider', () => {
  test('provider custom without a custom block is an error at provider', () => {
    expectOnly(load('network:\n  provider: custom\n'), [
      {
        code: 'MissingOption',
        path: 'network.provider',
        line: 2,
        col: 13,
        hint: ['add network.custom.manifest_path'],
      },
    ]);
  });

  test('a custom block without manifest_path: the schema says it is required, at the block', () => {
    const text = 'network:\n  provider: custom\n  custom:\n    options: {a: 1}\n';
    expectOnly(load(text), [
      { code: 'MissingOption', path: 'network.custom.manifest_path', line: 3, col: 3 },
    ]);
  });

  test('a manifest directory passes', () => {
    const c = expectClean(load('network:\n  provider: custom\n  custom:\n    manifest_path: manifests\n'));
    assert.equal(c.network.custom?.manifest_path, `${BASE}/manifests`);
  });

  test('a manifest file passes', () => {
    const c = expectClean(load('network:\n  provider: custom\n  custom:\n    manifest_path: manifest.yml\n'));
    assert.equal(c.network.custom?.manifest_path, `${BASE}/manifest.yml`);
  });

  test('a missing manifest path is an error at the value', () => {
    const text = 'network:\n  provider: custom\n  custom:\n    manifest_path: nowhere\n';
    expectOnly(load(text), [
      {
        code: 'FileNotFound',
        path: 'network.custom.manifest_path',
        line: 4,
        col: 20,
      },
    ]);
  });

  test('options must be a map', () => {
    const text = 'network:\n  provider: custom\n  custom:\n    manifest_path: manifests\n    options: [1]\n';
    expectOnly(load(text), [{ code: 'InvalidType', path: 'network.custom.options', line: 5, col: 14 }]);
  });

  test('a custom block with another provider is ignored (warning) and its path not checked', () => {
    const text = 'network:\n  provider: weave\n  custom:\n    manifest_path: nowhere\n';
    const r = load(text);
    expectOnly(r, [
      {
        code: 'IgnoredOption',
        path: 'network.custom',
        severity: 'warning',
        line: 3,
        col: 3,
        hint: ['network.provider: custom'],
      },
    ]);
    assert.equal(expectValid(r).network.custom?.manifest_path, `${BASE}/nowhere`);
  });
});

describe("another provider's block", () => {
  test('a calico block under weave is a warning at its key', () => {
    const text = 'network:\n  provider: weave\n  calico:\n    mtu: 1400\n';
    const r = load(text);
    expectOnly(r, [
      {
        code: 'IgnoredOption',
        path: 'network.calico',
        severity: 'warning',
        line: 3,
        col: 3,
        hint: ['set network.provider: calico'],
      },
    ]);
    expectValid(r);
  });

  test('a misspelt provider key: only the unknown-key error, no warning that the block is ignored', () => {
    const text = 'network:\n  provder: calico\n  calico:\n    mtu: 1400\n';
    expectOnly(load(text), [
      {
        code: 'UnknownKey',
        path: 'network.provder',
        line: 2,
        col: 3,
        hint: ['did you mean "provider"?'],
      },
    ]);
  });

  test('another unknown key under network keeps the ignored-block warning', () => {
    const text = 'network:\n  provider: weave\n  clud: aws\n  calico:\n    mtu: 1400\n';
    const r = load(text);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.severity} ${d.path}`),
      ['error network.clud', 'warning network.calico'],
    );
  });

  test('a weave block under the default provider is not a warning', () => {
    expectClean(load('network:\n  weave:\n    no_masq_local: true\n'));
  });
});

describe('cloud and its top-level alias cloud.provider', () => {
  test('network.cloud passes', () => {
    const r = load('network:\n  cloud: vmware\n');
    assert.equal(expectClean(r).network.cloud, 'vmware');
  });

  test('cloud.provider sets network.cloud, with the alias path as origin', () => {
    const r = load('cloud:\n  provider: gcp\n');
    assert.equal(expectClean(r).network.cloud, 'gcp');
    assert.deepEqual(r.origins['network.cloud'], { from: 'file', path: 'cloud.provider', line: 2, col: 13 });
  });

  test('both with the same value pass', () => {
    expectClean(load('cloud:\n  provider: aws\nnetwork:\n  cloud: aws\n'));
  });

  test('both with different values are a conflict at network.cloud', () => {
    const text = 'cloud:\n  provider: aws\nnetwork:\n  cloud: gcp\n';
    expectOnly(load(text), [
      {
        code: 'AliasConflict',
        path: 'network.cloud',
        line: 4,
        col: 10,
        hint: ['set only one of cloud.provider, network.cloud'],
      },
    ]);
  });

  test('an unknown cloud in the alias is an error at the alias', () => {
    expectOnly(load('cloud:\n  provider: nimbus\n'), [
      {
        code: 'InvalidValue',
        path: 'cloud.provider',
        line: 2,
        col: 13,
      },
    ]);
  });

  test('other keys under the top-level cloud: are Pharos business and accepted', () => {
    expectClean(load('cloud:\n  provider: aws\n  config: ./cloud-config\n'));
  });
});

describe('image_repository and its top-level alias', () => {
  test('the top-level image_repository sets network.image_repository', () => {
    const r = load('image_repository: registry.example.com:5000/mirror\n');
    assert.equal(expectClean(r).network.image_repository, 'registry.example.com:5000/mirror');
    assert.deepEqual(r.origins['network.image_repository'], {
      from: 'file',
      path: 'image_repository',
      line: 1,
      col: 19,
    });
  });

  test('both with the same value pass', () => {
    expectClean(load('image_repository: quay.example.com\nnetwork:\n  image_repository: quay.example.com\n'));
  });

  test('both with different values are a conflict at network.image_repository', () => {
    const text = 'image_repository: a.example.com\nnetwork:\n  image_repository: b.example.com\n';
    expectOnly(load(text), [
      {
        code: 'AliasConflict',
        path: 'network.image_repository',
        line: 3,
        col: 21,
        hint: ['set only one of image_repository, network.image_repository'],
      },
    ]);
  });

  for (const [where, text, path, col] of [
    [
      'network.image_repository',
      'network:\n  image_repository: https://registry.example.com/mirror\n',
      'network.image_repository',
      21,
    ],
    ['image_repository', 'image_repository: http://registry.example.com\n', 'image_repository', 19],
  ] as const) {
    test(`a URL scheme in ${where} is refused with the fixed spelling`, () => {
      const line = text.startsWith('network') ? 2 : 1;
      expectOnly(load(text), [
        {
          code: 'InvalidImageRepository',
          path,
          line,
          col,
        },
      ]);
    });
  }

  test('spaces or a double slash are refused', () => {
    expectOnly(load('image_repository: "registry example.com"\n'), [
      {
        code: 'InvalidImageRepository',
        path: 'image_repository',
        line: 1,
        col: 19,
      },
    ]);
    expectOnly(load('image_repository: registry.example.com//mirror\n'), [
      { code: 'InvalidImageRepository', path: 'image_repository', line: 1, col: 19 },
    ]);
  });
});

describe('node_local_dns_cache', () => {
  for (const [value, enabled] of [
    ['true', true],
    ['false', false],
    ['{enabled: true}', true],
    ['{enabled: false}', false],
  ] as const) {
    test(`${value} → enabled ${enabled}`, () => {
      assert.deepEqual(
        expectClean(load(`network:\n  node_local_dns_cache: ${value}\n`)).network.node_local_dns_cache,
        { enabled },
      );
    });
  }

  test('a string is an error at the value', () => {
    expectOnly(load('network:\n  node_local_dns_cache: enabled\n'), [
      {
        code: 'InvalidValue',
        path: 'network.node_local_dns_cache',
        line: 2,
        col: 25,
      },
    ]);
  });

  test('a map with a bad enabled is an error at enabled', () => {
    const text = 'network:\n  node_local_dns_cache:\n    enabled: 1\n';
    expectOnly(load(text), [
      { code: 'InvalidType', path: 'network.node_local_dns_cache.enabled', line: 3, col: 14 },
    ]);
  });
});

describe('dns_replicas against the hosts', () => {
  const hosts = yml`
    hosts:
      - address: 192.0.2.1
        role: master
      - address: 192.0.2.2
        role: worker
  `;

  test('equal to the host count passes (with the warning that it has no effect)', () => {
    const r = load(`${hosts}network:\n  dns_replicas: 2\n`);
    expectOnly(r, [
      { code: 'NoEffect', path: 'network.dns_replicas', severity: 'warning', line: 7, col: 17 },
    ]);
    assert.equal(r.config?.network.dns_replicas, 2);
  });

  test('written, it warns at its value: netpack deploys no CoreDNS, scale coredns yourself', () => {
    const r = load(`${hosts}network:\n  provider: calico\n  dns_replicas: 2\n`);
    expectOnly(r, [
      {
        code: 'NoEffect',
        path: 'network.dns_replicas',
        severity: 'warning',
        line: 8,
        col: 17,
        hint: [
          'scale the coredns Deployment yourself',
          'kubectl -n kube-system scale deployment coredns --replicas=2',
        ],
      },
    ]);
  });

  test('not written, no warning: the default is only explained', () => {
    expectClean(load(`${hosts}network:\n  provider: calico\n`));
  });

  test('a warning, not an error: netpack validate exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpack-dns-replicas-'));
    try {
      const file = join(dir, 'cluster.yml');
      writeFileSync(file, 'network:\n  dns_replicas: 3\n');
      const r = await runCli('validate', '-f', file);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /cluster\.yml:2:17: warning: .*netpack does not deploy CoreDNS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('more replicas than hosts is an error at dns_replicas', () => {
    expectOnly(load(`${hosts}network:\n  dns_replicas: 3\n`), [
      {
        code: 'TooManyReplicas',
        path: 'network.dns_replicas',
        line: 7,
        col: 17,
        hint: ['at most 2'],
      },
    ]);
  });

  test('the message is singular for one host', () => {
    const text = 'hosts:\n  - address: 192.0.2.1\n    role: master\nnetwork:\n  dns_replicas: 2\n';
    expectOnly(load(text), [
      { code: 'TooManyReplicas', path: 'network.dns_replicas', line: 5, col: 17, hint: ['at most 1'] },
    ]);
  });

  test('zero and negative replicas are errors', () => {
    expectOnly(load('network:\n  dns_replicas: 0\n'), [
      { code: 'OutOfRange', path: 'network.dns_replicas', line: 2, col: 17 },
    ]);
    expectOnly(load('network:\n  dns_replicas: -2\n'), [
      { code: 'OutOfRange', path: 'network.dns_replicas', line: 2, col: 17 },
    ]);
  });
});

describe('kube_proxy.mode', () => {
  test('ipvs with node-local DNS enabled (the default) is a warning at the mode', () => {
    const text = 'kube_proxy:\n  mode: ipvs\n';
    const r = load(text);
    expectOnly(r, [
      {
        code: 'DnsCacheLinkLocalOnly',
        path: 'kube_proxy.mode',
        severity: 'warning',
        line: 2,
        col: 9,
        hint: ['clusterDNS must be 169.254.20.10'],
      },
    ]);
    assert.equal(expectValid(r).network.kube_proxy_mode, 'ipvs');
  });

  test('ipvs without node-local DNS passes silently', () => {
    const c = expectClean(load('kube_proxy:\n  mode: ipvs\nnetwork:\n  node_local_dns_cache: false\n'));
    assert.equal(c.network.kube_proxy_mode, 'ipvs');
  });

  test('iptables with node-local DNS passes silently', () => {
    expectClean(load('kube_proxy:\n  mode: iptables\n'));
  });

  test('an unknown mode is an error', () => {
    expectOnly(load('kube_proxy:\n  mode: ebpf\n'), [
      { code: 'InvalidValue', path: 'kube_proxy.mode', line: 2, col: 9 },
    ]);
  });
});
