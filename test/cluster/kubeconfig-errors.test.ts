// Kubeconfig problems: one line naming the file (and the entry), what is wrong and how to fix it,
// exit 2; KUBECONFIG lists skip missing files as kubectl does; an unreachable server is named.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/cluster/connect.ts';
import { KubeconfigError, loadKubeConfig } from '../../src/cluster/kubeconfig.ts';
import { ApiError, ClusterError } from '../../src/cluster/types.ts';
import { type FakeApiServer, startFakeApiServer } from '../fake-apiserver/index.ts';
import { calicoYaml, netpack } from './helpers.ts';

let server: FakeApiServer;
let dir: string;

before(async () => {
  server = await startFakeApiServer({ nodes: 1 });
  dir = mkdtempSync(join(tmpdir(), 'netpack-kubeconfig-test-'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A kubeconfig with the given contexts, clusters (name → server) and users. */
function kubeconfig(opts: {
  current?: string;
  contexts?: { name: string; cluster: string; user?: string }[];
  clusters?: Record<string, string>;
  users?: string[];
}): string {
  const lines = ['apiVersion: v1', 'kind: Config'];
  if (opts.current) lines.push(`current-context: ${opts.current}`);
  lines.push('clusters:');
  for (const [name, url] of Object.entries(opts.clusters ?? {}))
    lines.push(`- name: ${name}`, '  cluster:', `    server: ${url}`, '    insecure-skip-tls-verify: true');
  lines.push('users:');
  for (const name of opts.users ?? []) lines.push(`- name: ${name}`, '  user:', '    token: t');
  lines.push('contexts:');
  for (const c of opts.contexts ?? [])
    lines.push(
      `- name: ${c.name}`,
      '  context:',
      `    cluster: ${c.cluster}`,
      ...(c.user ? [`    user: ${c.user}`] : []),
    );
  return `${lines.join('\n')}\n`;
}

/** Runs with KUBECONFIG set (no --kubeconfig), restoring the environment after. */
async function withKubeconfigEnv<T>(value: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  }
}

/** A usage error (exit 2) on exactly one line, which the caller checks further. */
function oneUsageLine(r: { code: number; lines: string[]; stderr: string }): string {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.lines.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  return r.lines[0]!;
}

describe('kubeconfig problems: one line naming the file, exit 2', () => {
  it('an empty file', async () => {
    const file = write('empty', '');
    const line = oneUsageLine(await netpack(['status', '--kubeconfig', file]));
    assert.equal(
      line,
      `netpack: the kubeconfig ${file} is empty: write a kubeconfig into it, or point --kubeconfig/KUBECONFIG at the right file`,
    );
  });

  it('a file of comments only is empty too; a written-out null is not a kubeconfig', async () => {
    const comments = write('comments', '# nothing yet\n---\n');
    assert.match(
      oneUsageLine(await netpack(['status', '--kubeconfig', comments])),
      /the kubeconfig .*comments is empty:/,
    );
    const nul = write('null', 'null\n');
    assert.match(
      oneUsageLine(await netpack(['status', '--kubeconfig', nul])),
      /the kubeconfig .*null holds null, not a kubeconfig/,
    );
  });

  it('current-context names a context whose cluster entry does not exist', async () => {
    const file = write(
      'no-cluster',
      kubeconfig({
        current: 'prod',
        contexts: [{ name: 'prod', cluster: 'prod-cluster', user: 'u' }],
        clusters: { other: server.url },
        users: ['u'],
      }),
    );
    const line = oneUsageLine(await netpack(['status', '--kubeconfig', file]));
    assert.equal(
      line,
      `netpack: context "prod" of ${file} names cluster "prod-cluster", which the kubeconfig ${file} does not define (clusters: other): add it under clusters, correct the context, or pass --context NAME`,
    );
    assert.doesNotMatch(line, /no current context/);
  });

  it('current-context names no context at all', async () => {
    const file = write(
      'dangling-current',
      kubeconfig({ current: 'gone', contexts: [{ name: 'a', cluster: 'c' }], clusters: { c: server.url } }),
    );
    assert.equal(
      oneUsageLine(await netpack(['status', '--kubeconfig', file])),
      `netpack: the current-context "gone" of ${file} names no context (the kubeconfig ${file} has: a): pass --context NAME, or set current-context to one of those`,
    );
  });

  it('no current-context: --context is suggested with the contexts there are', async () => {
    const file = write(
      'no-current',
      kubeconfig({
        contexts: [
          { name: 'a', cluster: 'c' },
          { name: 'b', cluster: 'c' },
        ],
        clusters: { c: server.url },
      }),
    );
    assert.equal(
      oneUsageLine(await netpack(['status', '--kubeconfig', file])),
      `netpack: the kubeconfig ${file} sets no current-context: pass --context NAME (it has: a, b), or set one with kubectl config use-context NAME`,
    );
  });

  it('a context naming a user the file does not define', async () => {
    const file = write(
      'no-user',
      kubeconfig({
        current: 'a',
        contexts: [{ name: 'a', cluster: 'c', user: 'admin' }],
        clusters: { c: server.url },
        users: ['ops'],
      }),
    );
    assert.match(
      oneUsageLine(await netpack(['status', '--kubeconfig', file])),
      new RegExp(
        `context "a" of ${file} names user "admin", which the kubeconfig ${file} does not define \\(users: ops\\): add it under users`,
      ),
    );
  });

  it('a cluster whose server is not an http(s) URL', async () => {
    const file = write(
      'bad-server',
      kubeconfig({
        current: 'a',
        contexts: [{ name: 'a', cluster: 'c' }],
        clusters: { c: 'localhost:6443' },
      }),
    );
    assert.equal(
      oneUsageLine(await netpack(['status', '--kubeconfig', file])),
      `netpack: cluster "c" of ${file} has server "localhost:6443", which is not an https:// or http:// URL: correct it`,
    );
  });

  it('{}: no contexts, and no --context suggested', async () => {
    const file = write('braces', '{}\n');
    const line = oneUsageLine(await netpack(['status', '--kubeconfig', file]));
    assert.equal(
      line,
      `netpack: the kubeconfig ${file} has no contexts: add one, or point --kubeconfig/KUBECONFIG at the right file`,
    );
    assert.doesNotMatch(line, /--context/);
    // The same with --context: there is nothing to choose from.
    assert.equal(oneUsageLine(await netpack(['status', '--kubeconfig', file, '--context', 'x'])), line);
  });

  it('YAML that does not parse: file:line:col and the reason', async () => {
    const file = write('bad-yaml', 'apiVersion: v1\nclusters:\n  - name: a\n   cluster: {}\n');
    const line = oneUsageLine(await netpack(['status', '--kubeconfig', file]));
    assert.match(
      line,
      new RegExp(
        `^netpack: ${file}:4:\\d+: the kubeconfig is not valid YAML: \\S.*; fix it, or point --kubeconfig/KUBECONFIG at the right file$`,
      ),
    );
  });

  it('with -o json every kubeconfig problem has the code KubeconfigInvalid; YAML errors keep their position', async () => {
    const cases = [
      write('code-empty', ''),
      write('code-yaml', 'apiVersion: v1\nclusters:\n  - name: a\n   cluster: {}\n'),
      write('code-no-contexts', 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n'),
      join(dir, 'code-missing'),
    ];
    for (const file of cases) {
      const r = await netpack(['status', '--kubeconfig', file, '-o', 'json']);
      oneUsageLine(r);
      const error = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'KubeconfigInvalid', file);
    }
    const yaml = await netpack(['status', '--kubeconfig', cases[1]!, '-o', 'json']);
    assert.ok(JSON.parse(yaml.stdout).error.message.startsWith(`${cases[1]}:4:`), yaml.stdout);
  });

  it('an entry client-node refuses names the file and the entry', async () => {
    const file = write('no-server', 'clusters:\n- name: a\n  cluster: {}\ncontexts: []\nusers: []\n');
    assert.equal(
      oneUsageLine(await netpack(['status', '--kubeconfig', file])),
      `netpack: the kubeconfig ${file} has a broken entry: clusters[0].cluster.server is missing; fix it, or point --kubeconfig/KUBECONFIG at the right file`,
    );
  });

  it('--kubeconfig naming no file', async () => {
    const missing = join(dir, 'nope');
    assert.match(
      oneUsageLine(await netpack(['status', '--kubeconfig', missing])),
      new RegExp(`--kubeconfig ${missing}: no such file; check the path`),
    );
  });

  it('an unknown --context names the file and the contexts it has', async () => {
    assert.equal(
      oneUsageLine(await netpack(['status', '--kubeconfig', server.kubeconfigPath, '--context', 'nope'])),
      `netpack: --context nope: no such context (the kubeconfig has: fake) in ${server.kubeconfigPath}: pass one of those, or point --kubeconfig/KUBECONFIG at the right file`,
    );
  });

  it('a directory given as the kubeconfig', async () => {
    assert.equal(
      oneUsageLine(await netpack(['status', '--kubeconfig', dir])),
      `netpack: the kubeconfig ${dir} is a directory, not a file: point --kubeconfig/KUBECONFIG at the right file`,
    );
  });

  it('nothing was sent to the API server by any of these', () => {
    assert.equal(server.requests.length, 0);
  });
});

describe('KUBECONFIG lists, by kubectl rules', () => {
  it('a missing file in the list is skipped, and the others are used', async () => {
    const cluster = write('cluster.yml', calicoYaml());
    const missing = join(dir, 'missing');
    const r = await withKubeconfigEnv(`${missing}${delimiter}${server.kubeconfigPath}`, () =>
      netpack(['diff', '-f', cluster, '--verbose']),
    );
    assert.equal(r.code, 1, r.stderr); // diff: changes to make
    assert.match(r.stdout, /\+ create DaemonSet\.apps\/kube-system\/calico-node/);
    assert.match(r.stderr, new RegExp(`KUBECONFIG: skipped ${missing} \\(no such file\\), as kubectl does`));
    assert.doesNotMatch(r.stderr, /ENOENT/);
  });

  it('none of the files exists: says so, exit 2', async () => {
    const a = join(dir, 'missing-a');
    const b = join(dir, 'missing-b');
    const value = `${a}${delimiter}${b}`;
    const line = oneUsageLine(await withKubeconfigEnv(value, () => netpack(['status'])));
    assert.equal(
      line,
      `netpack: KUBECONFIG=${value}: none of its files exists (${a}, ${b}); fix KUBECONFIG, or pass --kubeconfig FILE`,
    );
    const one = oneUsageLine(await withKubeconfigEnv(a, () => netpack(['status'])));
    assert.equal(
      one,
      `netpack: KUBECONFIG=${a}: that file does not exist; fix KUBECONFIG, or pass --kubeconfig FILE`,
    );
  });

  it('a broken file in the list is named, not skipped', async () => {
    const empty = write('empty-in-list', '');
    const line = oneUsageLine(
      await withKubeconfigEnv(`${server.kubeconfigPath}${delimiter}${empty}`, () => netpack(['status'])),
    );
    assert.match(line, new RegExp(`the kubeconfig ${empty} is empty`));
  });

  it('merged: the first current-context wins, entries come from any file, duplicates are not errors', async () => {
    // The first file picks context "other" (cluster "fake" and user "fake" of the second file)
    // and defines its own "fake" context pointing nowhere, which the second file's loses to.
    const first = write(
      'first',
      kubeconfig({
        current: 'other',
        contexts: [
          { name: 'other', cluster: 'fake', user: 'fake' },
          { name: 'fake', cluster: 'nowhere' },
        ],
        clusters: { nowhere: 'http://127.0.0.1:1' },
      }),
    );
    const { target } = await loadKubeConfig(
      {},
      { KUBECONFIG: `${first}${delimiter}${server.kubeconfigPath}` },
    );
    assert.deepEqual(target, {
      source: 'env',
      files: [first, server.kubeconfigPath],
      skipped: [],
      context: 'other',
      cluster: 'fake',
      user: 'fake',
      server: server.url,
    });
    const fake = await loadKubeConfig(
      { context: 'fake' },
      { KUBECONFIG: `${first}${delimiter}${server.kubeconfigPath}` },
    );
    assert.equal(fake.target.cluster, 'nowhere', 'the first file to define a context wins');
    // A problem with the merged result names every file.
    await assert.rejects(
      loadKubeConfig({ context: 'x' }, { KUBECONFIG: `${first}${delimiter}${server.kubeconfigPath}` }),
      (e: Error) =>
        e instanceof KubeconfigError &&
        e.message.includes(`(the kubeconfig has: other, fake) in ${first}, ${server.kubeconfigPath}:`),
    );
  });

  it('without any kubeconfig: how to provide one, exit 2', async () => {
    await assert.rejects(
      loadKubeConfig({}, {}, join(dir, 'no-home')),
      (e: Error) =>
        e instanceof KubeconfigError &&
        /^no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG/.test(e.message),
    );
  });
});

/** A 127.0.0.1 port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('which server and context are in use', () => {
  it('--verbose names the context, the server and the kubeconfig at start', async () => {
    const r = await netpack(['status', '--kubeconfig', server.kubeconfigPath, '--verbose']);
    assert.equal(
      r.lines[0],
      `netpack: using context "fake" (server ${server.url}, kubeconfig ${server.kubeconfigPath})`,
    );
    const quiet = await netpack(['status', '--kubeconfig', server.kubeconfigPath]);
    assert.doesNotMatch(quiet.stderr, /using context/);
  });

  it('connect() returns a client that says what it talks to', async () => {
    const client = await connect({ kubeconfig: server.kubeconfigPath }, () => {});
    try {
      assert.equal(client.target.context, 'fake');
      assert.equal(client.target.server, server.url);
      assert.deepEqual(client.target.files, [server.kubeconfigPath]);
      // The wrapped client still works.
      assert.equal((await client.list('v1', 'Node')).items.length, 1);
    } finally {
      client.close();
    }
  });

  it('a refused connection: one error that names the server and context, no other line', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const file = write(
      'refused',
      kubeconfig({ current: 'down', contexts: [{ name: 'down', cluster: 'c' }], clusters: { c: url } }),
    );
    const lines: string[] = [];
    const client = await connect({ kubeconfig: file }, (l) => lines.push(l));
    try {
      await assert.rejects(
        client.list('apps/v1', 'Deployment'),
        (e: Error) =>
          e instanceof ClusterError &&
          e.code === 'ConnectionRefused' &&
          e.message.includes(`context "down" (server ${url}, kubeconfig ${file})`),
      );
      assert.equal(client.stats.retries, 0, 'refused before any answer: no retry loop');
    } finally {
      client.close();
    }
    assert.deepEqual(lines, [], 'plain HTTP is said only with --verbose, as kubectl says nothing');
  });

  it('an HTTP error answer is not taken for an unreachable server', async () => {
    const remove = server.faults.failRequests(['get'], 403);
    const lines: string[] = [];
    const client = await connect({ kubeconfig: server.kubeconfigPath }, (l) => lines.push(l));
    try {
      await assert.rejects(
        client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'absent' }),
        (e: Error) => e instanceof ApiError && e.code === 'Forbidden' && e.status === 403,
      );
    } finally {
      client.close();
      remove();
    }
    assert.deepEqual(lines, []);
  });
});
