// The package as users get it: `npm pack` of the built tree (dist/ is built once, before the
// suite, by scripts/test.mjs), installed globally into an empty prefix, then run from that prefix
// as `netpack` and, through kubectl's plugin lookup on PATH, as `kubectl netpack`.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeApiServer, startFakeApiServer } from './fake-apiserver/index.ts';
import { plainNodeEnv, repoRoot } from './support/bundle.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` asynchronously (the fake API server answers from this process). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { env, cwd, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the packed package, installed into an empty prefix', () => {
  let work: string;
  let prefix: string;
  let files: string[];
  let env: NodeJS.ProcessEnv;
  let api: FakeApiServer;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'netpack-package-'));
    prefix = join(work, 'prefix');
    api = await startFakeApiServer({ nodes: 1 });
    // --ignore-scripts: dist/ is built already; prepare would build it again.
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    assert.equal(pack.status, 0, pack.stderr);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    files = packed!.files.map((f) => f.path).sort();
    const tarball = join(work, packed!.filename);
    // Offline from npm's cache (npm ci filled it); the registry only if something is missing there.
    const install = (mode: string) =>
      run(
        'npm',
        ['install', '-g', '--prefix', prefix, mode, '--ignore-scripts', '--no-audit', '--no-fund', tarball],
        plainNodeEnv(),
        work,
      );
    let installed = await install('--offline');
    if (installed.code !== 0) installed = await install('--prefer-offline');
    assert.equal(installed.code, 0, installed.stderr);
    env = plainNodeEnv({
      PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
      KUBECONFIG: api.kubeconfigPath,
    });
  });
  after(async () => {
    await api?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds what runs and no more: one source map (the whole CLI), the CRDs once, LICENSE, the schema', () => {
    assert.ok(files.includes('LICENSE'));
    assert.ok(files.includes('schema/cluster.schema.json'));
    assert.deepEqual(
      files.filter((f) => f.endsWith('.map')),
      ['dist/netpack-core.cjs.map'],
    );
    assert.deepEqual(
      files.filter((f) => f.endsWith('crds.generated.json')),
      ['dist/providers/calico/crds.generated.json'],
    );
    assert.deepEqual(readdirSync(join(prefix, 'bin')).sort(), ['kubectl-netpack', 'netpack']);
  });

  it('netpack version and kubectl netpack version: client, rendered, server and running versions', async () => {
    const dir = mkdtempSync(join(work, 'cwd-'));
    const direct = await run('netpack', ['version', '-o', 'json'], env, dir);
    assert.equal(direct.code, 0, direct.stderr);
    const report = JSON.parse(direct.stdout);
    assert.equal(report.client.version, '0.1.0');
    assert.match(report.server.gitVersion, /^v1\.\d+/);
    // Weave's container names its release (whichever the render pins) by the image tag.
    assert.ok(
      report.rendered.some(
        (v: { workload: string; version: string }) =>
          v.workload === 'DaemonSet/kube-system/weave-net' && /^\d+\.\d+\.\d+$/.test(v.version),
      ),
      direct.stdout,
    );
    assert.deepEqual(report.running, [], 'nothing applied yet');
    const plugin = await run('kubectl', ['netpack', 'version'], env, dir);
    assert.equal(plugin.code, 0, plugin.stderr);
    assert.match(plugin.stdout, /^Client Version: 0\.1\.0/m);
    assert.match(plugin.stdout, /^Server Version: v1\./m);
  });

  it('netpack render prints the built-in default outside any project', async () => {
    const dir = mkdtempSync(join(work, 'cwd-'));
    const r = await run('netpack', ['render'], env, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /name: weave-net/);
  });

  it('netpack completion bash is valid bash', async () => {
    const r = await run('netpack', ['completion', 'bash'], env, work);
    assert.equal(r.code, 0, r.stderr);
    const check = spawnSync('bash', ['-n'], { input: r.stdout, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  });

  it('--debug maps an internal error to src/ lines; without it, no stack trace', async () => {
    // A preload that makes writing to stdout fail as nothing in netpack expects.
    const preload = join(work, 'fail-stdout.cjs');
    writeFileSync(preload, "process.stdout.write = () => { throw new TypeError('injected failure'); };\n");
    const crashing = { ...env, NODE_OPTIONS: `--require ${preload}` };
    const debug = await run('netpack', ['render', '--debug'], crashing, work);
    assert.equal(debug.code, 70, debug.stderr);
    assert.match(debug.stderr, /internal error: injected failure/);
    assert.match(debug.stderr, /src\/cli\/commands\/render\.ts:\d+:\d+/, debug.stderr);
    const plain = await run('netpack', ['render'], crashing, work);
    assert.equal(plain.code, 70);
    assert.doesNotMatch(plain.stderr, /\.(ts|cjs):\d+/);
  });
});
