/**
 * Multi-cluster Weave: each set rule on synthetic members, the examples (valid sets and broken
 * variants with their positions) through the CLI, and the route DaemonSet.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Diagnostic } from '../../src/config/diagnostics.ts';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import {
  type ClusterMember,
  checkClusterSet,
  parsePath,
  passwordDigest,
  remoteSubnets,
} from '../../src/multicluster/index.ts';
import { renderWeave } from '../../src/providers/weave/index.ts';
import {
  REMOTE_ROUTES_NAME,
  REMOTE_ROUTES_SCRIPT,
  remoteRoutesDaemonSet,
} from '../../src/providers/weave/remote-subnets.ts';
import { runCli } from '../support/cli.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const examples = join(repo, 'examples', 'multi-cluster');

/** A member whose positions encode the path, so tests can see where a diagnostic points. */
function member(
  file: string,
  edit: (c: ClusterConfig) => void,
  digest: string | undefined = 'same',
): ClusterMember {
  const config = defaultClusterConfig();
  config.file = file;
  config.network.weave.password = '/secret';
  edit(config);
  const m: ClusterMember = {
    file,
    config,
    locate: (path) => ({ line: path.length, col: 1 }),
    written: () => undefined,
  };
  if (digest !== undefined) m.passwordDigest = digest;
  return m;
}

const host = (address: string) => ({ address, role: 'worker' as const, labels: {}, ssh_port: 22 });

function pair(editB: (c: ClusterConfig) => void = () => {}, digestB?: string): ClusterMember[] {
  const a = member('a.yml', (c) => {
    c.hosts = [host('192.168.10.11')];
    c.network.service_cidr = '172.16.0.0/16';
    c.network.weave.ipalloc_default_subnet = '10.33.0.0/16';
    c.network.weave.known_peers = ['192.168.20.11'];
  });
  const b = member(
    'b.yml',
    (c) => {
      c.hosts = [host('192.168.20.11')];
      c.network.service_cidr = '172.17.0.0/16';
      c.network.weave.ipalloc_default_subnet = '10.34.0.0/16';
      c.network.weave.known_peers = ['192.168.10.11'];
      c.network.weave.ipalloc_init = 'observer';
      editB(c);
    },
    digestB ?? 'same',
  );
  return [a, b];
}

const errorsAt = (ds: Diagnostic[], file: string) =>
  ds.filter((d) => d.severity === 'error' && d.file === file).map((d) => d.path);

test('a consistent pair has no findings', () => {
  assert.deepEqual(checkClusterSet(pair()), []);
});

test('pod CIDRs that differ: error in the second file at pod_network_cidr', () => {
  const ds = checkClusterSet(pair((c) => (c.network.pod_network_cidr = '10.64.0.0/12')));
  assert.ok(errorsAt(ds, 'b.yml').includes('network.pod_network_cidr'));
  assert.deepEqual(errorsAt(ds, 'a.yml'), []);
  // The same network written differently is the same.
  assert.deepEqual(checkClusterSet(pair((c) => (c.network.pod_network_cidr = '10.32.0.0/12'))), []);
});

test('ipalloc subnets that overlap, sit outside the pod network, or are missing', () => {
  assert.deepEqual(
    errorsAt(
      checkClusterSet(pair((c) => (c.network.weave.ipalloc_default_subnet = '10.33.128.0/17'))),
      'b.yml',
    ),
    ['network.weave.ipalloc_default_subnet'],
  );
  const outside = checkClusterSet(pair((c) => (c.network.weave.ipalloc_default_subnet = '10.200.0.0/16')));
  assert.equal(outside.find((d) => d.file === 'b.yml')!.code, 'SubnetOutsidePodCidr');
  const missing = checkClusterSet(pair((c) => delete c.network.weave.ipalloc_default_subnet));
  assert.deepEqual(errorsAt(missing, 'b.yml'), ['network.weave.ipalloc_default_subnet']);
});

test('passwords are compared by digest and never printed', () => {
  const secret = 'hunter2-very-secret';
  const ds = checkClusterSet(pair(() => {}, passwordDigest('other')));
  assert.deepEqual(errorsAt(ds, 'b.yml'), ['network.weave.password']);
  const text = JSON.stringify(checkClusterSet(pair(() => {}, passwordDigest(secret))));
  assert.ok(!text.includes(secret) && !text.includes(passwordDigest(secret)));
  // A trailing newline is not part of the password (as Weave reads it).
  assert.equal(passwordDigest('abc\n'), passwordDigest('abc'));
  const none = pair();
  delete none[1]!.passwordDigest;
  assert.deepEqual(errorsAt(checkClusterSet(none), 'b.yml'), ['network.weave.password']);
});

test("known_peers that name none of the other cluster's hosts; unknown peers warn", () => {
  const ds = checkClusterSet(pair((c) => (c.network.weave.known_peers = ['192.0.2.99'])));
  assert.deepEqual(errorsAt(ds, 'b.yml'), ['network.weave.known_peers']);
  assert.ok(ds.some((d) => d.severity === 'warning' && d.path === 'network.weave.known_peers[0]'));
});

test("a service range over another cluster's pod subnet", () => {
  const ds = checkClusterSet(
    pair((c) => {
      c.network.pod_network_cidr = '10.64.0.0/12';
      c.network.weave.ipalloc_default_subnet = '10.65.0.0/16';
      c.network.service_cidr = '10.33.0.0/16';
    }),
  );
  assert.ok(errorsAt(ds, 'b.yml').includes('network.service_cidr'));
});

test('non-Weave clusters and shared hosts are errors; hand-written remote_subnets are checked', () => {
  const calico = checkClusterSet(pair((c) => (c.network.provider = 'calico')));
  assert.deepEqual(errorsAt(calico, 'b.yml'), ['network.provider']);
  assert.deepEqual(
    calico.filter((d) => d.file === 'b.yml' && d.severity === 'error').map((d) => d.code),
    ['NotWeave'],
  );
  assert.ok(
    errorsAt(checkClusterSet(pair((c) => c.hosts.push(host('192.168.10.11')))), 'b.yml').includes(
      'hosts[1].address',
    ),
  );
  const [a, b] = pair();
  a!.config.network.weave.remote_subnets = ['10.99.0.0/16'];
  a!.written = (canonical) =>
    canonical === 'network.weave.remote_subnets' ? ['network', 'weave', 'remote_subnets'] : undefined;
  const ds = checkClusterSet([a!, b!]);
  assert.ok(ds.some((d) => d.file === 'a.yml' && d.code === 'MissingRoute' && d.hint === 'add 10.34.0.0/16'));
  assert.ok(
    ds.some(
      (d) =>
        d.file === 'a.yml' &&
        d.code === 'UnknownRemoteSubnet' &&
        d.path === 'network.weave.remote_subnets[0]',
    ),
  );
});

test('remoteSubnets: own list plus peers, without repeats or its own subnet', () => {
  const [a, b] = pair();
  a!.config.network.weave.remote_subnets = ['10.34.0.0/16', '10.33.0.0/16'];
  const r = remoteSubnets(a!.config, [{ file: 'b.yml', config: b!.config }]);
  assert.deepEqual(r, { subnets: ['10.34.0.0/16'], diagnostics: [] });
  delete b!.config.network.weave.ipalloc_default_subnet;
  assert.equal(
    remoteSubnets(a!.config, [{ file: 'b.yml', config: b!.config }]).diagnostics[0]?.severity,
    'error',
  );
  assert.deepEqual(parsePath('hosts[2].address'), ['hosts', 2, 'address']);
});

// --- the examples through the CLI -----------------------------------------------------------

const cli = runCli;

test('the two-cluster and three-cluster examples validate as sets', async () => {
  const two = await cli('validate', '-f', join(examples, 'two/a.yml'), '-f', join(examples, 'two/b.yml'));
  assert.equal(two.code, 0, two.stderr);
  assert.match(two.stderr, /checking 2 files as one multi-cluster pod network/);
  assert.doesNotMatch(two.stderr, /: (warning|error): /);
  const three = await cli(
    'validate',
    ...['east', 'west', 'north'].flatMap((n) => ['-f', join(examples, `three/${n}.yml`)]),
  );
  assert.equal(three.code, 0, three.stderr);
  assert.doesNotMatch(three.stderr, /: (warning|error): /);
});

const broken: [string, string[]][] = [
  [
    'b-pod-cidr.yml',
    ['13:21: error: network.pod_network_cidr', '16:29: error: network.weave.ipalloc_default_subnet'],
  ],
  ['b-ipalloc-overlap.yml', ['16:29: error: network.weave.ipalloc_default_subnet: 10.33.128.0/17 overlaps']],
  ['b-no-ipalloc.yml', ['14:3: error: network.weave.ipalloc_default_subnet']],
  ['b-password.yml', ['15:15: error: network.weave.password: the password file differs']],
  ['b-known-peers.yml', ['18:7: error: network.weave.known_peers: names no host of']],
  [
    'b-service.yml',
    [
      '12:17: error: network.service_cidr',
      '13:21: error: network.pod_network_cidr',
      '16:29: error: network.weave.ipalloc_default_subnet',
    ],
  ],
];

for (const [file, expected] of broken) {
  test(`broken example ${file} fails at the right positions`, async () => {
    const path = join(examples, 'broken', file);
    const r = await cli('validate', '-f', join(examples, 'two/a.yml'), '-f', path);
    assert.equal(r.code, 1, r.stderr);
    for (const e of expected)
      assert.ok(r.stderr.includes(`${path}:${e}`), `expected "${path}:${e}" in:\n${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.includes(': error: '));
    assert.equal(errors.length, expected.length, `only the expected errors:\n${r.stderr}`);
    assert.ok(!errors.some((l) => l.startsWith(join(examples, 'two/a.yml'))), 'cluster A is not blamed');
  });
}

test('broken example b-two-seeds.yml: two clusters seeding one range is a located warning in the second', async () => {
  const path = join(examples, 'broken', 'b-two-seeds.yml');
  const r = await cli('validate', '-f', join(examples, 'two/a.yml'), '-f', path);
  // A warning (exit 0): each cluster works alone, they only refuse each other when they meet.
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.includes(': warning: '));
  assert.equal(lines.length, 1, r.stderr);
  // Not written in the file: located at the weave block it belongs in.
  assert.ok(lines[0]!.startsWith(`${path}:14:`), lines[0]);
  assert.match(
    lines[0]!,
    /warning: network\.weave\.ipalloc_init: .*seeded by different peers.*; set network\.weave\.ipalloc_init: observer/,
  );
  assert.ok(lines[0]!.includes(`${join(examples, 'two/a.yml')}:`), 'names where the seeding cluster is');
});

test('password digests agree for files that differ only in surrounding whitespace, as render reads them', () => {
  assert.equal(passwordDigest('s3cret\n'), passwordDigest('  s3cret  \r\n\n'));
  assert.equal(passwordDigest('\ts3cret'), passwordDigest('s3cret'));
  assert.notEqual(passwordDigest('s3cret'), passwordDigest('s3 cret'));
  const ds = checkClusterSet(
    pair(() => {}, passwordDigest('same\n')).map((m, i) => ({
      ...m,
      passwordDigest: passwordDigest(i === 0 ? ' same' : 'same\n'),
    })),
  );
  assert.deepEqual(errorsAt(ds, 'b.yml'), []);
});

test('the password mistake does not print either secret', async () => {
  const r = await cli(
    'validate',
    '-f',
    join(examples, 'two/a.yml'),
    '-f',
    join(examples, 'broken/b-password.yml'),
  );
  for (const f of ['two/weave.password', 'broken/other.password']) {
    const secret = readFileSync(join(examples, f), 'utf8').trim();
    assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret));
    assert.ok(!r.stderr.includes(passwordDigest(secret)));
  }
});

test('--separate validates the files one by one', async () => {
  const r = await cli(
    'validate',
    '--separate',
    '-f',
    join(examples, 'two/a.yml'),
    '-f',
    join(examples, 'broken/b-password.yml'),
  );
  assert.equal(r.code, 0, r.stderr);
});

test('render --peer-cluster adds the route DaemonSet for the peer subnets', async () => {
  const r = await cli(
    'render',
    '-o',
    'json',
    '-f',
    join(examples, 'two/b.yml'),
    '--peer-cluster',
    join(examples, 'two/a.yml'),
  );
  assert.equal(r.code, 0, r.stderr);
  type Pod = { containers: { env: unknown[] }[] };
  const items = JSON.parse(r.stdout).items as {
    kind: string;
    metadata: { name: string };
    spec: { template: { spec: Pod } };
  }[];
  const ds = items.find((o) => o.kind === 'DaemonSet' && o.metadata.name === REMOTE_ROUTES_NAME);
  assert.ok(ds, 'weave-remote-routes rendered');
  assert.deepEqual(ds.spec.template.spec.containers[0]?.env, [
    { name: 'REMOTE_SUBNETS', value: '10.33.0.0/16' },
  ]);
  // Without peers, b.yml has no remote_subnets: no DaemonSet.
  const alone = await cli('render', '-o', 'json', '-f', join(examples, 'two/b.yml'));
  assert.ok(
    !(JSON.parse(alone.stdout).items as { metadata: { name: string } }[]).some(
      (o) => o.metadata.name === REMOTE_ROUTES_NAME,
    ),
  );
  // A peer set with a mistake is refused.
  const bad = await cli(
    'render',
    '-f',
    join(examples, 'two/a.yml'),
    '--peer-cluster',
    join(examples, 'broken/b-password.yml'),
  );
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /password file differs/);
});

test('weave.remote_subnets in the file renders the DaemonSet (a.yml)', () => {
  const c = defaultClusterConfig();
  c.network.weave.ipalloc_default_subnet = '10.33.0.0/16';
  c.network.weave.remote_subnets = ['10.34.0.0/16', '10.35.0.0/16'];
  const out = renderWeave(c, {}, { includeSecrets: false });
  const ds = out.objects.find((o) => o.metadata.name === REMOTE_ROUTES_NAME)!;
  const spec = (
    ds.spec as {
      template: {
        spec: {
          hostNetwork: boolean;
          containers: { securityContext: unknown; env: { value: string }[] }[];
        };
      };
    }
  ).template.spec;
  assert.equal(spec.hostNetwork, true);
  assert.deepEqual(spec.containers[0]?.securityContext, { capabilities: { add: ['NET_ADMIN'] } });
  assert.equal(spec.containers[0]?.env[0]?.value, '10.34.0.0/16 10.35.0.0/16');
  assert.equal(remoteRoutesDaemonSet([]), null);
  assert.ok(
    !renderWeave(defaultClusterConfig(), {}, { includeSecrets: false }).objects.some(
      (o) => o.metadata.name === REMOTE_ROUTES_NAME,
    ),
  );
});

test('the route script adds each subnet via the weave bridge address and removes them on TERM', async () => {
  const work = mkdtempSync(join(tmpdir(), 'netpack-routes-'));
  try {
    const log = join(work, 'ip.log');
    // A stand-in for iproute2's `ip`: answers `addr show dev weave`, logs `route` calls.
    writeFileSync(
      join(work, 'ip'),
      `#!/bin/sh\ncase "$*" in\n  *"addr show dev weave"*) echo "5: weave    inet 10.33.0.1/12 brd 10.47.255.255 scope global weave" ;;\n  route*) echo "$*" >> "${log}" ;;\nesac\n`,
    );
    chmodSync(join(work, 'ip'), 0o755);
    const child = spawn('/bin/sh', ['-c', REMOTE_ROUTES_SCRIPT], {
      env: { PATH: `${work}:${process.env.PATH}`, REMOTE_SUBNETS: '10.34.0.0/16 10.35.0.0/16' },
      stdio: 'ignore',
    });
    const read = () => {
      try {
        return readFileSync(log, 'utf8');
      } catch {
        return '';
      }
    };
    for (let i = 0; i < 200 && read().split('\n').length < 3; i++)
      await new Promise((r) => setTimeout(r, 25));
    assert.equal(
      read(),
      'route replace 10.34.0.0/16 dev weave src 10.33.0.1\nroute replace 10.35.0.0/16 dev weave src 10.33.0.1\n',
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(read(), /route del 10\.34\.0\.0\/16 dev weave\nroute del 10\.35\.0\.0\/16 dev weave\n$/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('examples are valid YAML with the documented layout', () => {
  const a = parse(readFileSync(join(examples, 'two/a.yml'), 'utf8'));
  assert.equal(a.network.weave.password, './weave.password');
});
