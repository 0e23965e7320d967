/**
 * hosts: addresses (IP or host name), role, labels, ssh_port, and address:ssh_port uniqueness.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_HOSTS } from '../../src/config/load.ts';
import { at, expectClean, expectOnly, load, yml } from './helpers.ts';

describe('hosts', () => {
  test('a full host entry passes and is read with its defaults', () => {
    const text = yml`
      hosts:
        - address: 192.0.2.1
          private_address: 10.0.0.1
          private_interface: eth1
          role: master
          user: ubuntu
          ssh_key_path: ~/.ssh/id_rsa
          ssh_port: 2222
          labels:
            zone: a
            gpu: true
            rack: 7
        - address: node-2.example.com
          role: worker
    `;
    const c = expectClean(load(text));
    assert.deepEqual(c.hosts, [
      {
        address: '192.0.2.1',
        private_address: '10.0.0.1',
        role: 'master',
        labels: { zone: 'a', gpu: 'true', rack: '7' },
        ssh_port: 2222,
      },
      { address: 'node-2.example.com', role: 'worker', labels: {}, ssh_port: 22 },
    ]);
  });

  test(`more than ${MAX_HOSTS} hosts: one error at the first host beyond the bound, nothing else read`, () => {
    const host = (i: number) => `  - address: 198.18.${i >> 8}.${i & 255}\n`;
    const list = (n: number) => Array.from({ length: n }, (_, i) => host(i)).join('');
    // Line 1 is network:, line 2 hosts:, so host i is on line i + 3.
    const text = `network: {provider: nope}\nhosts:\n${list(MAX_HOSTS + 1)}`;
    expectOnly(load(text), [
      {
        code: 'TooManyHosts',
        path: `hosts[${MAX_HOSTS}]`,
        line: MAX_HOSTS + 3,
        col: 5,
        hint: ['one cluster file per cluster'],
      },
    ]);
  });

  test('address is required', () => {
    const text = 'hosts:\n  - role: master\n';
    expectOnly(load(text), [{ code: 'MissingOption', path: 'hosts[0].address', line: 2, col: 5 }]);
  });

  test('role is required and must be master or worker', () => {
    const text = 'hosts:\n  - address: 192.0.2.1\n  - address: 192.0.2.2\n    role: etcd\n';
    expectOnly(load(text), [
      { code: 'MissingOption', path: 'hosts[0].role', line: 2, col: 5 },
      { code: 'InvalidValue', path: 'hosts[1].role', line: 4, col: 11 },
    ]);
  });

  for (const [value, _words] of [
    ['192.0.2.300', ['octet above 255']],
    ['192.0.02.1', ['leading zero']],
    ['192.0.2.0/24', ['IP address or host name', '192.0.2.0/24']],
    ['"node_1!"', ['IP address or host name', 'node_1!']],
    ['-node.example.com', ['IP address or host name']],
    ['"2001:db8::zz"', ['not an IPv6 address']],
  ] as const) {
    test(`address ${value} is refused`, () => {
      const text = `hosts:\n  - address: ${value}\n    role: master\n`;
      expectOnly(load(text), [{ code: 'InvalidAddress', path: 'hosts[0].address', line: 2, col: 14 }]);
    });
  }

  test('private_address is checked like address', () => {
    const text = 'hosts:\n  - address: 192.0.2.1\n    private_address: 10.0.0.256\n    role: master\n';
    expectOnly(load(text), [{ code: 'InvalidAddress', path: 'hosts[0].private_address', line: 3, col: 22 }]);
  });

  for (const [port, code] of [
    ['0', 'OutOfRange'],
    ['65536', 'OutOfRange'],
    ['"22"', 'InvalidType'],
    ['22.5', 'InvalidType'],
  ] as const) {
    test(`ssh_port ${port} is refused`, () => {
      const text = `hosts:\n  - address: 192.0.2.1\n    role: master\n    ssh_port: ${port}\n`;
      expectOnly(load(text), [{ code, path: 'hosts[0].ssh_port', line: 4, col: 15 }]);
    });
  }

  test('labels must be scalars', () => {
    const text = 'hosts:\n  - address: 192.0.2.1\n    role: master\n    labels:\n      zone: [a, b]\n';
    expectOnly(load(text), [{ code: 'InvalidValue', path: 'hosts[0].labels.zone', ...at(text, '[a') }]);
  });

  test('the same address twice is an error at the second, naming the first', () => {
    const text = yml`
      hosts:
        - address: 192.0.2.1
          role: master
        - address: 192.0.2.2
          role: worker
        - address: 192.0.2.1
          role: worker
    `;
    expectOnly(load(text), [
      {
        code: 'DuplicateHost',
        path: 'hosts[2].address',
        line: 6,
        col: 14,
        hint: ['address:ssh_port must be unique', 'ssh_port'],
      },
    ]);
  });

  test('the same address with different ssh ports passes (hosts behind one NAT address)', () => {
    const text = yml`
      hosts:
        - address: 203.0.113.1
          role: master
          ssh_port: 2201
        - address: 203.0.113.1
          role: worker
          ssh_port: 2202
        - address: 203.0.113.1
          role: worker
    `;
    assert.deepEqual(
      expectClean(load(text)).hosts.map((h) => h.ssh_port),
      [2201, 2202, 22],
    );
  });

  test('an explicit ssh_port 22 collides with the default', () => {
    const text =
      'hosts:\n  - address: 192.0.2.1\n    role: master\n  - address: 192.0.2.1\n    role: worker\n    ssh_port: 22\n';
    expectOnly(load(text), [{ code: 'DuplicateHost', path: 'hosts[1].address', line: 4, col: 14 }]);
  });

  test('duplicate host names are caught too', () => {
    const text =
      'hosts:\n  - address: a.example.com\n    role: master\n  - address: a.example.com\n    role: worker\n';
    expectOnly(load(text), [{ code: 'DuplicateHost', path: 'hosts[1].address', line: 4, col: 14 }]);
  });

  test('an entry that is not a map is a type error at the entry', () => {
    const text = 'hosts:\n  - 192.0.2.1\n';
    expectOnly(load(text), [{ code: 'InvalidType', path: 'hosts[0]', line: 2, col: 5 }]);
  });
});
