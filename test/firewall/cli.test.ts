/**
 * `netpack firewall` in-process: flag mistakes are usage errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'netpack-firewall-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CLUSTER = `hosts:
  - address: 192.0.2.1
    private_address: 10.0.0.1
    role: master
    name: m1
  - address: 192.0.2.2
    role: worker
network:
  provider: weave
  firewalld:
    enabled: true
`;

test('--host naming no host of the file is a usage error (exit 2) naming the flag and the known hosts', async () => {
  const file = join(dir, 'c.yml');
  writeFileSync(file, CLUSTER);
  const r = await runCli('firewall', '-f', file, '--host', 'UNKNOWN');
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.lines, [
    `netpack: --host UNKNOWN: no such host in ${file}; known hosts: 192.0.2.1 (10.0.0.1, m1), 192.0.2.2`,
  ]);
  assert.doesNotMatch(r.stderr, /c\.yml:\d+:\d+/);
  const ok = await runCli('firewall', '-f', file, '--host', 'm1');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /netpack-master\.xml/);
});

test('--host with a file that lists no hosts says so', async () => {
  const file = join(dir, 'no-hosts.yml');
  writeFileSync(file, 'network:\n  provider: weave\n');
  const r = await runCli('firewall', '-f', file, '--host', '10.0.0.1');
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(r.lines, [`netpack: --host 10.0.0.1: ${file} lists no hosts`]);
});
