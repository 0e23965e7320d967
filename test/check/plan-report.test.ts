// The pure core of `netpack check`: who tests whom, the probes' plans, and how answers become a
// matrix and findings (grouping by node or by pair, causes from the config).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectionsPerNode, planRuns, targetsOf } from '../../src/check/plan.ts';
import { encodePlan, parsePlan } from '../../src/check/probe.ts';
import { buildReport, type CheckInput, causeContext, formatReport } from '../../src/check/report.ts';
import { PROBE_MAGIC, type ProbeAnswer, type ProbeResult, type RunPlan } from '../../src/check/types.ts';
import { loadConfig } from '../../src/config/load.ts';

const load = (text: string) => {
  const r = loadConfig(text, { file: 'cluster.yml', baseDir: '/c', probe: { kind: () => 'file' } });
  assert.ok(r.config, JSON.stringify(r.diagnostics));
  return r.config;
};

const nodes = (k: number) => Array.from({ length: k }, (_, i) => `node-${i + 1}`);

describe('planning', () => {
  test('full mesh: every other node; --sample N: the next N by name, each node a target N times', () => {
    assert.deepEqual(targetsOf('node-2', nodes(4)), ['node-3', 'node-4', 'node-1']);
    const names = nodes(7);
    const targeted = new Map<string, number>();
    for (const a of names) {
      const t = targetsOf(a, names, 3);
      assert.equal(t.length, 3);
      assert.ok(!t.includes(a));
      for (const b of t) targeted.set(b, (targeted.get(b) ?? 0) + 1);
    }
    assert.deepEqual([...targeted.values()], Array(7).fill(3));
    assert.deepEqual(
      targetsOf('node-1', nodes(3), 10),
      ['node-2', 'node-3'],
      'a sample above n-1 is the full mesh',
    );
  });

  test('connections per node: 5 per target with host probes, 3 without, plus its own tests', () => {
    assert.equal(connectionsPerNode(50), 49 * 5 + 4);
    assert.equal(connectionsPerNode(50, 5), 5 * 5 + 4);
    assert.equal(connectionsPerNode(3, undefined, false, 0), 2 * 3);
  });

  test('plans: pair tests per target, Service and DNS only when known, host plans only with host probes', () => {
    const plans = planRuns({
      probes: [
        { node: 'a', pod: { name: 'pa', ip: '10.0.1.2' }, host: { name: 'ha', ip: '192.0.2.1' } },
        { node: 'b', pod: { name: 'pb', ip: '10.0.2.2' } },
      ],
      service: { ip: '10.96.0.50', name: 'netpack-check.netpack-check.svc.cluster.local' },
      kubeDns: '10.96.0.10',
      largeBytes: 1000,
      testTimeoutMs: 100,
      parallel: 4,
    });
    assert.deepEqual(
      plans.get('a')!.pod.tests.map((t) => t.id),
      ['T:b', 'L:b', 'S', 'D'],
    );
    assert.deepEqual(
      plans.get('b')!.pod.tests.map((t) => t.id),
      ['T:a', 'L:a', 'P:a', 'S', 'D'],
    );
    assert.deepEqual(
      plans.get('a')!.host!.tests.map((t) => t.id),
      ['H:b'],
    );
    assert.equal(plans.get('b')!.host, undefined);
  });

  test('a plan survives the trip through the query string; garbage is refused', () => {
    const plan: RunPlan = {
      testTimeoutMs: 5,
      parallel: 1,
      tests: [{ id: 'T:x', kind: 'small', host: '1.2.3.4', port: 1 }],
    };
    assert.deepEqual(parsePlan(encodePlan(plan)), plan);
    assert.throws(() => parsePlan('bm90IGpzb24'));
    assert.throws(() => parsePlan(Buffer.from('{"tests":[]}').toString('base64url')));
  });
});

/** Answers where every test passes except those in `fail` (id → code). */
function input(
  k: number,
  fail: Record<string, Record<string, ProbeResult['code']>>,
  extra: Partial<CheckInput> = {},
): CheckInput {
  const names = nodes(k);
  const plans = planRuns({
    probes: names.map((n, i) => ({ node: n, pod: { name: `p-${n}`, ip: `10.0.${i}.2` } })),
    service: { ip: '10.96.0.50', name: 'svc' },
    nodeLocalDns: '169.254.20.10',
    external: { host: '203.0.113.9', port: 443 },
    largeBytes: 1000,
    testTimeoutMs: 100,
    parallel: 4,
  });
  const answers = new Map<string, { pod: ProbeAnswer }>();
  for (const n of names) {
    const results = plans.get(n)!.pod.tests.map((t): ProbeResult => {
      const code = fail[n]?.[t.id];
      return code ? { id: t.id, ok: false, ms: 100, code } : { id: t.id, ok: true, ms: 1 };
    });
    answers.set(n, { pod: { probe: PROBE_MAGIC, node: n, mtus: { eth0: 1450 }, results } });
  }
  return { nodes: names, notReady: {}, plans, answers, context: { addresses: {} }, ...extra };
}

describe('findings', () => {
  test('one direction of one pair: subject "nodes a → b", the pair exactly', () => {
    const r = buildReport(input(3, { 'node-1': { 'T:node-2': 'timeout', 'L:node-2': 'timeout' } }));
    assert.deepEqual(r.matrix['node-1'], { 'node-2': ['T', 'L'], 'node-3': [] });
    assert.deepEqual(
      r.findings.map((f) => [f.reason, f.subject, f.pairs]),
      [['PodToPodBlocked', 'nodes node-1 → node-2', [['node-1', 'node-2']]]],
    );
    assert.equal(r.ok, false);
  });

  test('with two nodes a failure both ways is a pair, not a node (nothing to compare with)', () => {
    const r = buildReport(
      input(2, { 'node-1': { 'T:node-2': 'timeout' }, 'node-2': { 'T:node-1': 'timeout' } }),
    );
    assert.deepEqual(
      r.findings.map((f) => f.subject),
      ['nodes node-1 ↔ node-2'],
    );
  });

  test('large fails where small passes: MtuBlackHole with the pod MTU from the config', () => {
    const config = load('network:\n  provider: calico\n  calico:\n    mtu: 1500\n    mode: CrossSubnet\n');
    const ctx = causeContext(config, { 'node-1': '192.0.2.1', 'node-2': '192.0.2.2' });
    const r = buildReport(input(3, { 'node-1': { 'L:node-2': 'stalled' } }, { context: ctx }));
    assert.deepEqual(
      r.findings.map((f) => [f.reason, f.subject]),
      [['MtuBlackHole', 'nodes node-1 → node-2']],
    );
    assert.match(r.findings[0]!.cause!, /pod MTU from the config: 1480/);
    assert.match(r.findings[0]!.cause!, /pod interface MTU 1450/);
    assert.match(r.findings[0]!.fix!, /node-1 \(192\.0\.2\.1\) and node-2 \(192\.0\.2\.2\)/);
  });

  test('Calico CrossSubnet: a blocked pair names encapsulation between subnets, and the IP-in-IP protocol', () => {
    const config = load('network:\n  provider: calico\n  calico:\n    mode: CrossSubnet\n');
    const r = buildReport(
      input(3, { 'node-1': { 'T:node-3': 'timeout' } }, { context: causeContext(config, {}) }),
    );
    assert.match(r.findings[0]!.cause!, /only between nodes in different subnets/);
    assert.match(r.findings[0]!.fix!, /IP protocol 4/);
  });

  test('egress failing everywhere is one finding; DNS failing on one node names that node', () => {
    const config = load('network:\n  provider: calico\n  calico:\n    nat_outgoing: false\n');
    const fail: Record<string, Record<string, ProbeResult['code']>> = {};
    for (const n of nodes(3)) fail[n] = { E: 'timeout' };
    fail['node-3']!.N = 'timeout';
    const r = buildReport(input(3, fail, { context: causeContext(config, {}) }));
    assert.deepEqual(
      r.findings.map((f) => [f.reason, f.subject, f.nodes]),
      [
        ['NodeLocalDnsFailed', 'node node-3', ['node-3']],
        ['EgressFailed', 'every node', ['node-1', 'node-2', 'node-3']],
      ],
    );
    assert.match(r.findings[1]!.cause!, /nat_outgoing is false/);
    assert.deepEqual(r.own['node-3'], ['N', 'E']);
  });

  test('a probe whose answer did not come: ProbeUnreachable, and its tests count as not run', () => {
    const i = input(3, {});
    i.answers.set('node-2', { pod: 'HTTP 503: error trying to reach service' } as never);
    const r = buildReport(i);
    assert.equal(r.matrix['node-2'], undefined);
    assert.deepEqual(
      r.findings.map((f) => [f.reason, f.subject, f.cause]),
      [['ProbeUnreachable', 'node node-2', 'HTTP 503: error trying to reach service']],
    );
    assert.match(formatReport(r), /^node-2\s+·\s+-\s+·\s+·$/m);
  });

  test('the text: a header of nodes, a row per node, the legend, findings with cause and fix', () => {
    const text = formatReport(buildReport(input(2, { 'node-2': { 'T:node-1': 'refused' } })));
    const lines = text.split('\n');
    assert.match(lines[0]!, /^FROM \\ TO\s+node-1\s+node-2\s+OWN$/);
    assert.match(lines[1]!, /^node-1\s+-\s+ok\s+ok$/);
    assert.match(lines[2]!, /^node-2\s+T\s+-\s+ok$/);
    assert.match(text, /^error PodToPodBlocked: nodes node-2 → node-1: /m);
    assert.match(text, /^ {4}cause: refused ×1/m);
    assert.match(text, /checks FAILED\n$/);
  });
});
