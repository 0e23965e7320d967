/**
 * network.weave: the password file (relative to the cluster file, must exist and be non-empty),
 * known peers, and the legacy Pharos 1.x network.trusted_subnets.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { NODE_IMAGE } from '../../src/render/node-image.ts';
import {
  at,
  BASE,
  expectClean,
  expectOnly,
  expectValid,
  FILE,
  FILES,
  load,
  mapProbe,
  yml,
} from './helpers.ts';

describe('weave.password', () => {
  test('an existing non-empty file passes and is resolved against the cluster file directory', () => {
    const probe = mapProbe(FILES);
    const r = loadConfig('network:\n  weave:\n    password: weave.secret\n', {
      file: FILE,
      baseDir: BASE,
      probe,
    });
    assert.equal(expectClean(r).network.weave.password, `${BASE}/weave.secret`);
    assert.ok(probe.asked.includes(`${BASE}/weave.secret`), 'the probe was asked about the resolved path');
  });

  test('a path with ../ is resolved against the cluster file directory', () => {
    const r = load('network:\n  weave:\n    password: ../shared/weave.secret\n', {
      ...FILES,
      '/clusters/shared/weave.secret': 'file',
    });
    assert.equal(expectClean(r).network.weave.password, '/clusters/shared/weave.secret');
  });

  test('a missing file is an error at the value, naming both paths and where they are relative to', () => {
    const text = 'network:\n  weave:\n    password: nope.secret\n';
    expectOnly(load(text), [
      {
        code: 'FileNotFound',
        path: 'network.weave.password',
        line: 3,
        col: 15,
        hint: ['relative to the directory of the cluster file'],
      },
    ]);
  });

  test('the same file name is missing when the cluster file lives elsewhere', () => {
    const r = loadConfig('network:\n  weave:\n    password: weave.secret\n', {
      file: FILE,
      baseDir: '/elsewhere',
      probe: mapProbe(FILES),
    });
    expectOnly(r, [
      {
        code: 'FileNotFound',
        path: 'network.weave.password',
        line: 3,
        col: 15,
      },
    ]);
  });

  test('an empty file is an error', () => {
    const text = 'network:\n  weave:\n    password: empty.secret\n';
    expectOnly(load(text), [{ code: 'FileEmpty', path: 'network.weave.password', line: 3, col: 15 }]);
  });

  test('a directory is an error', () => {
    const text = 'network:\n  weave:\n    password: secrets\n';
    expectOnly(load(text), [{ code: 'FileIsDirectory', path: 'network.weave.password', line: 3, col: 15 }]);
  });

  test('an unreadable file is an error', () => {
    const text = 'network:\n  weave:\n    password: locked.secret\n';
    expectOnly(load(text), [{ code: 'FileUnreadable', path: 'network.weave.password', line: 3, col: 15 }]);
  });

  test('an empty path is an error from the schema (and the file system is not asked)', () => {
    const probe = mapProbe(FILES);
    const r = loadConfig('network:\n  weave:\n    password: ""\n', { file: FILE, baseDir: BASE, probe });
    expectOnly(r, [{ code: 'OutOfRange', path: 'network.weave.password', line: 3, col: 15 }]);
    assert.deepEqual(probe.asked, []);
  });

  test('a password of another type is a type error', () => {
    expectOnly(load('network:\n  weave:\n    password: 1234\n'), [
      { code: 'InvalidType', path: 'network.weave.password', line: 3, col: 15 },
    ]);
  });

  test('with provider calico the weave block is ignored (a warning) and its password file is not checked', () => {
    const probe = mapProbe(FILES);
    const text = 'network:\n  provider: calico\n  weave:\n    password: nope.secret\n';
    const r = loadConfig(text, { file: FILE, baseDir: BASE, probe });
    expectOnly(r, [
      {
        code: 'IgnoredOption',
        path: 'network.weave',
        severity: 'warning',
        line: 3,
        col: 3,
        hint: ['network.provider: weave'],
      },
    ]);
    assert.deepEqual(probe.asked, []);
  });
});

describe('weave.known_peers', () => {
  test('IPv4 and IPv6 peers pass', () => {
    const c = expectClean(
      load('network:\n  weave:\n    password: weave.secret\n    known_peers: [192.0.2.1, 2001:db8::1]\n'),
    );
    assert.deepEqual(c.network.weave.known_peers, ['192.0.2.1', '2001:db8::1']);
  });

  test('a host name or CIDR is not a peer address', () => {
    const text = yml`
      network:
        weave:
          password: weave.secret
          known_peers:
            - peer.example.com
            - 192.0.2.0/24
    `;
    expectOnly(load(text), [
      {
        code: 'InvalidAddress',
        path: 'network.weave.known_peers[0]',
        line: 5,
        col: 9,
      },
      {
        code: 'InvalidAddress',
        path: 'network.weave.known_peers[1]',
        line: 6,
        col: 9,
      },
    ]);
  });

  test('a peer listed twice is a warning at the second entry', () => {
    const text =
      'network:\n  weave:\n    password: weave.secret\n    known_peers:\n      - 192.0.2.1\n      - 192.0.2.2\n      - 192.0.2.1\n';
    const r = load(text);
    expectOnly(r, [
      {
        code: 'DuplicateEntry',
        path: 'network.weave.known_peers[2]',
        severity: 'warning',
        line: 7,
        col: 9,
      },
    ]);
    expectValid(r);
  });
});

describe('weave multi-cluster options', () => {
  test('known_peers without a password is a warning at known_peers (peers need a shared secret)', () => {
    const text = 'network:\n  weave:\n    known_peers: [192.0.2.1]\n';
    const r = load(text);
    expectOnly(r, [
      {
        code: 'PeersWithoutPassword',
        path: 'network.weave.known_peers',
        severity: 'warning',
        line: 3,
        col: 18,
        hint: ['same password file'],
      },
    ]);
    expectValid(r);
  });

  test('remote_subnets without ipalloc_default_subnet is an error at remote_subnets', () => {
    const text = 'network:\n  weave:\n    remote_subnets: [10.40.0.0/13]\n';
    expectOnly(load(text), [
      {
        code: 'MissingOption',
        path: 'network.weave.remote_subnets',
        line: 3,
        col: 21,
        hint: ['ipalloc_default_subnet'],
      },
    ]);
  });

  test('remote_subnets with ipalloc_default_subnet passes', () => {
    const c = expectClean(
      load(
        'network:\n  weave:\n    ipalloc_default_subnet: 10.32.0.0/13\n    remote_subnets: [10.40.0.0/13]\n',
      ),
    );
    assert.deepEqual(c.network.weave.remote_subnets, ['10.40.0.0/13']);
  });
});

describe('legacy network.trusted_subnets (Pharos 1.x)', () => {
  test('is accepted with a deprecation warning at the key and becomes weave.trusted_subnets', () => {
    const text = 'network:\n  trusted_subnets: [192.0.2.0/24]\n';
    const r = load(text);
    expectOnly(r, [
      {
        code: 'Deprecated',
        path: 'network.trusted_subnets',
        severity: 'warning',
        line: 2,
        col: 3,
        hint: ['network.weave.trusted_subnets'],
      },
    ]);
    assert.deepEqual(expectValid(r).network.weave.trusted_subnets, ['192.0.2.0/24']);
    assert.deepEqual(r.origins['network.weave.trusted_subnets'], {
      from: 'file',
      path: 'network.trusted_subnets',
      line: 2,
      col: 20,
    });
  });

  test('both spellings with the same value: only the deprecation warning', () => {
    const text =
      'network:\n  trusted_subnets: [192.0.2.0/24]\n  weave:\n    trusted_subnets: [192.0.2.0/24]\n';
    const r = load(text);
    expectOnly(r, [
      { code: 'Deprecated', path: 'network.trusted_subnets', severity: 'warning', line: 2, col: 3 },
    ]);
    assert.deepEqual(r.origins['network.weave.trusted_subnets']?.from, 'file');
  });

  test('both spellings with different values: a conflict error at the legacy value', () => {
    const text = yml`
      network:
        trusted_subnets: [192.0.2.0/24]
        weave:
          trusted_subnets: [198.51.100.0/24]
    `;
    expectOnly(load(text), [
      { code: 'Deprecated', path: 'network.trusted_subnets', severity: 'warning', line: 2, col: 3 },
      {
        code: 'AliasConflict',
        path: 'network.trusted_subnets',
        line: 2,
        col: 20,
        hint: ['set only one of', 'network.weave.trusted_subnets', 'network.trusted_subnets'],
      },
    ]);
  });
});

describe('network.weave.peering', () => {
  test('defaults: the side-car is off in one region, on the official node image, no kubelet DNAT', () => {
    const c = expectClean(load('network:\n  provider: weave\n'));
    assert.deepEqual(c.network.weave.peering, { enabled: false, image: NODE_IMAGE, kubelet_dnat: false });
    assert.match(NODE_IMAGE, /^docker\.io\/library\/node:24\.[\d.]+-slim@sha256:[0-9a-f]{64}$/);
  });

  test("defaults: the fork's 2.9.0, iptables backend auto, consensus; each with its origin", () => {
    const r = load('network:\n  provider: weave\n');
    const c = expectClean(r);
    assert.equal(c.network.weave.image_version, '2.9.0');
    assert.equal(c.network.weave.iptables_backend, 'auto');
    assert.equal(c.network.weave.ipalloc_init, 'consensus');
    assert.deepEqual(r.origins['network.weave.image_version'], {
      from: 'default',
      reason: 'the maintained fork; upstream 2.8.1 is archived',
    });
  });

  test('image_version, iptables_backend and ipalloc_init are read; a wrong value is refused at its position', () => {
    const c = expectClean(load('network:\n  weave:\n    image_version: 2.8.1\n    ipalloc_init: observer\n'));
    assert.equal(c.network.weave.image_version, '2.8.1');
    assert.equal(c.network.weave.ipalloc_init, 'observer');
    const bad = load('network:\n  weave:\n    image_version: "2.7.0"\n');
    assert.ok(
      bad.diagnostics.some(
        (d) => d.severity === 'error' && d.path === 'network.weave.image_version' && d.line === 3,
      ),
      JSON.stringify(bad.diagnostics),
    );
  });

  test('iptables_backend other than auto with a release that does not read it: an error at the option', () => {
    expectOnly(load('network:\n  weave:\n    image_version: 2.8.10\n    iptables_backend: nft\n'), [
      {
        code: 'UnsupportedByVersion',
        path: 'network.weave.iptables_backend',
        severity: 'error',
        line: 4,
        col: 23,
        hint: ['image_version: 2.9.0'],
      },
    ]);
    expectClean(load('network:\n  weave:\n    iptables_backend: legacy\n'));
  });

  test('every option is read from the file, with its origin', () => {
    const text = yml`
      network:
        weave:
          peering:
            enabled: true
            image: registry.example.com/netpack:1.2.3
            kubelet_dnat: true
    `;
    const r = load(text);
    const c = expectClean(r);
    assert.deepEqual(c.network.weave.peering, {
      enabled: true,
      image: 'registry.example.com/netpack:1.2.3',
      kubelet_dnat: true,
    });
    const origin = r.origins['network.weave.peering.enabled'];
    assert.deepEqual(origin, { from: 'file', path: 'network.weave.peering.enabled', ...at(text, 'true') });
  });

  test('an unknown option is an error at its key with "did you mean"; a non-boolean at its value', () => {
    const text = 'network:\n  weave:\n    peering:\n      enable: true\n      kubelet_dnat: yes\n';
    expectOnly(load(text), [
      {
        code: 'UnknownKey',
        path: 'network.weave.peering.enable',
        ...at(text, 'enable:'),
        hint: ['did you mean "enabled"?'],
      },
      {
        code: 'InvalidType',
        path: 'network.weave.peering.kubelet_dnat',
        ...at(text, 'yes'),
        hint: ['write true'],
      },
    ]);
  });
});

describe('hosts in several regions', () => {
  const hosts = (regions: string[]) =>
    `hosts:\n${regions
      .map(
        (r, i) =>
          `  - address: 192.0.2.${i + 1}\n    role: ${i === 0 ? 'master' : 'worker'}\n    labels:\n      topology.kubernetes.io/region: ${r}\n`,
      )
      .join('')}`;

  test('kubelet_dnat on the default node image (no iptables there): an error at the option', () => {
    expectOnly(load('network:\n  weave:\n    peering:\n      enabled: true\n      kubelet_dnat: true\n'), [
      {
        code: 'ImageLacksIptables',
        path: 'network.weave.peering.kubelet_dnat',
        severity: 'error',
        line: 5,
        col: 21,
        hint: ['set network.weave.peering.image'],
      },
    ]);
  });

  test('hosts in several regions: peering on by default, with the regions as its origin', () => {
    const text = `${hosts(['eu', 'eu', 'us'])}network:\n  provider: weave\n`;
    const r = load(text);
    const c = expectClean(r);
    assert.equal(c.network.weave.peering.enabled, true);
    assert.deepEqual(r.origins['network.weave.peering.enabled'], {
      from: 'default',
      reason: 'the hosts span regions eu, us',
    });
  });

  test('peering turned off by hand across regions: a warning at the option', () => {
    const text = `${hosts(['eu', 'eu', 'us'])}network:\n  provider: weave\n  weave:\n    peering:\n      enabled: false\n`;
    expectOnly(load(text), [
      {
        code: 'RegionsWithoutPeering',
        path: 'network.weave.peering.enabled',
        severity: 'warning',
        line: 18,
        col: 16,
        hint: ['set network.weave.peering.enabled: true'],
      },
    ]);
  });

  test('with peering on, or in one region, or with Calico: nothing to say', () => {
    expectClean(load(`${hosts(['eu', 'us'])}network:\n  weave:\n    peering:\n      enabled: true\n`));
    expectClean(load(`${hosts(['eu', 'eu'])}network:\n  provider: weave\n`));
    expectClean(load(`${hosts(['eu', 'us'])}network:\n  provider: calico\n`));
  });
});
