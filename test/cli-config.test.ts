/**
 * The config commands of the CLI, run in-process through `run(argv, io)` with a capturing Io:
 * validate (exit codes, FILE:LINE:COL lines, JSON), explain (text, JSON), schema (a JSON Schema
 * that accepts and refuses what the loader does), --help, and the built-in default.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { buildProgram } from '../src/cli/run.ts';
import { runCli } from './support/cli.ts';

const FIXTURES = resolve(import.meta.dirname, 'fixtures', 'config');
const fixture = (name: string) => join(FIXTURES, name);

const netpack = runCli;

/** Runs with `dir` as the working directory, restoring the previous one whatever happens. */
async function inDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const previous = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(previous);
  }
}

const STACK = /^\s+at .+[:(]/m;

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'netpack-cli-config-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('netpack validate', () => {
  test('a valid file: exit 0, a "valid" summary, nothing on stdout', async () => {
    const r = await netpack('validate', '-f', fixture('valid-calico.yml'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /valid-calico\.yml: valid \(0 errors, 0 warnings\)/);
    assert.equal(r.stdout, '');
  });

  test('an empty cluster file is valid (every default) but warned about: it is often a truncated one', async () => {
    for (const [name, text] of [
      ['empty.yml', ''],
      ['comments.yml', '# provider: calico\n---\n'],
    ] as const) {
      const file = join(tmp, name);
      writeFileSync(file, text);
      const r = await netpack('validate', '-f', file);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        r.stderr.includes(
          `${file}:1:1: warning: the file is empty: every option takes its default (Weave Net, default ranges); write a network: section`,
        ),
        r.stderr,
      );
    }
    const none = await netpack('validate', '-f', fixture('valid-calico.yml'));
    assert.doesNotMatch(none.stderr, /the file is empty/);
  });

  test("a path that cannot be written is the operator's to fix (exit 2), not an internal error", async () => {
    const r = await netpack('render', '-f', fixture('valid-calico.yml'), '--out-dir', '/dev/null/x');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^netpack: ENOTDIR: not a directory, mkdir '\/dev\/null\/x'$/m);
    assert.doesNotMatch(r.stderr, /internal error/);
  });

  test('the same file given twice is a usage error, not a cluster checked against itself', async () => {
    const file = fixture('valid-calico.yml');
    const r = await netpack('validate', '-f', file, '-f', file.replace(/^\//, '/./'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is given twice; give each cluster file once/);
  });

  test('warnings alone keep exit 0 and are printed', async () => {
    const file = fixture('warning-only.yml');
    const r = await netpack('validate', '-f', file);
    assert.equal(r.code, 0);
    assert.ok(r.stderr.includes(`${file}:2:9: warning: kube_proxy.mode: `), r.stderr);
    assert.match(r.stderr, /valid \(0 errors, 1 warning\)/);
  });

  test('an invalid file: exit 1 and one FILE:LINE:COL: error: PATH: MESSAGE line per problem', async () => {
    const file = fixture('invalid.yml');
    const r = await netpack('validate', '-f', file);
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.deepEqual(lines, [
      `${file}:2:13: error: network.provider: must be one of weave, calico, custom (got "Calico"); did you mean "calico"?`,
      `${file}:3:21: error: network.pod_network_cidr: pod network 10.96.0.0/16 overlaps the service network 10.96.0.0/12; choose ranges that do not overlap, e.g. pod_network_cidr 10.32.0.0/12 and service_cidr 10.96.0.0/12`,
      `${file}:4:3: error: network.servce_cidr: unknown option "servce_cidr"; did you mean "service_cidr"?`,
      `${file}: invalid (3 errors, 0 warnings)`,
    ]);
    for (const l of lines.slice(0, -1)) assert.match(l, /^[^:]+:\d+:\d+: (error|warning): [\w.[\]]+: .+/);
  });

  test('files named in the config are looked up relative to the cluster file, not the cwd', async () => {
    const ok = await inDir(tmp, () => netpack('validate', '-f', fixture('weave-password/cluster.yml')));
    assert.equal(ok.code, 0, ok.stderr);
    const missing = await netpack('validate', '-f', fixture('missing-password.yml'));
    assert.equal(missing.code, 1);
    assert.ok(
      missing.stderr.includes(
        `${fixture('missing-password.yml')}:3:15: error: network.weave.password: password file no-such.secret`,
      ),
    );
    assert.ok(missing.stderr.includes(join(FIXTURES, 'no-such.secret')));
  });

  test('several files: exit 1 when any is invalid, each reported', async () => {
    const r = await netpack('validate', '-f', fixture('valid-calico.yml'), fixture('invalid.yml'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /valid-calico\.yml: valid/);
    assert.match(r.stderr, /invalid\.yml: invalid \(3 errors/);
  });

  test('-o json: the diagnostics with code, path, severity, position, message and hint', async () => {
    const file = fixture('invalid.yml');
    const r = await netpack('validate', '-f', file, '-o', 'json');
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as {
      file: string;
      valid: boolean;
      diagnostics: Record<string, unknown>[];
    }[];
    assert.equal(out.length, 1);
    assert.equal(out[0]!.file, file);
    assert.equal(out[0]!.valid, false);
    assert.deepEqual(out[0]!.diagnostics[0], {
      code: 'InvalidValue',
      severity: 'error',
      path: 'network.provider',
      message: 'must be one of weave, calico, custom (got "Calico")',
      hint: 'did you mean "calico"?',
      file,
      line: 2,
      col: 13,
    });
    assert.deepEqual(
      out[0]!.diagnostics.map((d) => [d.code, d.path, d.line, d.col]),
      [
        ['InvalidValue', 'network.provider', 2, 13],
        ['CidrOverlap', 'network.pod_network_cidr', 3, 21],
        ['UnknownKey', 'network.servce_cidr', 4, 3],
      ],
    );
  });

  test('-o json of a valid file: valid true, exit 0', async () => {
    const r = await netpack('validate', '-f', fixture('valid-calico.yml'), '-o', 'json');
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), [
      { file: fixture('valid-calico.yml'), valid: true, diagnostics: [] },
    ]);
  });

  test('a missing file: exit 2 with a one-line message', async () => {
    const r = await netpack('validate', '-f', join(tmp, 'nope.yml'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^netpack: cannot read .*nope\.yml: no such file\n$/);
    assert.doesNotMatch(r.stderr, STACK);
  });

  test('a directory given as the file: exit 2, no stack trace', async () => {
    const r = await netpack('validate', '-f', tmp);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^netpack: cannot read .*: is a directory; give the cluster file itself, e\.g\. .*cluster\.yml\n$/,
    );
    assert.doesNotMatch(r.stderr, STACK);
  });

  for (const argv of [['validate', '--bogus'], ['validate', '-f'], ['frobnicate']]) {
    test(`usage error ${argv.join(' ')}: exit 2`, async () => {
      const r = await netpack(...argv);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /error/i);
      assert.doesNotMatch(r.stderr, STACK);
    });
  }

  test('without -f and without ./cluster.yml: the built-in default, said so, exit 0', async () => {
    const empty = join(tmp, 'empty-dir');
    mkdirSync(empty, { recursive: true });
    const before = process.cwd();
    const r = await inDir(empty, () => netpack('validate'));
    assert.equal(process.cwd(), before, 'cwd restored');
    assert.equal(r.code, 0);
    assert.match(r.stderr, /no \.\/cluster\.yml here; using the built-in default/);
    assert.match(r.stderr, /<built-in default>: valid/);
  });

  test('without -f, ./cluster.yml in the cwd is read', async () => {
    const dir = join(tmp, 'with-cluster');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cluster.yml'), 'network:\n  provider: Weave\n');
    const r = await inDir(dir, () => netpack('validate'));
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes('cluster.yml:2:13: error: network.provider:'), r.stderr);
    assert.doesNotMatch(r.stderr, /built-in default/);
  });
});

describe('no stack trace on bad input', () => {
  const inputs: [string, string | Buffer][] = [
    ['broken YAML', 'network: [\n  provider: weave\n'],
    ['binary junk', Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 0x1b, 0x5b, 0x41])],
    ['a list', '- a\n- b\n'],
    ['deep nesting', `network: ${'['.repeat(500)}${']'.repeat(500)}\n`],
    ['tabs and unicode', 'network:\n\tprovider: wéävé 🚀\n'],
    ['an empty file', ''],
  ];
  for (const [label, content] of inputs) {
    test(`${label}: a diagnosis or a clean result, never a stack trace`, async () => {
      const file = join(tmp, `${label.replace(/\W+/g, '-')}.yml`);
      writeFileSync(file, content);
      for (const cmd of ['validate', 'explain']) {
        const r = await netpack(cmd, '-f', file);
        assert.ok(r.code === 0 || r.code === 1, `${cmd} exit ${r.code}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, STACK);
        assert.doesNotMatch(r.stderr, /internal error/);
      }
    });
  }
});

describe('netpack explain', () => {
  test('text: each value with its origin, derived facts, notes', async () => {
    const file = fixture('valid-calico.yml');
    const r = await netpack('explain', '-f', file);
    assert.equal(r.code, 0, r.stderr);
    const line = (p: string) => r.stdout.split('\n').find((l) => l.startsWith(`${p}:`)) ?? '';
    assert.match(line('network.service_cidr'), /172\.31\.0\.0\/16 +# .*:11:17/);
    assert.match(line('network.calico.mtu'), /1400 +# .*:14:10/);
    assert.match(line('network.cloud'), /azure +# .*:3:13.*cloud\.provider/);
    assert.match(line('network.calico.encapsulation'), /vxlan +# default \(Azure/);
    assert.match(line('network.calico.nat_outgoing'), /true +# default/);
    assert.match(r.stdout, /^dns_service_ip: 172\.31\.0\.10$/m);
    assert.match(r.stdout, /^kubernetes_service_ip: 172\.31\.0\.1$/m);
    assert.match(r.stdout, /^workload_mtu: 1350 /m);
    assert.match(r.stdout, /^max_nodes: 1024 \(Calico IPAM: one \/26 block/m, 'a /16 holds 1024 /26 blocks');
    assert.match(r.stdout, /node-2\.example\.com/);
  });

  test('json: entries with origins and derived facts', async () => {
    const r = await netpack('explain', '-f', fixture('valid-calico.yml'), '-o', 'json');
    assert.equal(r.code, 0);
    const e = JSON.parse(r.stdout) as {
      entries: { path: string; value: unknown; origin: Record<string, unknown> }[];
      derived: Record<string, string>;
      hosts: { count: number };
    };
    const entry = (p: string) => e.entries.find((x) => x.path === p);
    assert.deepEqual(entry('network.pod_network_cidr'), {
      path: 'network.pod_network_cidr',
      value: '10.244.0.0/16',
      origin: { from: 'file', path: 'network.pod_network_cidr', line: 12, col: 21 },
    });
    assert.deepEqual(entry('network.cloud')?.origin, {
      from: 'file',
      path: 'cloud.provider',
      line: 3,
      col: 13,
    });
    assert.deepEqual(entry('network.dns_replicas'), {
      path: 'network.dns_replicas',
      value: 2,
      origin: { from: 'default' },
    });
    assert.equal(e.derived.dns_service_ip, '172.31.0.10');
    assert.equal(e.hosts.count, 2);
  });

  test('an invalid file: the diagnostics and exit 1, nothing on stdout', async () => {
    const r = await netpack('explain', '-f', fixture('invalid.yml'));
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /invalid\.yml:2:13: error: network\.provider/);
  });

  test('without ./cluster.yml: explains the built-in default', async () => {
    const empty = join(tmp, 'empty-explain');
    mkdirSync(empty, { recursive: true });
    const r = await inDir(empty, () => netpack('explain'));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^network\.provider: weave +# default$/m);
    assert.match(r.stdout, /^dns_service_ip: 10\.96\.0\.10$/m);
  });
});

describe('netpack schema', () => {
  test('prints a JSON Schema of the network section that accepts and refuses like the loader', async () => {
    const r = await netpack('schema', '--network');
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.stdout) as {
      $schema?: string;
      type?: string;
      properties: Record<string, unknown>;
    };
    assert.equal(schema.type, 'object');
    for (const p of [
      'provider',
      'service_cidr',
      'pod_network_cidr',
      'node_local_dns_cache',
      'dns_replicas',
      'cloud',
      'image_repository',
      'weave',
      'calico',
      'custom',
    ])
      assert.ok(p in schema.properties, `property ${p}`);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const ok = (v: unknown) => validate(v) as boolean;
    assert.equal(ok({}), true);
    assert.equal(
      ok({ provider: 'calico', calico: { mode: 'CrossSubnet', mtu: 'auto', environment: { A: 1 } } }),
      true,
    );
    assert.equal(
      ok({ node_local_dns_cache: { enabled: false }, weave: { trusted_subnets: ['192.0.2.0/24'] } }),
      true,
    );
    assert.equal(ok({ provider: 'Calico' }), false, 'enum');
    assert.equal(ok({ provder: 'weave' }), false, 'unknown key');
    assert.equal(ok({ calico: { mtu: 100 } }), false, 'mtu range');
    assert.equal(ok({ dns_replicas: 0 }), false, 'minimum');
    assert.equal(ok({ node_local_dns_cache: 'yes' }), false, 'bool or map');
    assert.equal(ok({ custom: {} }), false, 'manifest_path required');
  });
});

describe('--help', () => {
  // Every command the program registers, found from the program itself, so a new one cannot
  // slip in without examples.
  const program = buildProgram({ stdout: () => {}, stderr: () => {}, isTty: false }, () => {});
  const commands = program.commands.flatMap((c) => [
    [c.name()],
    ...c.commands.filter((s) => s.name() !== 'help').map((s) => [c.name(), s.name()]),
  ]);
  test('finds the commands', () => assert.ok(commands.length >= 13, JSON.stringify(commands)));
  for (const cmd of [[], ...commands]) {
    test(`netpack ${[...cmd, '--help'].join(' ')} shows Examples and exits 0`, async () => {
      const r = await netpack(...cmd, '--help');
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Usage: netpack/);
      assert.match(r.stdout, /Examples:/);
      assert.match(r.stdout, /\n {2}netpack /, 'at least one example command line');
    });
  }
});

describe('output formats', () => {
  for (const [command, bad] of [
    ['validate', 'yaml'],
    ['explain', 'yaml'],
    ['render', 'text'],
  ] as const) {
    test(`${command} -o ${bad} is a usage error naming the allowed formats, not a silent default`, async () => {
      const r = await netpack(command, '-o', bad);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /Allowed choices are/);
      assert.equal(r.stdout, '');
    });
  }
});
