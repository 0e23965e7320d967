import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  DNAT_CHAIN,
  dnatCleanupCommands,
  dnatHookCommands,
  dnatRestoreInput,
  kubeletDnatRules,
} from '../../src/peers/dnat.ts';
import { peerLinks, regionLinks } from '../../src/peers/html.ts';
import { type PeerNode, peerNodeFromObject, samePeerNode } from '../../src/peers/node.ts';
import { compareAddresses, PeerIndex, planCluster, planForNode } from '../../src/peers/plan.ts';
import { peerNodeFromHost, peerNodesFromJson } from '../../src/peers/sources.ts';

const n = (
  name: string,
  region: string | undefined,
  internalIp?: string,
  externalIp?: string,
  labelExternalIp?: string,
): PeerNode => ({
  name,
  ...(region !== undefined ? { region } : {}),
  ...(internalIp ? { internalIp } : {}),
  ...(externalIp ? { externalIp } : {}),
  ...(labelExternalIp ? { labelExternalIp } : {}),
});

const TWO_REGIONS = [
  n('eu-1', 'eu', '10.0.0.1', '198.51.100.1'),
  n('eu-2', 'eu', '10.0.0.2', '198.51.100.2'),
  n('us-1', 'us', '10.1.0.1', '203.0.113.1'),
  n('us-2', 'us', '10.1.0.2', undefined, '203.0.113.2'),
];

describe('peers: reading Node objects', () => {
  test('region from topology label, falling back to the beta label; first InternalIP/ExternalIP; external-ip label', () => {
    const node = peerNodeFromObject({
      metadata: {
        name: 'a',
        labels: {
          'failure-domain.beta.kubernetes.io/region': 'old',
          'node-address.kontena.io/external-ip': '192.0.2.9',
        },
      },
      status: {
        addresses: [
          { type: 'Hostname', address: 'a' },
          { type: 'InternalIP', address: '10.0.0.1' },
          { type: 'InternalIP', address: '10.0.0.99' },
          { type: 'ExternalIP', address: '192.0.2.1' },
        ],
      },
    });
    assert.deepEqual(node, {
      name: 'a',
      region: 'old',
      internalIp: '10.0.0.1',
      externalIp: '192.0.2.1',
      labelExternalIp: '192.0.2.9',
    });
    const both = peerNodeFromObject({
      metadata: {
        name: 'b',
        labels: { 'topology.kubernetes.io/region': 'new', 'failure-domain.beta.kubernetes.io/region': 'old' },
      },
    });
    assert.equal(both?.region, 'new');
    assert.equal(peerNodeFromObject({ metadata: {} }), undefined);
  });

  test('heartbeats and conditions do not change the PeerNode', () => {
    const base = {
      metadata: { name: 'a', labels: { 'topology.kubernetes.io/region': 'eu' } },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
    };
    const beat = {
      ...base,
      status: { ...base.status, conditions: [{ type: 'Ready', lastHeartbeatTime: 'now' }] },
    };
    assert.ok(samePeerNode(peerNodeFromObject(base), peerNodeFromObject(beat)));
  });

  test('hosts of cluster.yml: name from the hostname label, else the address; private_address is InternalIP', () => {
    assert.deepEqual(
      peerNodeFromHost({
        address: '198.51.100.1',
        private_address: '10.0.0.1',
        role: 'worker',
        ssh_port: 22,
        labels: { 'topology.kubernetes.io/region': 'eu' },
      }),
      { name: '198.51.100.1', region: 'eu', internalIp: '10.0.0.1', labelExternalIp: '198.51.100.1' },
    );
    assert.equal(
      peerNodeFromHost({
        address: '198.51.100.1',
        role: 'worker',
        ssh_port: 22,
        labels: { 'kubernetes.io/hostname': 'w1' },
      }).name,
      'w1',
    );
  });

  test('kubectl get nodes -o json: List, array, or one Node', () => {
    const node = {
      kind: 'Node',
      metadata: { name: 'a' },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
    };
    assert.equal(peerNodesFromJson(JSON.stringify({ kind: 'List', items: [node] })).length, 1);
    assert.equal(peerNodesFromJson(JSON.stringify([node])).length, 1);
    assert.equal(peerNodesFromJson(JSON.stringify(node)).length, 1);
    assert.throws(() => peerNodesFromJson('{"foo": 1}'));
    assert.throws(() => peerNodesFromJson('{"items": [null]}'), /item 0 is not a Node object \(got null\)/);
    assert.throws(() => peerNodesFromJson('[1]'), /item 0 is not a Node object \(got number\)/);
  });
});

describe('peers: planner', () => {
  test('same region: private; other region: public, else the external-ip label', () => {
    assert.deepEqual(planForNode(TWO_REGIONS, [], 'eu-1').peers, ['10.0.0.2', '203.0.113.1', '203.0.113.2']);
    assert.deepEqual(planForNode(TWO_REGIONS, [], 'us-1').peers, [
      '10.1.0.2',
      '198.51.100.1',
      '198.51.100.2',
    ]);
  });

  test('same region without a private address: public; with nothing: left out, with a finding', () => {
    const nodes = [n('a', 'eu', '10.0.0.1'), n('b', 'eu', undefined, '198.51.100.2'), n('c', 'eu')];
    const plan = planForNode(nodes, [], 'a');
    assert.deepEqual(plan.peers, ['198.51.100.2']);
    assert.deepEqual(
      plan.findings.map((f) => [f.kind, f.node]),
      [['no-address', 'c']],
    );
  });

  test('a cross-region peer with no public address is left out and reported', () => {
    const nodes = [n('a', 'eu', '10.0.0.1', '198.51.100.1'), n('b', 'us', '10.1.0.1')];
    const plan = planForNode(nodes, [], 'a');
    assert.deepEqual(plan.peers, []);
    assert.deepEqual(
      plan.findings.map((f) => [f.kind, f.node]),
      [['no-public-address', 'b']],
    );
    // b still reaches a over a's public address.
    assert.deepEqual(planForNode(nodes, [], 'b').peers, ['198.51.100.1']);
  });

  test('single region: private addresses, no public-address or region findings', () => {
    const nodes = [
      n('a', undefined, '10.0.0.1'),
      n('b', undefined, '10.0.0.2'),
      n('c', undefined, '10.0.0.3'),
    ];
    const plan = planCluster(nodes, []);
    assert.deepEqual(plan.peers, {
      a: ['10.0.0.2', '10.0.0.3'],
      b: ['10.0.0.1', '10.0.0.3'],
      c: ['10.0.0.1', '10.0.0.2'],
    });
    assert.deepEqual(plan.findings, []);
  });

  test('nodes without a region label in a multi-region cluster: their own region, reported', () => {
    const nodes = [...TWO_REGIONS, n('x', undefined, '10.9.0.1', '192.0.2.1')];
    const plan = planCluster(nodes, []);
    assert.deepEqual(
      plan.findings.filter((f) => f.kind === 'no-region').map((f) => f.node),
      ['x'],
    );
    assert.deepEqual(plan.peers.x, ['198.51.100.1', '198.51.100.2', '203.0.113.1', '203.0.113.2']);
    assert.ok(plan.peers['eu-1']!.includes('192.0.2.1'));
  });

  test('duplicate addresses: one finding, de-duplicated lists, never its own address', () => {
    const nodes = [n('a', 'eu', '10.0.0.1'), n('b', 'eu', '10.0.0.2'), n('c', 'eu', '10.0.0.2')];
    const plan = planCluster(nodes, []);
    assert.deepEqual(plan.peers, { a: ['10.0.0.2'], b: ['10.0.0.1'], c: ['10.0.0.1'] });
    assert.deepEqual(
      plan.findings.map((f) => [f.kind, f.address, f.nodes]),
      [['duplicate-address', '10.0.0.2', ['b', 'c']]],
    );
  });

  test('known_peers join every list, de-duplicated, and the node itself is unknown → no list', () => {
    const plan = planForNode(TWO_REGIONS, ['192.0.2.50', '192.0.2.50', ' '], 'eu-2');
    assert.deepEqual(plan.peers, ['10.0.0.1', '192.0.2.50', '203.0.113.1', '203.0.113.2']);
    const unknown = planForNode(TWO_REGIONS, [], 'nope');
    assert.equal(unknown.peers, undefined);
    assert.equal(unknown.findings[0]?.kind, 'unknown-node');
  });

  test('regions appearing and disappearing', () => {
    const idx = new PeerIndex([
      n('a', 'eu', '10.0.0.1', '198.51.100.1'),
      n('b', 'eu', '10.0.0.2', '198.51.100.2'),
    ]);
    assert.deepEqual(idx.peersOf('a'), ['10.0.0.2']);
    assert.equal(idx.multiRegion(), false);
    // b moves to a new region: now reached over its public address.
    assert.equal(idx.upsert(n('b', 'us', '10.0.0.2', '198.51.100.2')), true);
    assert.deepEqual(idx.regionNames(), ['eu', 'us']);
    assert.deepEqual(idx.peersOf('a'), ['198.51.100.2']);
    // A third node joins us, then b leaves: us keeps existing, then disappears with its last node.
    idx.upsert(n('c', 'us', '10.1.0.3', '203.0.113.3'));
    assert.deepEqual(idx.peersOf('c'), ['10.0.0.2', '198.51.100.1']);
    idx.remove('b');
    assert.deepEqual(idx.peersOf('a'), ['203.0.113.3']);
    idx.remove('c');
    assert.deepEqual(idx.regionNames(), ['eu']);
    assert.deepEqual(idx.peersOf('a'), []);
    assert.equal(idx.remove('c'), false);
  });

  test('an unchanged node is not a change', () => {
    const idx = new PeerIndex(TWO_REGIONS);
    assert.equal(idx.upsert({ ...TWO_REGIONS[0]! }), false);
  });

  test('IPv4 sorted numerically, then other addresses', () => {
    assert.deepEqual(['10.0.0.10', 'fd00::1', '10.0.0.9', '9.0.0.1'].sort(compareAddresses), [
      '9.0.0.1',
      '10.0.0.9',
      '10.0.0.10',
      'fd00::1',
    ]);
  });

  const arbNode = fc.record({
    name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
    region: fc.option(fc.constantFrom('eu', 'us', 'ap'), { nil: undefined }),
    internalIp: fc.option(fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'), {
      nil: undefined,
    }),
    externalIp: fc.option(fc.constantFrom('192.0.2.1', '192.0.2.2', '192.0.2.3'), { nil: undefined }),
    labelExternalIp: fc.option(fc.constantFrom('192.0.2.3', '198.51.100.1'), { nil: undefined }),
  });
  const clean = (x: PeerNode): PeerNode =>
    Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as PeerNode;

  test("the region plan states every node's list: own region's private, other regions' public, known peers, minus own", () => {
    fc.assert(
      fc.property(fc.array(arbNode, { maxLength: 12 }), (raw) => {
        const nodes = [...new Map<string, PeerNode>(raw.map((x) => [x.name, clean(x)])).values()];
        const known = ['203.0.113.9', '192.0.2.1'];
        const index = new PeerIndex(nodes, known);
        const plan = index.regionPlan();
        const derived: Record<string, string[]> = {};
        for (const r of plan.regions)
          for (const n of r.nodes) {
            const own = new Set([n.private, n.public, ...(n.also ?? [])]);
            const all = new Set([
              ...r.private,
              ...plan.regions.filter((o) => o !== r).flatMap((o) => o.public),
              ...plan.knownPeers,
            ]);
            derived[n.name] = [...all].filter((a) => !own.has(a)).sort(compareAddresses);
          }
        assert.deepEqual(derived, index.planAll().peers);
        assert.deepEqual(plan.findings, index.findings());
      }),
    );
  });

  test('region links, counted per region, equal the node pairs counted one by one', () => {
    fc.assert(
      fc.property(fc.array(arbNode, { maxLength: 12 }), (raw) => {
        const nodes = [...new Map<string, PeerNode>(raw.map((x) => [x.name, clean(x)])).values()];
        const trusted = ['10.0.0.0/30', '192.0.2.0/31'];
        const regionOf = new Map(nodes.map((n) => [n.name, n.region ?? '']));
        const counted = new Map<string, { pairs: number; missing: number; trusted: number }>();
        for (const l of peerLinks(nodes, trusted)) {
          const [a, b] = [regionOf.get(l.a)!, regionOf.get(l.b)!].sort();
          const c = counted.get(`${a}|${b}`) ?? { pairs: 0, missing: 0, trusted: 0 };
          c.pairs++;
          if (l.kind === 'missing') c.missing++;
          if (l.trusted) c.trusted++;
          counted.set(`${a}|${b}`, c);
        }
        const fast = new Map(
          regionLinks(nodes, trusted).map((l) => [
            `${l.a}|${l.b}`,
            { pairs: l.pairs, missing: l.missing, trusted: l.trusted },
          ]),
        );
        assert.deepEqual(Object.fromEntries(fast), Object.fromEntries(counted));
      }),
    );
  });

  test('deterministic and order-free: any input order gives the same plan; lists sorted, unique, self-free', () => {
    fc.assert(
      fc.property(fc.array(arbNode, { maxLength: 12 }), (raw) => {
        const byName = new Map<string, PeerNode>(raw.map((x) => [x.name, clean(x)]));
        const nodes = [...byName.values()];
        const plan = planCluster(nodes, ['203.0.113.9']);
        const reversed = planCluster([...nodes].reverse(), ['203.0.113.9']);
        assert.deepEqual(plan, reversed);
        for (const [name, peers] of Object.entries(plan.peers)) {
          assert.deepEqual(peers, [...new Set(peers)].sort(compareAddresses));
          const me = byName.get(name)!;
          for (const own of [me.internalIp, me.externalIp, me.labelExternalIp])
            if (own) assert.ok(!peers.includes(own));
        }
      }),
    );
  });

  test('incremental updates equal a plan from scratch', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            arbNode.map((x) => ({ op: 'upsert' as const, node: clean(x) })),
            fc.constantFrom('a', 'b', 'c').map((name) => ({ op: 'remove' as const, name })),
          ),
          { maxLength: 30 },
        ),
        (ops) => {
          const idx = new PeerIndex([], ['203.0.113.9']);
          const truth = new Map<string, PeerNode>();
          for (const o of ops) {
            if (o.op === 'upsert') {
              idx.upsert(o.node);
              truth.set(o.node.name, o.node);
            } else {
              idx.remove(o.name);
              truth.delete(o.name);
            }
            // Read between events so cached region lists must be invalidated correctly.
            for (const name of truth.keys()) idx.peersOf(name);
          }
          assert.deepEqual(idx.planAll(), planCluster(truth.values(), ['203.0.113.9']));
        },
      ),
    );
  });
  test('random event sequences on hundreds of nodes: each list read equals the plan from scratch', () => {
    // Large enough that region lists are updated in place (binary-search insert/remove) and that
    // lists left unread collect enough changes to be dropped and rebuilt; small address pools so
    // addresses collide across nodes and regions (duplicates, a private address reused as public).
    const octet = (max: number) => fc.integer({ min: 1, max });
    const arbBig = fc.record({
      name: fc.integer({ min: 0, max: 299 }).map((i) => `n${i}`),
      region: fc.option(fc.constantFrom('eu', 'us', 'ap', 'sa', 'af', 'me', 'oc'), { nil: undefined }),
      internalIp: fc.option(
        fc.tuple(octet(3), octet(120)).map(([a, b]) => `10.${a}.0.${b}`),
        { nil: undefined, freq: 10 },
      ),
      externalIp: fc.option(
        fc.oneof(
          fc.tuple(octet(2), octet(150)).map(([a, b]) => `198.51.${a}.${b}`),
          fc.constantFrom('10.1.0.1', 'fd00::1', '2001:db8::7'),
        ),
        { nil: undefined, freq: 4 },
      ),
      labelExternalIp: fc.option(
        fc.tuple(octet(2), octet(150)).map(([a, b]) => `198.51.${a}.${b}`),
        { nil: undefined, freq: 2 },
      ),
    });
    const known = ['203.0.113.9', '198.51.1.1'];
    fc.assert(
      fc.property(
        fc.array(arbBig, { minLength: 150, maxLength: 300 }),
        fc.array(
          fc.oneof(
            { weight: 6, arbitrary: arbBig.map((x) => ({ op: 'upsert' as const, node: clean(x) })) },
            {
              weight: 2,
              arbitrary: fc
                .integer({ min: 0, max: 299 })
                .map((i) => ({ op: 'remove' as const, name: `n${i}` })),
            },
            {
              weight: 3,
              arbitrary: fc
                .integer({ min: 0, max: 299 })
                .map((i) => ({ op: 'read' as const, name: `n${i}` })),
            },
          ),
          { minLength: 100, maxLength: 400 },
        ),
        (initial, ops) => {
          const truth = new Map<string, PeerNode>(initial.map((x) => [x.name, clean(x)]));
          const idx = new PeerIndex(truth.values(), known);
          idx.planAll(); // every region's list built, so later events update them in place
          for (const o of ops) {
            if (o.op === 'upsert') {
              idx.upsert(o.node);
              truth.set(o.node.name, o.node);
            } else if (o.op === 'remove') {
              idx.remove(o.name);
              truth.delete(o.name);
            } else {
              assert.deepEqual(idx.peersOf(o.name), planForNode(truth.values(), known, o.name).peers);
            }
          }
          assert.deepEqual(idx.planAll(), planCluster(truth.values(), known));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('peers: kubelet DNAT rules', () => {
  const nodes = TWO_REGIONS.map((x, i) => ({ ...x, bridgeIp: `10.32.${i}.1` }));

  test('one rule per other-region node with InternalIP and bridge address', () => {
    const idx = new PeerIndex(nodes);
    assert.deepEqual(kubeletDnatRules(idx, 'eu-1'), [
      { node: 'us-1', address: '10.1.0.1', to: '10.32.2.1' },
      { node: 'us-2', address: '10.1.0.2', to: '10.32.3.1' },
    ]);
    idx.upsert({ ...nodes[3]!, bridgeIp: undefined } as PeerNode);
    assert.deepEqual(
      kubeletDnatRules(idx, 'eu-1').map((r) => r.node),
      ['us-1'],
    );
    assert.deepEqual(kubeletDnatRules(idx, 'nope'), []);
    assert.deepEqual(kubeletDnatRules(new PeerIndex(nodes.slice(0, 2)), 'eu-1'), []);
  });

  test('iptables-restore input declares (and so flushes) our chain, then one DNAT per rule', () => {
    const text = dnatRestoreInput([{ node: 'us-1', address: '10.1.0.1', to: '10.32.2.1' }]);
    assert.equal(
      text,
      `*nat\n:${DNAT_CHAIN} - [0:0]\n-A ${DNAT_CHAIN} -d 10.1.0.1/32 -p tcp -m tcp --dport 10250 -m comment --comment "netpack kubelet us-1" -j DNAT --to-destination 10.32.2.1:10250\nCOMMIT\n`,
    );
    assert.equal(dnatRestoreInput([]), `*nat\n:${DNAT_CHAIN} - [0:0]\nCOMMIT\n`);
    assert.deepEqual(
      dnatHookCommands().map((h) => h.insert.slice(3)),
      [
        ['-I', 'OUTPUT', '1', '-j', DNAT_CHAIN],
        ['-I', 'PREROUTING', '1', '-j', DNAT_CHAIN],
      ],
    );
    const cleanup = dnatCleanupCommands().map((c) => c.slice(3, 5).join(' '));
    assert.deepEqual(cleanup, ['-D OUTPUT', '-D PREROUTING', `-F ${DNAT_CHAIN}`, `-X ${DNAT_CHAIN}`]);
  });
});
