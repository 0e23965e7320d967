// Files that are not what they claim: a FIFO or a device given as -f, as a password, as a
// kubeconfig, inside manifest_path; a manifest tree with a symlink loop, a link out of it, too
// many files; keys that would become a JavaScript prototype. Refused at once with the path (or
// FILE:LINE:COL), never a hang. The CLI runs in a child process under a watchdog: a blocked
// read would stop an in-process test for ever; the watchdog turns that into a failure.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fsProbe } from '../src/cli/io.ts';
import { loadConfig } from '../src/config/load.ts';
import { defaultClusterConfig } from '../src/config/resolve.ts';
import { FileRefused, readManifestTree, readRegularFile } from '../src/files.ts';
import { renderCustom } from '../src/providers/custom/index.ts';
import { renderErb } from '../src/templates/erb.ts';
import { runChild } from './support/child.ts';

const root = new URL('..', import.meta.url).pathname;
let dir: string;
let fifo: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpack-hostile-'));
  fifo = join(dir, 'pipe.yml');
  execFileSync('mkfifo', [fifo]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Generous: a refusal takes milliseconds; a hang never ends. Only a hang reaches this. */
const WATCHDOG_MS = 60_000;

interface Run {
  code: number;
  stderr: string;
  stdout: string;
}

/**
 * Runs the command lines in one child process (test/support/cli-batch.ts), one after another.
 * Rejects when the watchdog had to kill it: some input blocked.
 */
async function cli(...batch: string[][]): Promise<Run[]> {
  const r = await runChild(
    process.execPath,
    ['--import', 'tsx', join(root, 'test/support/cli-batch.ts'), JSON.stringify(batch)],
    { cwd: root, watchdogMs: WATCHDOG_MS },
  );
  if (r.killed) throw new Error(`the watchdog had to kill the CLI: it hung (${r.stderr})`);
  return JSON.parse(r.stdout) as Run[];
}

describe('inputs that are not regular files are refused at once, naming them', () => {
  it('FIFOs and devices as -f, password, kubeconfig (and its CA), --nodes and inside manifest_path', async () => {
    const passwordFifo = write(
      'weave-fifo.yml',
      `network:\n  provider: weave\n  weave:\n    password: ${fifo}\n`,
    );
    const passwordZero = write(
      'weave-zero.yml',
      'network:\n  provider: weave\n  weave:\n    password: /dev/zero\n',
    );
    const manifests = join(dir, 'with-fifo');
    mkdirSync(manifests);
    write(
      'with-fifo/a.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: kube-system}\n',
    );
    execFileSync('mkfifo', [join(manifests, 'b.yaml')]);
    const custom = write(
      'custom.yml',
      `network:\n  provider: custom\n  custom:\n    manifest_path: ${manifests}\n`,
    );
    const kubeconfigFifoCa = write(
      'kubeconfig-fifo-ca',
      JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1', 'certificate-authority': fifo } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const kubeconfigFifoToken = write(
      'kubeconfig-fifo-token',
      JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'u', user: { 'token-file': fifo } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const etcdFifo = write(
      'etcd-fifo.yml',
      `network:\n  provider: calico\n  calico:\n    datastore: etcd\n    etcd:\n      endpoints: [https://127.0.0.1:2379]\n      ca_file: ${fifo}\n`,
    );
    const runs = await cli(
      ['validate', '-f', fifo],
      ['render', '-f', '/dev/zero'],
      ['validate', '-f', passwordFifo],
      ['render', '-f', passwordZero, '--include-secrets'],
      ['render', '-f', custom],
      ['status', '--kubeconfig', fifo],
      ['peers', 'plan', '--nodes', fifo],
      ['status', '--kubeconfig', kubeconfigFifoCa],
      ['status', '--kubeconfig', kubeconfigFifoToken],
      ['render', '-f', etcdFifo, '--include-secrets'],
    );
    const [f, zero, pwFifo, pwZero, inTree, kubeconfig, nodes, ca, token, etcd] = runs;
    assert.equal(f!.code, 2, f!.stderr);
    assert.match(
      f!.stderr,
      new RegExp(`cannot read ${fifo}: is a FIFO \\(named pipe\\), not a regular file`),
    );
    assert.equal(zero!.code, 2, zero!.stderr);
    assert.match(zero!.stderr, /cannot read \/dev\/zero: is a character device, not a regular file/);
    // The password is an option: a diagnostic at its position, not "empty".
    for (const r of [pwFifo!, pwZero!]) {
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /weave-(fifo|zero)\.yml:4:15: error: network\.weave\.password: password file .* is not a regular file/,
      );
      assert.doesNotMatch(r.stderr, /empty/);
    }
    assert.equal(inTree!.code, 2, inTree!.stderr);
    assert.match(inTree!.stderr, new RegExp(`cannot read ${join(manifests, 'b.yaml')}: is a FIFO`));
    assert.equal(kubeconfig!.code, 2, kubeconfig!.stderr);
    assert.match(kubeconfig!.stderr, new RegExp(`the kubeconfig ${fifo} is a FIFO`));
    assert.equal(nodes!.code, 2, nodes!.stderr);
    assert.match(nodes!.stderr, new RegExp(`cannot read ${fifo}: is a FIFO`));
    // client-node reads the kubeconfig's certificate files itself: looked at first.
    assert.equal(ca!.code, 2, ca!.stderr);
    assert.match(ca!.stderr, /certificate-authority .*is a FIFO/);
    assert.equal(token!.code, 2, token!.stderr);
    assert.match(token!.stderr, /the token-file of user "u" .*is a FIFO/);
    assert.equal(etcd!.code, 1, etcd!.stderr);
    assert.match(
      etcd!.stderr,
      /etcd-fifo\.yml:7:16: error: network\.calico\.etcd\.ca_file: etcd ca file .* is not a regular file/,
    );
  });

  it('the probe calls a device or a FIFO special, never empty', () => {
    assert.equal(fsProbe.kind('/dev/zero'), 'special');
    assert.equal(fsProbe.kind(fifo), 'special');
    assert.throws(
      () => readRegularFile('/dev/null'),
      (e: Error) => e instanceof FileRefused && e.reason === 'not-regular',
    );
  });
});

describe('the manifest walk', () => {
  const YAML = /\.ya?ml$/;
  const cm = (name: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: kube-system}\n`;

  it('a symlink loop is walked once', () => {
    write('loop/a.yaml', cm('a'));
    write('loop/sub/b.yaml', cm('b'));
    symlinkSync('..', join(dir, 'loop/sub/up'));
    symlinkSync('.', join(dir, 'loop/self'));
    const found = readManifestTree(join(dir, 'loop'), YAML).map((f) => f.path.slice(dir.length + 1));
    assert.deepEqual(found, ['loop/a.yaml', 'loop/sub/b.yaml']);
  });

  it('a link inside the tree is followed; a link out of it is refused, naming both', () => {
    write('outside/secret.yaml', cm('s'));
    write('escape/a.yaml', cm('a'));
    symlinkSync('a.yaml', join(dir, 'escape/same.yaml'));
    assert.equal(readManifestTree(join(dir, 'escape'), YAML).length, 2);
    symlinkSync(join(dir, 'outside'), join(dir, 'escape/out'));
    assert.throws(
      () => readManifestTree(join(dir, 'escape'), YAML),
      (e: Error) =>
        e instanceof FileRefused &&
        e.reason === 'outside' &&
        e.message.startsWith(`${join(dir, 'escape/out')} is a symlink to ${join(dir, 'outside')}, outside`),
    );
  });

  it('stops at the file, byte and entry limits with a clear error', () => {
    for (let i = 0; i < 5; i++) write(`many/m${i}.yaml`, cm(`m${i}`));
    assert.throws(
      () => readManifestTree(join(dir, 'many'), YAML, { files: 3, bytes: 1e6, entries: 100 }),
      /holds more than 3 manifest files/,
    );
    assert.throws(
      () => readManifestTree(join(dir, 'many'), YAML, { files: 100, bytes: 100, entries: 100 }),
      /more than 100 bytes/,
    );
    assert.throws(
      () => readManifestTree(join(dir, 'many'), YAML, { files: 100, bytes: 1e6, entries: 2 }),
      /holds more than 2 entries/,
    );
  });

  it('does not enter /proc-like trees; manifest_path: / ends at a limit, not in /proc', () => {
    assert.deepEqual(readManifestTree('/proc', /./), []);
    assert.deepEqual(readManifestTree('/sys', /./), []);
    assert.throws(
      () => readManifestTree('/', YAML, { files: 1000, bytes: 50e6, entries: 3000 }),
      (e: Error) =>
        e instanceof FileRefused && /^\/ holds more than \d+ (entries|manifest files)/.test(e.message),
    );
  });
});

describe('keys that name a JavaScript prototype are refused with their position', () => {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    it(`${key} under calico.environment`, () => {
      const text = `network:\n  provider: calico\n  calico:\n    environment:\n      ${key}:\n        FELIX_X: "1"\n`;
      const r = loadConfig(text, { file: 'c.yml', baseDir: dir, probe: fsProbe });
      assert.equal(r.config, undefined);
      const d = r.diagnostics.find((x) => x.message.includes(`"${key}"`));
      assert.ok(d, JSON.stringify(r.diagnostics));
      assert.deepEqual(
        [d.severity, d.path, d.line, d.col],
        ['error', `network.calico.environment.${key}`, 5, 7],
      );
    });
  }

  it('in a custom manifest where netpack reads it, not in free-form data', () => {
    const config = defaultClusterConfig();
    config.network.provider = 'custom';
    config.network.custom = { manifest_path: '/m', options: {} };
    const bad = renderCustom(config, {
      customManifests: [
        {
          path: '/m/ds.yaml',
          text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: kube-system\n  labels:\n    __proto__: {x: y}\n',
        },
      ],
    });
    const d = bad.diagnostics?.find((x) => x.severity === 'error');
    assert.ok(d, JSON.stringify(bad.diagnostics));
    assert.deepEqual([d.path, d.file, d.line, d.col], ['metadata.labels.__proto__', '/m/ds.yaml', 7, 5]);
    const fine = renderCustom(config, {
      customManifests: [
        {
          path: '/m/cm.yaml',
          text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: kube-system}\ndata:\n  constructor: "x"\n',
        },
      ],
    });
    assert.deepEqual(
      (fine.diagnostics ?? []).filter((x) => x.severity === 'error'),
      [],
    );
  });

  it('as a variable of an ERB template', () => {
    const r = renderErb('a: <%= cluster_config.constructor %>\n', { cluster_config: {} });
    assert.equal(r.errors.length, 1, JSON.stringify(r));
    assert.deepEqual([r.errors[0]!.line, r.errors[0]!.col], [1, 4]);
  });
});
