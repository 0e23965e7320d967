// `netpack check` against the fake API server, with the probes as real servers on loopback
// addresses: the CLI's flags and exit codes, the objects it deploys, the matrix and findings for
// probes that are silent or never ready, and that nothing is left behind.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startProbe } from '../../src/check/probe.ts';
import type { CheckReport } from '../../src/check/report.ts';
import { type FakeApiServer, type KubeObject, startFakeApiServer } from '../fake-apiserver/index.ts';
import { runCli } from '../support/cli.ts';
import { leftovers, loopbackProbes, probeScript, probeScriptPath, spawnCli } from './support.ts';

const RANGE = 31;

interface PodSpec {
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  tolerations: unknown[];
  securityContext: { runAsNonRoot?: boolean };
  containers: {
    image: string;
    command: string[];
    securityContext: { readOnlyRootFilesystem?: boolean; capabilities?: unknown };
  }[];
}
const SERVICE_IP = `127.${RANGE}.9.1`;

async function cluster(nodes = 3): Promise<FakeApiServer> {
  return startFakeApiServer({ nodes, clusterIpPool: Array(10).fill(SERVICE_IP) });
}

const check = (server: FakeApiServer, ...argv: string[]) =>
  runCli('check', '--kubeconfig', server.kubeconfigPath, '--test-timeout', '1s', ...argv);

describe('netpack check (loopback probes)', () => {
  let service: Server;
  before(async () => {
    await probeScriptPath();
    // The probe Service's ClusterIP: a probe of its own stands in for kube-proxy's DNAT.
    service = await startProbe({ port: 8477, listen: SERVICE_IP, node: 'service' });
  });
  after(() => service.close());

  test('every test passes: exit 0, a full matrix, and every object it made is gone', async () => {
    const server = await cluster();
    const kubelet = loopbackProbes(server, { range: RANGE });
    const made: KubeObject[] = [];
    server.store.subscribe((e) => {
      if (
        e.type === 'ADDED' &&
        (e.object.metadata.namespace === 'netpack-check' || e.object.kind === 'Namespace')
      )
        made.push(e.object);
    });
    try {
      const r = await check(server, '-o', 'json');
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as CheckReport;
      assert.deepEqual(report.nodes, ['node-1', 'node-2', 'node-3']);
      assert.deepEqual(report.tests, ['T', 'L', 'S', 'H', 'P']);
      for (const a of report.nodes)
        assert.deepEqual(
          report.matrix[a],
          Object.fromEntries(report.nodes.filter((b) => b !== a).map((b) => [b, []])),
        );
      assert.deepEqual(report.findings, []);
      assert.deepEqual(leftovers(server), []);
      await kubelet.idle();
      assert.deepEqual(kubelet.running(), []);
      assert.ok(
        r.lines.some((l) => /probes ready: 3\/3/.test(l)),
        'progress while waiting',
      );
      assert.ok(r.lines.some((l) => /removed namespace netpack-check/.test(l)));

      // What it deployed: least privilege, the probe script in a ConfigMap, the public image.
      const kinds = made.map((o) => `${o.kind}/${o.metadata.name}`);
      for (const k of [
        'Namespace/netpack-check',
        'ConfigMap/netpack-probe',
        'Service/netpack-check',
        'DaemonSet/netpack-check',
        'DaemonSet/netpack-check-host',
      ])
        assert.ok(kinds.includes(k), k);
      const cm = made.find((o) => o.kind === 'ConfigMap')!;
      assert.equal((cm.data as Record<string, string>)['probe.cjs'], await probeScript());
      for (const ds of made.filter((o) => o.kind === 'DaemonSet')) {
        const spec = (ds.spec as { template: { spec: PodSpec } }).template.spec;
        assert.equal(spec.automountServiceAccountToken, false);
        assert.deepEqual(spec.tolerations, [{ operator: 'Exists' }]);
        assert.equal(spec.securityContext.runAsNonRoot, true);
        const c = spec.containers[0]!;
        assert.match(c.image, /^docker\.io\/library\/node:[^@]+@sha256:[0-9a-f]{64}$/);
        assert.deepEqual(c.command.slice(0, 2), ['node', '/probe/probe.cjs']);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
        assert.equal(spec.hostNetwork === true, ds.metadata.name === 'netpack-check-host');
      }
    } finally {
      await kubelet.close();
      await server.close();
    }
  });

  test('a probe that never answers: its node is named, exit 1, still cleaned up', async () => {
    const server = await cluster();
    const kubelet = loopbackProbes(server, { range: RANGE, silent: ['node-3'] });
    try {
      const r = await check(server, '-o', 'json', '--no-host-probes');
      assert.equal(r.code, 1, r.stderr);
      const report = JSON.parse(r.stdout) as CheckReport;
      assert.deepEqual(report.matrix['node-1'], { 'node-2': [], 'node-3': ['T', 'L'] });
      assert.deepEqual(report.matrix['node-2'], { 'node-1': [], 'node-3': ['T', 'L'] });
      assert.equal(report.matrix['node-3'], undefined);
      assert.deepEqual(
        report.findings.map((f) => [f.reason, f.subject, f.pairs ?? []]),
        [
          ['ProbeUnreachable', 'node node-3', []],
          [
            'PodToPodBlocked',
            'node node-3',
            [
              ['node-1', 'node-3'],
              ['node-2', 'node-3'],
            ],
          ],
        ],
      );
      assert.deepEqual(
        report.failures.filter((f) => f.letter === 'T').map((f) => f.code),
        ['refused', 'refused'],
      );
      assert.deepEqual(leftovers(server), []);
    } finally {
      await kubelet.close();
      await server.close();
    }
  });

  test('a probe that never becomes ready: ProbeNotReady for that node, the others still test each other', async () => {
    const server = await cluster();
    const kubelet = loopbackProbes(server, { range: RANGE, pending: ['node-2'] });
    try {
      const r = await check(
        server,
        '-o',
        'json',
        '--no-host-probes',
        '--timeout',
        '4s',
        '--test-timeout',
        '1s',
      );
      assert.equal(r.code, 1, r.stderr);
      const report = JSON.parse(r.stdout) as CheckReport;
      assert.deepEqual(
        report.findings.map((f) => [f.reason, f.subject]),
        [['ProbeNotReady', 'node node-2']],
      );
      assert.match(report.findings[0]!.cause!, /phase Pending/);
      assert.deepEqual(report.matrix['node-1'], { 'node-3': [] });
      assert.deepEqual(leftovers(server), []);
    } finally {
      await kubelet.close();
      await server.close();
    }
  });

  test('a host-network probe that never comes up: a warning, its node ↔ pod tests skipped, exit 0', async () => {
    const server = await cluster(2);
    const kubelet = loopbackProbes(server, { range: RANGE, pendingHost: ['node-2'] });
    try {
      const r = await check(server, '-o', 'json', '--timeout', '4s');
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as CheckReport;
      assert.deepEqual(
        report.findings.map((f) => [f.severity, f.reason, f.subject]),
        [['warning', 'ProbeNotReady', 'node node-2 (host network)']],
      );
      assert.deepEqual(report.matrix, { 'node-1': { 'node-2': [] }, 'node-2': { 'node-1': [] } });
      assert.deepEqual(
        report.tests,
        ['T', 'L', 'S', 'H', 'P'],
        'node-1 still tested H to node-2 and node-2 P to node-1',
      );
      assert.deepEqual(leftovers(server), []);
    } finally {
      await kubelet.close();
      await server.close();
    }
  });

  test('--nodes and --sample choose who tests whom; the text output is a matrix', async () => {
    const server = await cluster(4);
    const kubelet = loopbackProbes(server, { range: RANGE });
    try {
      let r = await check(server, '-o', 'json', '--no-host-probes', '--nodes', 'node-1,node-3');
      assert.equal(r.code, 0, r.stderr);
      let report = JSON.parse(r.stdout) as CheckReport;
      assert.deepEqual(report.nodes, ['node-1', 'node-3']);
      assert.deepEqual(Object.keys(report.matrix['node-1']!), ['node-3']);

      r = await check(server, '--no-host-probes', '--sample', '1', '-o', 'json');
      assert.equal(r.code, 0, r.stderr);
      report = JSON.parse(r.stdout) as CheckReport;
      assert.deepEqual(
        Object.entries(report.matrix).map(([a, row]) => [a, Object.keys(row)]),
        [
          ['node-1', ['node-2']],
          ['node-2', ['node-3']],
          ['node-3', ['node-4']],
          ['node-4', ['node-1']],
        ],
      );

      r = await check(server, '--no-host-probes', '--sample', '1');
      assert.equal(r.code, 0, r.stderr);
      const rows = r.stdout.split('\n');
      assert.match(rows[0]!, /^FROM \\ TO\s+node-1\s+node-2\s+node-3\s+node-4\s+OWN$/);
      assert.match(rows[1]!, /^node-1\s+-\s+ok\s+·\s+·\s+ok$/);
      assert.match(r.stdout, /all checks passed/);
    } finally {
      await kubelet.close();
      await server.close();
    }
  });

  test('--external: egress from every node; a closed address is one EgressFailed for every node', async () => {
    const server = await cluster();
    const kubelet = loopbackProbes(server, { range: RANGE });
    try {
      let r = await check(server, '-o', 'json', '--no-host-probes', '--external', `${SERVICE_IP}:8477`);
      assert.equal(r.code, 0, r.stderr);
      let report = JSON.parse(r.stdout) as CheckReport;
      assert.deepEqual(report.tests, ['T', 'L', 'S', 'E']);

      r = await check(server, '-o', 'json', '--no-host-probes', '--external', `${SERVICE_IP}:1`);
      assert.equal(r.code, 1, r.stderr);
      report = JSON.parse(r.stdout) as CheckReport;
      assert.deepEqual(
        report.findings.map((f) => [f.reason, f.subject]),
        [['EgressFailed', 'every node']],
      );
      assert.deepEqual(Object.values(report.own), [['E'], ['E'], ['E']]);
    } finally {
      await kubelet.close();
      await server.close();
    }
  });

  test('`netpack check probe` runs the probe as a plain process; SIGTERM stops it', async () => {
    const probe = spawnCli('check', 'probe', '--port', '0', '--listen', `127.${RANGE}.8.1`, '--node', 'solo');
    const port = Number((await probe.waitFor(/listening on [\d.]+:(\d+)/))[1]);
    const answer = await fetch(`http://127.${RANGE}.8.1:${port}/echo`);
    assert.equal(await answer.text(), 'netpack-check-probe solo\n');
    probe.child.kill('SIGTERM');
    assert.equal(await probe.exited, 0);
    const bad = await runCli('check', 'probe', '--port', 'x');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /netpack probe: unknown or incomplete argument/);
  });

  test('usage errors exit 2 and deploy nothing', async () => {
    const server = await cluster();
    try {
      for (const argv of [
        ['--sample', '0'],
        ['--external', 'nohost'],
        ['--timeout', 'soon'],
        ['--nodes', 'node-9'],
      ]) {
        const r = await check(server, ...argv);
        assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /^netpack check: /m);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      }
      const json = await check(server, '--sample', '0', '-o', 'json');
      assert.equal(json.code, 2);
      assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'Usage');
      assert.deepEqual(leftovers(server), []);
      assert.deepEqual(
        server.writes().filter((w) => w.verb === 'create'),
        [],
      );
    } finally {
      await server.close();
    }
  });
});
