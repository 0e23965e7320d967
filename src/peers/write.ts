/**
 * Writers of the region plan (`RegionPlan`) as JSON and as tables, in chunks: the text of a
 * large cluster never exists as one string (V8 caps strings at ~512 MiB, and one giant string
 * costs its size again in every copy). Hand-written because the shapes are small and fixed; a
 * streaming JSON library would add a dependency for four nested loops.
 *
 * Pure apart from `out`, which receives the chunks in order.
 */
import type { Finding, PlannedNode, RegionPlan } from './plan.ts';

/** Chunks handed to `out` are about this long. */
const CHUNK = 1 << 16;

/** Collects small pieces and hands them on in chunks of about `CHUNK` characters. */
export class ChunkedWriter {
  private parts: string[] = [];
  private size = 0;
  /** Characters written so far. */
  written = 0;

  constructor(private readonly out: (chunk: string) => void) {}

  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    this.written += text.length;
    if (this.size >= CHUNK) this.flush();
  }

  flush(): void {
    if (this.size === 0) return;
    this.out(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

const str = JSON.stringify;

/**
 * The plan as `{"knownPeers": [...], "regions": [{region, private, public, nodes}], "findings": [...]}`,
 * one node per line. Valid JSON, the same value `JSON.stringify(plan)` gives.
 */
export function writePlanJson(plan: RegionPlan, out: (chunk: string) => void): number {
  const w = new ChunkedWriter(out);
  w.write(`{\n  "knownPeers": ${str(plan.knownPeers)},\n  "regions": [`);
  plan.regions.forEach((r, i) => {
    w.write(`${i === 0 ? '' : ','}\n    {\n      "region": ${str(r.region)},\n`);
    w.write(`      "private": ${str(r.private)},\n      "public": ${str(r.public)},\n      "nodes": [`);
    r.nodes.forEach((n, j) => {
      w.write(`${j === 0 ? '' : ','}\n        ${str(n)}`);
    });
    w.write(`${r.nodes.length ? '\n      ' : ''}]\n    }`);
  });
  w.write(`${plan.regions.length ? '\n  ' : ''}],\n  "findings": [`);
  plan.findings.forEach((f: Finding, i) => {
    w.write(`${i === 0 ? '' : ','}\n    ${str(f)}`);
  });
  w.write(`${plan.findings.length ? '\n  ' : ''}]\n}\n`);
  w.flush();
  return w.written;
}

/** Rows as aligned columns (every column but the last padded), written row by row. */
export function writeTable(rows: Iterable<string[]>, widths: readonly number[], w: ChunkedWriter): void {
  for (const r of rows)
    w.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}\n`);
}

/** The widest cell of each column. */
export function columnWidths(rows: Iterable<string[]>): number[] {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  return widths;
}

const nodeRow = (region: string, n: PlannedNode): string[] => [
  n.name,
  region || '-',
  n.private ?? '-',
  n.public ?? '-',
];

/**
 * The plan as two tables: regions (nodes, size of the private mesh, public addresses) and nodes
 * (the address each side dials), then the rule that turns them into each node's peers.
 */
export function writePlanTable(plan: RegionPlan, out: (chunk: string) => void): number {
  const w = new ChunkedWriter(out);
  const regionRows = [
    ['REGION', 'NODES', 'PRIVATE', 'PUBLIC'],
    ...plan.regions.map((r) => [
      r.region || '-',
      String(r.nodes.length),
      String(r.private.length),
      String(r.public.length),
    ]),
  ];
  writeTable(regionRows, columnWidths(regionRows), w);
  w.write('\n');
  const header = ['NODE', 'REGION', 'PRIVATE', 'PUBLIC'];
  function* nodeRows(): Generator<string[]> {
    yield header;
    for (const r of plan.regions) for (const n of r.nodes) yield nodeRow(r.region, n);
  }
  writeTable(nodeRows(), columnWidths(nodeRows()), w);
  w.write(
    `\nEach node peers with the PRIVATE addresses of its own region, the PUBLIC addresses of every other region${
      plan.knownPeers.length ? ` and the known peers (${plan.knownPeers.join(' ')})` : ''
    }, never with its own; --node NAME lists one node's peers.\n`,
  );
  w.flush();
  return w.written;
}
