// Every way of failing to talk to a cluster is one line on stderr, exit 2 and a stable code
// (`status -o json` prints it): exec credential plugins that fail or are missing, answers that
// are not the Kubernetes API, TLS verification, 401/403, a refused connection. Each against a
// real local server: the fake API server, behind a small front (TLS, a token check) or a web
// server answering HTML. Exec credentials are renewed before they expire and once on a 401.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/cluster/connect.ts';
import { ExecCredentials, REFRESH_BEFORE_MS } from '../../src/cluster/exec-credential.ts';
import { ClusterError } from '../../src/cluster/types.ts';
import { type FakeApiServer, startFakeApiServer } from '../fake-apiserver/index.ts';
import { type CliResult, runCli } from '../support/cli.ts';

let api: FakeApiServer;
let dir: string;
const servers: (http.Server | https.Server)[] = [];

before(async () => {
  api = await startFakeApiServer({ nodes: 1 });
  dir = mkdtempSync(join(tmpdir(), 'netpack-cluster-failures-'));
});
after(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string, mode?: number): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  if (mode !== undefined) chmodSync(path, mode);
  return path;
}

async function listen<S extends http.Server | https.Server>(server: S): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/**
 * A front to the fake API server: forwards every request, optionally over TLS, and with
 * `accept` only requests whose Authorization header it accepts (401 Status otherwise).
 */
function front(opts: { tls?: { key: string; cert: string }; accept?: (auth?: string) => boolean }) {
  const handler: http.RequestListener = (req, res) => {
    if (opts.accept && !opts.accept(req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'Unauthorized',
          code: 401,
        }),
      );
    }
    const up = http.request(
      { host: '127.0.0.1', port: api.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    req.pipe(up);
  };
  return listen(opts.tls ? https.createServer(opts.tls, handler) : http.createServer(handler));
}

interface Kubeconfig {
  server: string;
  ca?: string;
  skipVerify?: boolean;
  user?: Record<string, unknown>;
}

function kubeconfig(name: string, k: Kubeconfig): string {
  return write(
    name,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: {
            server: k.server,
            ...(k.ca ? { 'certificate-authority': k.ca } : {}),
            ...(k.skipVerify ? { 'insecure-skip-tls-verify': true } : {}),
          },
        },
      ],
      users: [{ name: 'ops', user: k.user ?? { token: 'static-token-value' } }],
      contexts: [{ name: 'prod', context: { cluster: 'c', user: 'ops' } }],
      'current-context': 'prod',
    }),
  );
}

/** `status -o json`: exit 2, one line on stderr without a stack, and the code on stdout. */
async function failsWith(file: string, code: string): Promise<{ line: string; r: CliResult }> {
  const r = await runCli('status', '--kubeconfig', file, '-o', 'json');
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.lines.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  assert.equal(JSON.parse(r.stdout).error.code, code, r.stdout);
  return { line: r.lines[0]!, r };
}

/** Works: the fake cluster's status was read (healthy or not, it answered). */
async function works(file: string): Promise<void> {
  const r = await runCli('status', '--kubeconfig', file);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  assert.match(r.stdout, /node-1|nodes?/i);
}

describe('exec credential plugins', () => {
  it('a plugin that is not installed: named, with its install hint', async () => {
    const file = kubeconfig('missing-plugin', {
      server: api.url,
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: 'netpack-test-no-such-plugin',
          installHint: 'install it with: apt install no-such-plugin',
        },
      },
    });
    const { line } = await failsWith(file, 'ExecPluginFailed');
    assert.match(line, /"netpack-test-no-such-plugin" of user "ops"/);
    assert.match(line, /apt install no-such-plugin/);
  });

  it('a plugin that fails: its command and stderr, on one line, and no token', async () => {
    const plugin = write(
      'failing-plugin.sh',
      `#!/bin/sh
echo '{"status":{"token":"stdout-secret-token"}}'
echo "error: SSO session expired" >&2
echo "  run: aws sso login; debug token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlc2lnbmF0dXJl" >&2
exit 3
`,
      0o755,
    );
    const file = kubeconfig('failing-plugin', { server: api.url, user: { exec: { command: plugin } } });
    const { line, r } = await failsWith(file, 'ExecPluginFailed');
    assert.ok(line.includes(`"${plugin}"`), line);
    assert.match(line, /failed \(exit 3\): error: SSO session expired run: aws sso login/);
    assert.doesNotMatch(r.stderr + r.stdout, /stdout-secret-token|eyJhbGciOiJSUzI1NiJ9/);
  });

  it('a plugin that prints no ExecCredential: said, without its output', async () => {
    const plugin = write('junk-plugin.sh', '#!/bin/sh\necho "hunter2-not-json"\n', 0o755);
    const file = kubeconfig('junk-plugin', { server: api.url, user: { exec: { command: plugin } } });
    const { line, r } = await failsWith(file, 'ExecPluginFailed');
    assert.match(line, /not an ExecCredential/);
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2/);
  });

  /** A plugin that prints token `tok-N` (N counts its runs) valid for `validSeconds` from now. */
  function countingPlugin(
    name: string,
    validSeconds: number,
  ): { command: string; args: string[]; runs: () => number } {
    const counter = write(`${name}.count`, '0');
    // A shell script: a plugin starts in milliseconds, and kubectl's contract is all it needs.
    const script = write(
      `${name}.sh`,
      `#!/bin/sh
case "$KUBERNETES_EXEC_INFO" in *'"kind":"ExecCredential"'*) ;; *) echo "no KUBERNETES_EXEC_INFO" >&2; exit 9;; esac
n=$(( $(cat '${counter}') + 1 ))
echo $n > '${counter}'
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-%s","expirationTimestamp":"%s"}}' $n "$(date -u -d "+${validSeconds} seconds" +%Y-%m-%dT%H:%M:%SZ)"
`,
      0o755,
    );
    return { command: script, args: [], runs: () => Number(readFileSync(counter, 'utf8')) };
  }

  it('the plugin is run again shortly before its credential expires, not after', async () => {
    const p = countingPlugin('clock', 600);
    let now = Date.now();
    const creds = new ExecCredentials(
      { command: p.command, args: p.args, apiVersion: 'client.authentication.k8s.io/v1' },
      'user "ops"',
      () => now,
    );
    assert.equal((await creds.get()).token, 'tok-1');
    now += 5 * 60_000;
    assert.equal((await creds.get()).token, 'tok-1', 'still fresh: kept');
    now += 5 * 60_000 - REFRESH_BEFORE_MS + 1_000; // inside the margin before expiry
    assert.equal((await creds.get()).token, 'tok-2', 'renewed before it expires');
    assert.equal(p.runs(), 2);
    // Parallel requests share one run.
    creds.invalidate();
    const all = await Promise.all([creds.get(), creds.get(), creds.get()]);
    assert.deepEqual(
      all.map((c) => c.token),
      ['tok-3', 'tok-3', 'tok-3'],
    );
  });

  it('a 401 runs the plugin again once, and the request goes through with the new token', async () => {
    const p = countingPlugin('revoked', 3600);
    let accepted = 'tok-1';
    const port = await front({ accept: (auth) => auth === `Bearer ${accepted}` });
    const file = kubeconfig('revoking', {
      server: `http://127.0.0.1:${port}`,
      user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: p.command, args: p.args } },
    });
    const client = await connect({ kubeconfig: file }, () => {});
    try {
      assert.equal((await client.list('v1', 'Node')).items.length, 1);
      accepted = 'tok-2'; // the server revokes tok-1 before it expires
      assert.equal((await client.list('v1', 'Node')).items.length, 1);
      assert.equal(p.runs(), 2);
      accepted = 'none'; // nothing the plugin prints is taken: one re-run, then the 401
      await assert.rejects(client.list('v1', 'Node'), /401 Unauthorized.*user "ops" of context "prod"/);
      assert.equal(p.runs(), 3);
      // A watch refused with a 401 ends; the next one runs the plugin again.
      accepted = 'tok-4';
      assert.equal(await client.watch('v1', 'Node', {}, () => {}), 'closed');
      const ctrl = new AbortController();
      const seen: string[] = [];
      const end = await client.watch(
        'v1',
        'Node',
        {},
        (ev) => {
          seen.push(ev.object.metadata.name);
          ctrl.abort();
        },
        ctrl.signal,
      );
      assert.equal(end, 'aborted');
      assert.deepEqual(seen, ['node-1']);
      assert.equal(p.runs(), 4);
    } finally {
      client.close();
    }
  });
});

describe('answers that are not the Kubernetes API', () => {
  it('an http:// server works as with kubectl, without insecure-skip-tls-verify', async () => {
    await works(kubeconfig('plain-http', { server: api.url }));
  });

  it('a web server answering HTML: its status, content type and first bytes', async () => {
    const port = await listen(
      http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!DOCTYPE html>\n<html><head><title>Sign in</title>\u001b[31m</head></html>');
      }),
    );
    const { line } = await failsWith(
      kubeconfig('html', { server: `http://127.0.0.1:${port}` }),
      'NotKubernetes',
    );
    assert.match(
      line,
      /answered 200 text\/html; charset=utf-8 starting "<!DOCTYPE html> <html><head><title>Sign in/,
    );
    assert.ok(!line.includes('\u001b'), 'control characters are not passed to the terminal');
  });

  it('https:// to a server that speaks plain HTTP: said, not "cannot reach"', async () => {
    const { line } = await failsWith(
      kubeconfig('https-to-http', { server: api.url.replace('http:', 'https:') }),
      'NotKubernetes',
    );
    assert.match(line, /does not speak TLS/);
  });

  it('JSON that is not JSON: NotKubernetes', async () => {
    const port = await listen(
      http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"items": [');
      }),
    );
    await failsWith(kubeconfig('broken-json', { server: `http://127.0.0.1:${port}` }), 'NotKubernetes');
  });
});

describe('TLS verification', () => {
  let pki: Record<'ca' | 'otherCa' | 'key' | 'cert' | 'expired', string>;
  before(() => {
    // A throwaway CA with a server certificate for 127.0.0.1, an expired one, and another CA.
    const at = (f: string) => join(dir, f);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=test-ca', '-days', '2');
    ssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'other.key',
      '-out',
      'other.crt',
      '-subj',
      '/CN=other',
      '-days',
      '2',
    );
    ssl(
      'req',
      ...ec,
      '-keyout',
      'srv.key',
      '-out',
      'srv.csr',
      '-subj',
      '/CN=api',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    );
    ssl(
      'x509',
      '-req',
      '-in',
      'srv.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      '2',
      '-days',
      '2',
      '-copy_extensions',
      'copy',
      '-out',
      'srv.crt',
    );
    writeFileSync(
      at('ca.cnf'),
      '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\ndefault_md=sha256\npolicy=p\nserial=serial\ncopy_extensions=copy\n[p]\ncommonName=supplied\n',
    );
    writeFileSync(at('index.txt'), '');
    writeFileSync(at('serial'), '03\n');
    ssl(
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      'ca.crt',
      '-keyfile',
      'ca.key',
      '-in',
      'srv.csr',
      '-out',
      'old.crt',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200102000000Z',
    );
    pki = {
      ca: at('ca.crt'),
      otherCa: at('other.crt'),
      key: readFileSync(at('srv.key'), 'utf8'),
      cert: readFileSync(at('srv.crt'), 'utf8'),
      expired: readFileSync(at('old.crt'), 'utf8'),
    };
  });

  it('the right CA: works (the control)', async () => {
    const port = await front({ tls: { key: pki.key, cert: pki.cert } });
    await works(kubeconfig('tls-ok', { server: `https://127.0.0.1:${port}`, ca: pki.ca }));
  });

  it('an unknown CA: says it is the certificate, not that the server did not answer', async () => {
    const port = await front({ tls: { key: pki.key, cert: pki.cert } });
    const { line } = await failsWith(
      kubeconfig('tls-wrong-ca', { server: `https://127.0.0.1:${port}`, ca: pki.otherCa }),
      'TlsVerifyFailed',
    );
    assert.match(line, /TLS certificate of 127\.0\.0\.1:\d+ is not accepted: .*certificate authority/);
    assert.match(line, /context "prod"/);
    assert.doesNotMatch(line, /did not answer|cannot reach/);
  });

  it('a host name the certificate is not for', async () => {
    const port = await front({ tls: { key: pki.key, cert: pki.cert } });
    const { line } = await failsWith(
      kubeconfig('tls-hostname', { server: `https://localhost:${port}`, ca: pki.ca }),
      'TlsVerifyFailed',
    );
    assert.match(line, /hostname mismatch \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
  });

  it('an expired certificate', async () => {
    const port = await front({ tls: { key: pki.key, cert: pki.expired } });
    const { line } = await failsWith(
      kubeconfig('tls-expired', { server: `https://127.0.0.1:${port}`, ca: pki.ca }),
      'TlsVerifyFailed',
    );
    assert.match(line, /it has expired \(CERT_HAS_EXPIRED\)/);
  });
});

describe('refused credentials and rights', () => {
  it('401: names the context and the user, never the token', async () => {
    const remove = api.faults.failRequests(['list', 'get'], 401);
    try {
      const { line, r } = await failsWith(kubeconfig('unauthorized', { server: api.url }), 'Unauthorized');
      assert.match(
        line,
        /401 Unauthorized: the API server did not accept the credentials of user "ops" of context "prod"/,
      );
      assert.doesNotMatch(r.stderr + r.stdout, /static-token-value/);
    } finally {
      remove();
    }
  });

  it('a 401 in plain text (an authenticating proxy in front) is still Unauthorized', async () => {
    const port = await listen(
      http.createServer((_req, res) => {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end('Unauthorized\n');
      }),
    );
    await failsWith(kubeconfig('proxy-401', { server: `http://127.0.0.1:${port}` }), 'Unauthorized');
  });

  it('403: names the user, the context, the verb and the resource', async () => {
    const remove = api.faults.failRequests(['list', 'get'], 403);
    try {
      const { line } = await failsWith(kubeconfig('forbidden', { server: api.url }), 'Forbidden');
      assert.match(
        line,
        /: 403 Forbidden: user "ops" of context "prod" .* may not (list|get) \S+ \(the API server says: /,
      );
    } finally {
      remove();
    }
  });
});

describe('writes refused for rights', () => {
  it('apply: every write refused alike is one line naming the verb and object, exit 2', async () => {
    // The lock (a Lease) may be taken; every write of the network's objects is refused.
    const remove = api.faults.failRequests(['apply', 'create'], 403, 1, { path: /^(?!.*\/leases(\/|$))/ });
    try {
      const cluster = write(
        'forbidden-writes.yml',
        'network:\n  provider: calico\n  pod_network_cidr: 10.244.0.0/16\n',
      );
      const r = await runCli(
        'apply',
        '-f',
        cluster,
        '--kubeconfig',
        kubeconfig('forbidden-writes', { server: api.url }),
      );
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.lines.length, 1, r.stderr);
      assert.match(r.lines[0]!, /403 Forbidden: user "ops" of context "prod" .* may not apply \S+/);
      // The state is written ahead of every object (what this run may create), so the refusal
      // comes there, and nothing of the network is written.
      const refused = api.writes().filter((w) => !w.path.includes('/leases'));
      assert.deepEqual(
        refused.map((w) => [w.status, w.path.split('?')[0]]),
        [[403, '/api/v1/namespaces/kube-system/configmaps/netpack-state']],
      );
    } finally {
      remove();
    }
  });
});

describe('a refused connection', () => {
  it('fails at once with ConnectionRefused, without a retry loop', async () => {
    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const file = kubeconfig('refused', { server: `http://127.0.0.1:${port}` });
    const { line } = await failsWith(file, 'ConnectionRefused');
    assert.match(line, new RegExp(`127\\.0\\.0\\.1:${port} refused the connection`));
    // Every cluster command: the same one line and exit 2.
    const cluster = write('refused-cluster.yml', 'network:\n  provider: weave\n');
    for (const argv of [
      ['apply', '-f', cluster],
      ['diff', '-f', cluster],
      ['delete', '--yes'],
    ]) {
      const r = await runCli(...argv, '--kubeconfig', file);
      assert.equal(r.code, 2, `${argv[0]}: ${r.stderr}`);
      assert.equal(r.lines.length, 1, `${argv[0]}: ${r.stderr}`);
      assert.match(r.lines[0]!, /refused the connection/);
    }
    const client = await connect({ kubeconfig: file }, () => {});
    try {
      await assert.rejects(client.list('v1', 'Node'), (e: Error) => e instanceof ClusterError);
      assert.equal(client.stats.requests, 1, 'one request, no retries');
    } finally {
      client.close();
    }
  });
});
