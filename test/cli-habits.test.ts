// kubectl habits and safe defaults, as an operator meets them on the command line: a misspelt
// top-level key stops apply, `-f -` reads standard input, diff's exit status is kubectl diff's
// (0 same, 1 differ, 2 error), --dry-run[=server|client], -o json|yaml reports, and no apply of
// the built-in default unless asked for.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { deletePrompt } from '../src/cli/commands/delete.ts';
import { calicoYaml, type Env, setup } from './cluster/helpers.ts';
import { runCliWithInput } from './support/cli.ts';

describe('netpack on the command line, kubectl habits', () => {
  let env: Env;
  /** netpack against the fake server with `stdin` as standard input. */
  const npIn = (stdin: string | undefined, ...argv: string[]) =>
    runCliWithInput(stdin, ...argv, '--kubeconfig', env.server.kubeconfigPath);
  before(async () => {
    env = await setup();
  });
  after(async () => {
    await env.close();
  });

  it('a top-level key close to a known one is an error at its position: apply sends nothing', async () => {
    const file = env.file('typo.yml', 'netwrok:\n  provider: calico\n');
    const r = await env.np('apply', '-f', file, '--no-wait');
    assert.equal(r.code, 1);
    assert.ok(
      r.lines.includes(
        `${file}:1:1: error: netwrok: unknown top-level key "netwrok"; did you mean "network"?`,
      ),
      r.stderr,
    );
    assert.equal(env.server.requests.length, 0);
  });

  it('apply refuses the built-in default without -f (exit 2, nothing sent), applies it with --default', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'netpack-no-cluster-yml-'));
    const cwd = process.cwd();
    process.chdir(empty);
    try {
      const refused = await env.np('apply', '--no-wait');
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /no \.\/cluster\.yml here and no -f/);
      assert.match(refused.stderr, /--default/);
      assert.equal(env.server.requests.length, 0);
      // Asked for, the default is planned (and here refused: the nodes' pod CIDRs are not Weave's default).
      const asked = await env.np('apply', '--default', '--dry-run=client', '-o', 'json');
      const report = JSON.parse(asked.stdout);
      assert.ok(
        report.plan.changes.some(
          (c: { object: string }) => c.object === 'DaemonSet.apps/kube-system/weave-net',
        ),
      );
      assert.equal(report.result, 'refused');
      assert.equal(asked.code, 1);
      assert.match(asked.stderr, /refused: network\.pod_network_cidr 10\.32\.0\.0\/12 does not contain/);
    } finally {
      process.chdir(cwd);
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('--dry-run=client reads and plans but sends no write, not even a dry run; -o json has stable keys', async () => {
    const before = env.server.requests.length;
    const r = await npIn(
      undefined,
      'apply',
      '-f',
      env.file('c.yml', calicoYaml()),
      '--dry-run=client',
      '-o',
      'json',
    );
    assert.equal(r.code, 0, r.stderr);
    const sent = env.server.requests.slice(before);
    assert.deepEqual(
      sent.filter((q) => q.method !== 'GET'),
      [],
    );
    const report = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(report), [
      'dryRun',
      'result',
      'created',
      'configured',
      'adopted',
      'unchanged',
      'pruned',
      'secretsCreated',
      'failures',
      'plan',
      'rollout',
    ]);
    assert.equal(report.dryRun, 'client');
    assert.ok(report.plan.changes.length > 20);
    assert.equal(report.plan.changes[0].action, 'create');
  });

  it('--dry-run (= server) sends every write with dryRun=All; an unknown mode is a usage error', async () => {
    const file = env.file('c.yml', calicoYaml());
    const before = env.server.requests.length;
    const r = await env.np('apply', '-f', file, '--dry-run', '--no-wait');
    assert.equal(r.code, 0, r.stderr);
    const writes = env.server.requests.slice(before).filter((q) => q.method !== 'GET');
    assert.ok(writes.length > 0);
    assert.ok(writes.every((q) => q.dryRun));
    assert.deepEqual(env.server.writes(), []);
    assert.equal((await env.np('apply', '-f', file, '--dry-run=maybe')).code, 2);
  });

  it('-f - reads the cluster file from standard input (apply), diagnostics name <stdin>', async () => {
    const bad = await npIn('network:\n  provider: flannel\n', 'apply', '-f', '-', '--no-wait');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^<stdin>:2:13: error: network\.provider/m);
    const r = await npIn(calicoYaml(), 'apply', '-f', '-', '--no-wait', '-o', 'yaml');
    assert.equal(r.code, 0, r.stderr);
    const report = parse(r.stdout);
    assert.equal(report.result, 'applied');
    assert.ok(report.created > 20);
  });

  it('diff exits 0 in sync, 1 on a difference, 2 on an invalid config or an unreachable cluster', async () => {
    const file = env.file('c.yml', calicoYaml());
    const same = await env.np('diff', '-f', file, '-o', 'json');
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.equal(JSON.parse(same.stdout).inSync, true);
    const changed = env.file('d.yml', calicoYaml('  node_local_dns_cache: false\n'));
    const differ = await env.np('diff', '-f', changed, '-o', 'json');
    assert.equal(differ.code, 1);
    const report = JSON.parse(differ.stdout);
    assert.equal(report.inSync, false);
    assert.ok(report.changes.some((c: { action: string }) => c.action === 'prune'));
    const invalid = await env.np('diff', '-f', env.file('e.yml', 'network:\n  provider: flannel\n'));
    assert.equal(invalid.code, 2);
    const down = await runCliWithInput(
      undefined,
      'diff',
      '-f',
      file,
      '--kubeconfig',
      join(env.dir, 'none.kubeconfig'),
    );
    assert.equal(down.code, 2);
  });

  it('delete --dry-run=client lists what would go and sends no delete; -o json', async () => {
    const before = env.server.requests.length;
    const r = await env.np('delete', '--dry-run=client', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      env.server.requests.slice(before).filter((q) => q.method !== 'GET'),
      [],
    );
    const report = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(report), ['dryRun', 'deleted', 'failures']);
    assert.ok(report.deleted.includes('DaemonSet.apps/kube-system/calico-node'));
    assert.ok(report.deleted.includes('ConfigMap/kube-system/netpack-state'));
  });

  it("delete's question names the context and the server", () => {
    const q = deletePrompt(44, {
      source: 'home',
      files: ['/root/.kube/config'],
      skipped: [],
      context: 'prod-eu',
      cluster: 'prod',
      server: 'https://10.1.2.3:6443',
    });
    assert.match(q, /context "prod-eu"/);
    assert.match(q, /server https:\/\/10\.1\.2\.3:6443/);
  });
});
