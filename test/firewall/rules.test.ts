/** Config rules for network.firewalld and the single-cluster side of multi-cluster Weave, with positions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from '../../src/config/diagnostics.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { FileKind } from '../../src/config/reporter.ts';

const files: Record<string, FileKind> = { '/c/weave.secret': 'file' };
const load = (text: string) =>
  loadConfig(text, { file: 'cluster.yml', baseDir: '/c', probe: { kind: (p) => files[p] ?? 'missing' } });

function one(text: string, path: string): Diagnostic {
  const found = load(text).diagnostics.filter((d) => d.path === path);
  assert.equal(found.length, 1, `one diagnostic at ${path}, got ${JSON.stringify(load(text).diagnostics)}`);
  return found[0]!;
}

const ports = (...lines: string[]) => `network:\n  firewalld:\n    open_ports:\n${lines.join('\n')}\n`;

test('a port above 65535 is an error at the port', () => {
  const d = one(
    ports('      - {port: "70000", protocol: tcp, roles: ["*"]}'),
    'network.firewalld.open_ports[0].port',
  );
  assert.equal(d.severity, 'error');
  assert.deepEqual([d.line, d.col], [4, 16]);
  assert.equal(d.code, 'InvalidPort');
});

test('port 0 is an error', () => {
  assert.equal(
    one(ports('      - {port: "0", protocol: tcp, roles: ["*"]}'), 'network.firewalld.open_ports[0].port')
      .severity,
    'error',
  );
});

test('a reversed range is an error with the fix', () => {
  const d = one(
    ports('      - port: "32767-30000"', '        protocol: udp', '        roles: [worker]'),
    'network.firewalld.open_ports[0].port',
  );
  assert.equal(d.severity, 'error');
  assert.deepEqual([d.line, d.col], [4, 15]);
  assert.match(d.hint ?? '', /30000-32767/);
});

test('a range ending above 65535 is an error', () => {
  assert.equal(
    one(
      ports('      - {port: "60000-70000", protocol: tcp, roles: ["*"]}'),
      'network.firewalld.open_ports[0].port',
    ).severity,
    'error',
  );
});

test('a valid range and a numeric port pass', () => {
  const r = load(
    ports(
      '      - {port: "30000-32767", protocol: tcp, roles: ["*"]}',
      '      - {port: 8443, protocol: tcp, roles: [master]}',
    ),
  );
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config?.network.firewalld.open_ports[1]?.port, '8443');
});

test('a bad protocol and a bad role are schema errors at their positions', () => {
  const r = load(ports('      - {port: "22", protocol: icmp, roles: [boss]}'));
  const proto = r.diagnostics.find((d) => d.path === 'network.firewalld.open_ports[0].protocol');
  const role = r.diagnostics.find((d) => d.path.startsWith('network.firewalld.open_ports[0].roles'));
  assert.ok(proto && proto.severity === 'error' && proto.line === 4);
  assert.ok(role && role.severity === 'error' && role.line === 4);
});

test('"*" with other roles, and a role twice, are warnings', () => {
  assert.equal(
    one(
      ports('      - {port: "22", protocol: tcp, roles: ["*", master]}'),
      'network.firewalld.open_ports[0].roles',
    ).severity,
    'warning',
  );
  assert.equal(
    one(
      ports('      - {port: "22", protocol: tcp, roles: [worker, worker]}'),
      'network.firewalld.open_ports[0].roles',
    ).code,
    'DuplicateEntry',
  );
});

test('overlapping ports for one role warn at the later one', () => {
  const d = one(
    ports(
      '      - {port: "30000-32767", protocol: tcp, roles: ["*"]}',
      '      - {port: "31000", protocol: tcp, roles: [worker]}',
    ),
    'network.firewalld.open_ports[1].port',
  );
  assert.equal(d.severity, 'warning');
  assert.equal(d.code, 'PortOverlap');
  // Different protocol or disjoint roles: fine.
  assert.deepEqual(
    load(
      ports(
        '      - {port: "80", protocol: tcp, roles: [worker]}',
        '      - {port: "80", protocol: tcp, roles: [master]}',
      ),
    ).diagnostics,
    [],
  );
});

test('opening a node-only port (kubelet, Weave, BGP) to everyone warns', () => {
  for (const open of [
    '{port: "10250", protocol: tcp, roles: ["*"]}',
    '{port: "6784", protocol: udp, roles: ["*"]}',
  ])
    assert.equal(
      one(ports(`      - ${open}`), 'network.firewalld.open_ports[0].port').code,
      'NodeOnlyPortOpen',
    );
  const calico = `network:\n  provider: calico\n  firewalld:\n    open_ports:\n      - {port: "179", protocol: tcp, roles: ["*"]}\n`;
  assert.equal(one(calico, 'network.firewalld.open_ports[0].port').code, 'NodeOnlyPortOpen');
});

test('a trusted subnet of 0.0.0.0/0 warns', () => {
  const d = one(
    'network:\n  firewalld:\n    trusted_subnets: [0.0.0.0/0]\n',
    'network.firewalld.trusted_subnets[0]',
  );
  assert.equal(d.severity, 'warning');
});

test('known_peers without a password file warns at known_peers', () => {
  const d = one('network:\n  weave:\n    known_peers: [192.0.2.1]\n', 'network.weave.known_peers');
  assert.equal(d.severity, 'warning');
  assert.deepEqual([d.line, d.col], [3, 18]);
  assert.deepEqual(
    load('network:\n  weave:\n    password: weave.secret\n    known_peers: [192.0.2.1]\n').diagnostics,
    [],
  );
});

test('remote_subnets without ipalloc_default_subnet is an error', () => {
  const d = one('network:\n  weave:\n    remote_subnets: [10.34.0.0/16]\n', 'network.weave.remote_subnets');
  assert.equal(d.severity, 'error');
  assert.deepEqual([d.line, d.col], [3, 21]);
});

test('overlapping remote_subnets warn at the later one', () => {
  const d = one(
    'network:\n  weave:\n    ipalloc_default_subnet: 10.33.0.0/16\n    remote_subnets: [10.34.0.0/16, 10.34.128.0/17]\n',
    'network.weave.remote_subnets[1]',
  );
  assert.equal(d.severity, 'warning');
});

test('opening Typha’s 5473/tcp to everyone warns when netpack runs Typha, not otherwise', () => {
  const open = '    open_ports:\n      - {port: "5473", protocol: tcp, roles: ["*"]}\n';
  const on = `network:\n  provider: calico\n  calico:\n    typha: true\n  firewalld:\n${open}`;
  const d = one(on, 'network.firewalld.open_ports[0].port');
  assert.equal(d.code, 'NodeOnlyPortOpen');
  assert.deepEqual([d.line, d.col], [7, 16]);
  const off = `network:\n  provider: calico\n  calico:\n    typha: false\n  firewalld:\n${open}`;
  assert.deepEqual(load(off).diagnostics, []);
});
