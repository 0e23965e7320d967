// `netpack check` on a real network: network namespaces for three nodes and their pods, the
// probe program as real processes in them, the fake API server reporting the probe pods with
// those IPs and proxying to them. The fabric is broken on purpose, and the matrix and findings
// must name exactly what was broken: (a) one node's link MTU lowered with ICMP "fragmentation
// needed" dropped, (b) TCP dropped between two nodes' pods, (c) one node's node-local-dns
// stopped. Needs root and `ip netns`; skipped, loudly, without them.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CheckReport } from '../../src/check/report.ts';
import { type FakeApiServer, startFakeApiServer } from '../fake-apiserver/index.ts';
import { runCli } from '../support/cli.ts';
import {
  buildFabric,
  type Fabric,
  fabricUnavailable,
  KUBE_DNS_IP,
  nodeIp,
  podIp,
  SERVICE_IP,
  startNodeLocalDns,
} from './fabric/fabric.ts';
import { fakeKubelet, type Kubelet } from './kubelet.ts';
import { leftovers, probeScriptPath } from './support.ts';

const unavailable = fabricUnavailable();
if (unavailable) console.warn(`\n!!! fabric.test.ts: SKIPPED, ${unavailable}\n`);

const NODES = 3;
const n = (i: number) => `node-${i}`;

describe('netpack check on a network-namespace fabric', { skip: unavailable }, () => {
  let fabric: Fabric;
  let server: FakeApiServer;
  let kubelet: Kubelet;
  let dir: string;
  let clusterFile: string;
  const nodeLocalDns = new Map<number, ChildProcess>();

  before(async () => {
    const script = await probeScriptPath();
    fabric = await buildFabric(NODES);
    server = await startFakeApiServer({
      nodes: NODES,
      clusterIpPool: Array(20).fill(SERVICE_IP),
      podConnect: (ip, port) => fabric.podConnect(ip, port),
    });
    server.store.commit(server.store.registry.byKind('v1', 'Service')!, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', uid: server.store.nextUid() },
      spec: { clusterIP: KUBE_DNS_IP, ports: [{ port: 53, protocol: 'UDP' }] },
    });
    // A pod's probe process is kept when its pod goes and serves the next pod in the same place:
    // the probe holds no state between runs, and starting six processes per check is most of a
    // check's time here. (fabric.close() ends them all.)
    const procs = new Map<string, Promise<ChildProcess>>();
    const where = (spec: { node: string; hostNetwork: boolean }) => {
      const i = Number(spec.node.slice(5));
      return { i, ns: spec.hostNetwork ? fabric.node(i) : fabric.pod(i) };
    };
    kubelet = fakeKubelet(server, {
      async start(spec) {
        const { i, ns } = where(spec);
        const key = `${ns}:${spec.port}`;
        if (!procs.has(key))
          procs.set(key, fabric.start(ns, [script, '--port', String(spec.port), '--node', spec.node]));
        await procs.get(key);
        return spec.hostNetwork ? nodeIp(i) : podIp(i);
      },
      stop() {},
    });
    await Promise.all(
      Array.from({ length: NODES }, async (_, k) =>
        nodeLocalDns.set(k + 1, await startNodeLocalDns(fabric, k + 1)),
      ),
    );
    dir = mkdtempSync(join(tmpdir(), 'netpack-fabric-test-'));
    clusterFile = join(dir, 'cluster.yml');
    writeFileSync(
      clusterFile,
      `hosts:\n${Array.from({ length: NODES }, (_, k) => `  - address: ${nodeIp(k + 1)}\n    role: ${k === 0 ? 'master' : 'worker'}\n`).join('')}network:\n  provider: weave\n  pod_network_cidr: 10.244.0.0/16\n  service_cidr: 10.96.0.0/12\n  node_local_dns_cache: true\n`,
    );
  });

  after(async () => {
    await kubelet?.close();
    await server?.close();
    await fabric?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function check(...extra: string[]): Promise<{ code: number; report: CheckReport; text: string }> {
    const argv = [
      'check',
      '--kubeconfig',
      server.kubeconfigPath,
      '-f',
      clusterFile,
      '--test-timeout',
      '1s',
      '--timeout',
      '60s',
    ];
    const json = await runCli(...argv, '-o', 'json', ...extra);
    assert.ok(json.stdout.startsWith('{'), json.stderr);
    assert.deepEqual(leftovers(server), [], 'the check removed everything it made');
    await kubelet.idle();
    assert.deepEqual(kubelet.running(), [], 'every probe pod was stopped');
    const report = JSON.parse(json.stdout) as CheckReport;
    if (process.env.NETPACK_FABRIC_EXAMPLE) {
      const text = await runCli(...argv, ...extra);
      // For the README: the text output, appended to the file this names.
      appendFileSync(
        process.env.NETPACK_FABRIC_EXAMPLE,
        `\n$ netpack check -f cluster.yml --test-timeout 1s\n${text.stdout}`,
      );
      return { code: json.code, report, text: text.stdout };
    }
    return { code: json.code, report, text: '' };
  }

  /** Every ordered pair and own test passed except `broken` ([from, to, letters] and [node, letters]). */
  function expectMatrix(
    report: CheckReport,
    pairs: [string, string, string[]][],
    own: [string, string[]][] = [],
  ) {
    const want: Record<string, Record<string, string[]>> = {};
    for (let a = 1; a <= NODES; a++) {
      want[n(a)] = {};
      for (let b = 1; b <= NODES; b++) if (a !== b) want[n(a)]![n(b)] = [];
    }
    for (const [a, b, letters] of pairs) want[a]![b] = letters;
    assert.deepEqual(report.matrix, want);
    const wantOwn = Object.fromEntries(Array.from({ length: NODES }, (_, k) => [n(k + 1), [] as string[]]));
    for (const [node, letters] of own) wantOwn[node] = letters;
    assert.deepEqual(report.own, wantOwn);
  }

  test('an intact fabric: every test passes between every pair, exit 0', async () => {
    const { code, report } = await check();
    assert.deepEqual(report.tests, ['T', 'L', 'S', 'N', 'D', 'H', 'P']);
    expectMatrix(report, []);
    assert.deepEqual(report.findings, []);
    assert.equal(code, 0);
  });

  test('(a) node-2 link MTU 1200 and ICMP frag-needed dropped: MtuBlackHole for exactly the pairs through it', async () => {
    const [n2, sw] = [fabric.node(2), `${fabric.ctl.replace(/-ctl$/, '')}-sw`];
    const breakIt = `ip -n ${n2} link set eth0 mtu 1200\nip -n ${sw} link set n2 mtu 1200\nip netns exec ${n2} iptables -w -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP`;
    const fixIt = `ip -n ${n2} link set eth0 mtu 1500\nip -n ${sw} link set n2 mtu 1500\nip netns exec ${n2} iptables -w -D OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP`;
    await fabric.sh(breakIt);
    try {
      const { code, report } = await check();
      assert.equal(code, 1);
      const through2: [string, string][] = [
        ['node-1', 'node-2'],
        ['node-2', 'node-1'],
        ['node-2', 'node-3'],
        ['node-3', 'node-2'],
      ];
      expectMatrix(
        report,
        through2.map(([a, b]) => [a, b, ['L']]),
      );
      assert.deepEqual(
        report.findings.map((f) => [f.reason, f.subject, f.pairs]),
        [['MtuBlackHole', 'node node-2', through2]],
      );
      const f = report.findings[0]!;
      assert.match(f.cause!, /smallest node interface MTU 1200 \(eth0 on node-2\)/);
      assert.match(f.cause!, /pod interface MTU 1500/);
      assert.ok(
        report.failures.every((x) => x.letter === 'L' && x.code === 'stalled'),
        JSON.stringify(report.failures),
      );
    } finally {
      await fabric.sh(fixIt);
    }
  });

  test('(b) TCP dropped between the pods of node-1 and node-3: PodToPodBlocked for exactly those pairs', async () => {
    const rules = ['-p tcp -s 10.244.3.0/24 -j DROP', '-p tcp -d 10.244.3.0/24 -j DROP'];
    const n1 = fabric.node(1);
    await fabric.sh(rules.map((r) => `ip netns exec ${n1} iptables -w -A FORWARD ${r}`).join('\n'));
    try {
      const { code, report } = await check();
      assert.equal(code, 1);
      expectMatrix(report, [
        ['node-1', 'node-3', ['T', 'L']],
        ['node-3', 'node-1', ['T', 'L']],
      ]);
      assert.deepEqual(
        report.findings.map((f) => [f.reason, f.subject, f.pairs]),
        [
          [
            'PodToPodBlocked',
            'nodes node-1 ↔ node-3',
            [
              ['node-1', 'node-3'],
              ['node-3', 'node-1'],
            ],
          ],
        ],
      );
      const f = report.findings[0]!;
      assert.match(f.cause!, /timeout ×2/);
      // The fix names the two nodes and Weave's ports from the table `netpack firewall` uses.
      assert.match(f.fix!, /node-1 \(192\.0\.2\.1\) and node-3 \(192\.0\.2\.3\)/);
      assert.match(f.fix!, /: tcp 6783, udp 6783-6784, IP protocol 50 \(ESP\) \(/);
      assert.doesNotMatch(f.fix!, /10250/, 'the kubelet port carries no pod traffic');
    } finally {
      await fabric.sh(rules.map((r) => `ip netns exec ${n1} iptables -w -D FORWARD ${r}`).join('\n'));
    }
  });

  test('(c) node-local-dns stopped on node-2: NodeLocalDnsFailed for node-2 only', async () => {
    await fabric.stop(nodeLocalDns.get(2)!);
    try {
      const { code, report } = await check();
      assert.equal(code, 1);
      expectMatrix(report, [], [['node-2', ['N']]]);
      assert.deepEqual(
        report.findings.map((f) => [f.reason, f.subject, f.nodes]),
        [['NodeLocalDnsFailed', 'node node-2', ['node-2']]],
      );
    } finally {
      nodeLocalDns.set(2, await startNodeLocalDns(fabric, 2));
    }
  });
});
