/**
 * Peering planner cost: the whole-cluster plan and the per-node-event update, from 500 to 5,000
 * nodes (100 nodes per region, so 5 to 50 regions), with heap use, and how each grows (ratio).
 *
 * Expected shape: every node peers with every other (Weave is a full mesh), so the full plan is
 * n lists of ~n addresses — O(n²) output, ~100x from 500 to 5,000 nodes. What the side-car pays
 * per node event is an O(1) index update (plus noting the touched address in each built region
 * list), a binary-search insert/remove in its own region's sorted list, and one O(n) copy of that
 * list without its own addresses (~10x at most); a heartbeat (nothing the plan reads changed) is O(1).
 *
 * Run alone: `node --import tsx bench/peers.ts` (merges into bench/results.json), or via `npm run bench`.
 */

import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { PeerNode } from '../src/peers/node.ts';
import { PeerIndex } from '../src/peers/plan.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SIZES = [500, 1000, 2000, 5000];
const PER_REGION = 100;
const EVENTS = 500;

function cluster(n: number): PeerNode[] {
  const nodes: PeerNode[] = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / PER_REGION);
    nodes.push({
      name: `node-${String(i).padStart(5, '0')}`,
      region: `region-${String(r).padStart(2, '0')}`,
      internalIp: `10.${r}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`,
      externalIp: `100.${64 + (r % 64)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`,
    });
  }
  return nodes;
}

function heapMb(): number {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

interface SizeFigures {
  nodes: number;
  regions: number;
  index_build_ms: number;
  index_heap_mb: number;
  full_plan_ms: number;
  full_plan_heap_mb: number;
  full_plan_addresses: number;
  one_node_list_ms: number;
  node_event_ms: number;
  heartbeat_event_us: number;
  findings_ms: number;
}

function measure(n: number): SizeFigures {
  const nodes = cluster(n);
  const base = heapMb();
  let t = process.hrtime.bigint();
  const index = new PeerIndex(nodes, ['192.0.2.1']);
  const buildMs = ms(t);
  const indexHeap = heapMb() - base;

  t = process.hrtime.bigint();
  const plan = index.planAll();
  const fullMs = ms(t);
  let addresses = 0;
  for (const list of Object.values(plan.peers)) addresses += list.length;
  const planHeap = heapMb() - base - indexHeap;
  // Keep the plan reachable until after the measurement above (else gc() frees it first).
  if (Object.keys(plan.peers).length !== n) throw new Error('plan lost nodes');

  // The side-car's cost: one node's list on a warm index.
  const self = nodes[0]!.name;
  t = process.hrtime.bigint();
  for (let i = 0; i < 20; i++) index.peersOf(self);
  const oneListMs = ms(t) / 20;

  // Per node event: a node somewhere changes its public address, then this node's list is
  // recomputed (what the side-car does for every real change). Alternate regions so caches go stale.
  t = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) {
    const victim = nodes[(i * 7919) % n]!;
    index.upsert({ ...victim, externalIp: `198.18.${Math.floor(i / 250) % 250}.${(i % 250) + 1}` });
    index.peersOf(self);
  }
  const eventMs = ms(t) / EVENTS;

  // Heartbeats: nothing the plan reads changes.
  t = process.hrtime.bigint();
  for (let i = 0; i < EVENTS * 20; i++) index.upsert({ ...index.get(nodes[(i * 31) % n]!.name)! });
  const heartbeatUs = (ms(t) * 1000) / (EVENTS * 20);

  t = process.hrtime.bigint();
  index.findings();
  const findingsMs = ms(t);

  return {
    nodes: n,
    regions: n / PER_REGION,
    index_build_ms: round(buildMs),
    index_heap_mb: round(indexHeap, 1),
    full_plan_ms: round(fullMs),
    full_plan_heap_mb: round(planHeap, 1),
    full_plan_addresses: addresses,
    one_node_list_ms: round(oneListMs),
    node_event_ms: round(eventMs),
    heartbeat_event_us: round(heartbeatUs),
    findings_ms: round(findingsMs),
  };
}

export async function benchPeers(): Promise<Record<string, unknown>> {
  const bySize: SizeFigures[] = [];
  for (const n of SIZES) {
    const f = measure(n);
    bySize.push(f);
    console.log(
      `${String(n).padStart(5)} nodes / ${String(f.regions).padStart(2)} regions: full plan ${f.full_plan_ms.toFixed(1)} ms (${f.full_plan_heap_mb} MB, ${f.full_plan_addresses} addresses), index ${f.index_build_ms.toFixed(1)} ms (${f.index_heap_mb} MB), node event ${f.node_event_ms.toFixed(3)} ms, heartbeat ${f.heartbeat_event_us.toFixed(2)} µs, one list ${f.one_node_list_ms.toFixed(3)} ms, findings ${f.findings_ms.toFixed(1)} ms`,
    );
  }
  const small = bySize[0]!;
  const large = bySize.at(-1)!;
  const ratio = (k: keyof SizeFigures) => round((large[k] as number) / Math.max(small[k] as number, 1e-9), 1);
  const growth = {
    nodes: large.nodes / small.nodes,
    full_plan_ms: ratio('full_plan_ms'),
    full_plan_heap_mb: ratio('full_plan_heap_mb'),
    index_build_ms: ratio('index_build_ms'),
    node_event_ms: ratio('node_event_ms'),
    heartbeat_event_us: ratio('heartbeat_event_us'),
  };
  console.log(
    `growth ${small.nodes} → ${large.nodes} nodes (x${growth.nodes}): full plan x${growth.full_plan_ms} (O(n²) output expected ~x100), node event x${growth.node_event_ms} (O(n) expected ~x10), heartbeat x${growth.heartbeat_event_us} (O(1))`,
  );
  return { sizes: bySize, growth_500_to_5000: growth };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { recordResults } = await import('./results-file.ts');
  recordResults('peers', await benchPeers());
  console.log('figures merged into bench/results.json (key "peers")');
}
