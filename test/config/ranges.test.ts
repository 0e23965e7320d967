/**
 * CIDR and IP parsing, and the rules across ranges: pod/service overlap, size limits, host
 * addresses inside the ranges, trusted subnets, Weave's allocation and remote subnets.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { at, expectClean, expectOnly, load, yml } from './helpers.ts';

describe('CIDR parsing', () => {
  for (const option of ['service_cidr', 'pod_network_cidr'] as const) {
    const col = option.length + 5;
    for (const [value, words] of [
      ['10.96.0.1/12', ['host bits set', 'the network is 10.96.0.0/12']],
      ['10.096.0.0/12', ['leading zero', 'octal']],
      ['10.96.0.0/33', ['invalid prefix length', '0..32']],
      ['10.96.0.0/x', ['invalid prefix length']],
      ['10.96.0.0', ['no prefix length', 'write it as 10.96.0.0/NN']],
      ['10.300.0.0/16', ['octet above 255']],
      ['ten.0.0.0/8', ['not an IPv4 address']],
      ['fd00::/108', ['is IPv6', 'takes IPv4']],
    ] as const) {
      test(`network.${option}: ${value} → ${words[0]}`, () => {
        const text = `network:\n  ${option}: ${value}\n`;
        expectOnly(load(text), [
          {
            code: 'InvalidCidr',
            path: `network.${option}`,
            line: 2,
            col,
          },
        ]);
      });
    }
  }

  test('valid ranges pass', () => {
    const c = expectClean(
      load('network:\n  service_cidr: 172.31.0.0/16\n  pod_network_cidr: 10.244.0.0/16\n'),
    );
    assert.equal(c.network.service_cidr, '172.31.0.0/16');
    assert.equal(c.network.pod_network_cidr, '10.244.0.0/16');
  });

  test('each bad entry of a CIDR list is reported at its own index', () => {
    const text = yml`
      network:
        weave:
          trusted_subnets:
            - 192.0.2.0/24
            - 192.0.2.1/24
            - 198.51.100.0/24
            - 198.051.100.0/24
    `;
    expectOnly(load(text), [
      { code: 'InvalidCidr', path: 'network.weave.trusted_subnets[1]', ...at(text, '192.0.2.1/24') },
      {
        code: 'InvalidCidr',
        path: 'network.weave.trusted_subnets[3]',
        ...at(text, '198.051.100.0/24'),
      },
    ]);
  });
});

describe('pod and service ranges', () => {
  test('overlapping ranges: error at the pod range the operator wrote', () => {
    const text = 'network:\n  pod_network_cidr: 10.96.0.0/16\n';
    expectOnly(load(text), [
      {
        code: 'CidrOverlap',
        path: 'network.pod_network_cidr',
        line: 2,
        col: 21,
        hint: ['do not overlap'],
      },
    ]);
  });

  test('overlap with only service_cidr written: error at service_cidr', () => {
    const text = 'network:\n  service_cidr: 10.32.0.0/16\n';
    expectOnly(load(text), [
      {
        code: 'CidrOverlap',
        path: 'network.service_cidr',
        line: 2,
        col: 17,
      },
    ]);
  });

  test('adjacent ranges do not overlap', () => {
    expectClean(load('network:\n  service_cidr: 10.96.0.0/12\n  pod_network_cidr: 10.80.0.0/12\n'));
  });

  test('a service range larger than /12 is refused', () => {
    const text = 'network:\n  service_cidr: 10.0.0.0/11\n  pod_network_cidr: 192.168.0.0/16\n';
    expectOnly(load(text), [
      {
        code: 'ServiceCidrTooLarge',
        path: 'network.service_cidr',
        line: 2,
        col: 17,
        hint: ['/12 or smaller'],
      },
    ]);
  });

  test('a /12 service range is the largest accepted', () => {
    expectClean(load('network:\n  service_cidr: 10.0.0.0/12\n  pod_network_cidr: 192.168.0.0/16\n'));
  });

  test("a pod range smaller than one node's /24 is refused", () => {
    const text = 'network:\n  pod_network_cidr: 192.168.0.0/25\n';
    expectOnly(load(text), [
      {
        code: 'PodCidrTooSmall',
        path: 'network.pod_network_cidr',
        line: 2,
        col: 21,
        hint: ['/24 or larger'],
      },
    ]);
  });

  test('a /24 pod range is the smallest accepted', () => {
    expectClean(load('network:\n  pod_network_cidr: 192.168.7.0/24\n'));
  });

  test('the Spectro calicoNetworkCIDR alias is checked like the pod range, at its own position', () => {
    const text = 'network:\n  provider: calico\n  calico:\n    calicoNetworkCIDR: 10.96.64.0/18\n';
    expectOnly(load(text), [
      {
        code: 'CidrOverlap',
        path: 'network.calico.calicoNetworkCIDR',
        line: 4,
        col: 24,
      },
    ]);
  });
});

describe('host addresses inside the ranges', () => {
  test('address in the pod range and private_address in the service range', () => {
    const text = yml`
      hosts:
        - address: 10.32.0.5
          private_address: 10.96.0.3
          role: master
    `;
    expectOnly(load(text), [
      {
        code: 'AddressInRange',
        path: 'hosts[0].address',
        line: 2,
        col: 14,
        hint: ['pod_network_cidr'],
      },
      {
        code: 'AddressInRange',
        path: 'hosts[0].private_address',
        line: 3,
        col: 22,
        hint: ['service_cidr'],
      },
    ]);
  });

  test('the check uses the written ranges, not the defaults', () => {
    const text = yml`
      hosts:
        - address: 10.32.0.5
          role: master
        - address: 172.16.4.4
          role: worker
      network:
        pod_network_cidr: 172.16.0.0/16
    `;
    expectOnly(load(text), [
      {
        code: 'AddressInRange',
        path: 'hosts[1].address',
        ...at(text, '172.16.4.4'),
      },
    ]);
  });

  test('host names are skipped (they cannot be checked)', () => {
    const text = yml`
      hosts:
        - address: node-1.example.com
          private_address: node-1.internal
          role: master
        - address: 192.0.2.10
          role: worker
    `;
    const c = expectClean(load(text));
    assert.equal(c.hosts[0]!.address, 'node-1.example.com');
  });

  test('IPv6 host addresses are accepted and never inside IPv4 ranges', () => {
    const text = 'hosts:\n  - address: 2001:db8::10\n    role: master\n';
    assert.equal(expectClean(load(text)).hosts[0]!.address, '2001:db8::10');
  });
});

describe('weave subnets against the ranges', () => {
  test('a trusted subnet overlapping the pod network is an error at its entry', () => {
    const text = yml`
      network:
        weave:
          trusted_subnets: [192.0.2.0/24, 10.32.0.0/16]
    `;
    expectOnly(load(text), [
      {
        code: 'CidrOverlap',
        path: 'network.weave.trusted_subnets[1]',
        ...at(text, '10.32.0.0/16'),
        hint: ["hosts' private addresses"],
      },
    ]);
  });

  test('a trusted subnet covering both ranges names each of them', () => {
    const text = 'network:\n  weave:\n    trusted_subnets: [10.0.0.0/8]\n';
    const r = load(text);
    assert.equal(r.config, undefined);
    assert.deepEqual(
      r.diagnostics.map((d) => [
        d.severity,
        d.path,
        d.line,
        d.col,
        /overlaps the (\w+) network/.exec(d.message)?.[1],
      ]),
      [
        ['error', 'network.weave.trusted_subnets[0]', 3, 23, 'pod'],
        ['error', 'network.weave.trusted_subnets[0]', 3, 23, 'service'],
      ],
    );
  });

  test('the legacy network.trusted_subnets is checked against the ranges at its own position', () => {
    const text = 'network:\n  trusted_subnets: [10.96.0.0/24]\n';
    expectOnly(load(text), [
      { code: 'Deprecated', path: 'network.trusted_subnets', severity: 'warning', line: 2, col: 3 },
      {
        code: 'CidrOverlap',
        path: 'network.trusted_subnets[0]',
        line: 2,
        col: 21,
      },
    ]);
  });

  test('trusted subnets outside both ranges pass', () => {
    const c = expectClean(load('network:\n  weave:\n    trusted_subnets: [192.0.2.0/24, 198.51.100.0/24]\n'));
    assert.deepEqual(c.network.weave.trusted_subnets, ['192.0.2.0/24', '198.51.100.0/24']);
  });

  test('ipalloc_default_subnet outside the pod network is an error', () => {
    const text = 'network:\n  weave:\n    ipalloc_default_subnet: 10.64.0.0/16\n';
    expectOnly(load(text), [
      {
        code: 'SubnetOutsidePodCidr',
        path: 'network.weave.ipalloc_default_subnet',
        line: 3,
        col: 29,
        hint: ['subnet of the pod network'],
      },
    ]);
  });

  test('ipalloc_default_subnet that only partly overlaps the pod network is an error too', () => {
    const text =
      'network:\n  pod_network_cidr: 10.32.0.0/16\n  weave:\n    ipalloc_default_subnet: 10.32.0.0/15\n';
    expectOnly(load(text), [
      { code: 'SubnetOutsidePodCidr', path: 'network.weave.ipalloc_default_subnet', line: 4, col: 29 },
    ]);
  });

  test('ipalloc_default_subnet inside (or equal to) the pod network passes', () => {
    expectClean(load('network:\n  weave:\n    ipalloc_default_subnet: 10.32.0.0/12\n'));
    expectClean(load('network:\n  weave:\n    ipalloc_default_subnet: 10.40.0.0/13\n'));
  });

  test('remote_subnets must lie in the pod network and not overlap ipalloc_default_subnet', () => {
    const text = yml`
      network:
        weave:
          ipalloc_default_subnet: 10.32.0.0/16
          remote_subnets:
            - 10.33.0.0/16
            - 10.32.128.0/17
            - 172.16.0.0/16
    `;
    expectOnly(load(text), [
      {
        code: 'CidrOverlap',
        path: 'network.weave.remote_subnets[1]',
        ...at(text, '10.32.128.0/17'),
      },
      {
        code: 'SubnetOutsidePodCidr',
        path: 'network.weave.remote_subnets[2]',
        ...at(text, '172.16.0.0/16'),
        hint: ['shared pod network'],
      },
    ]);
  });
});
