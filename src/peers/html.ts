/**
 * The offline view as one self-contained HTML page (inline SVG, CSS and JS; no external
 * resources): regions as boxes, nodes as dots, links between them, and the findings.
 *
 * Links: each pair of nodes is one link, drawn by how it connects — private (same region),
 * public (across regions), missing (no address to reach one side) — and whether Weave encrypts
 * it: a connection is left unencrypted only when the address each side dials is inside
 * `weave.trusted_subnets`. Above `NODE_LINK_LIMIT` nodes the pairs would be unreadable (and
 * O(n²) in size), so links are drawn between regions instead, with counts.
 *
 * Size: the page holds the plan once, per region (`RegionPlan`, linear in the nodes); the script
 * derives a node's peers from it when the node is hovered, so no list of every node's peers is
 * ever written. Everything else is one element per node, plus one per pair of regions.
 *
 * Pure: the page is a function of its input.
 */
import { type Cidr, containsAddress, parseCidr, parseIp } from '../config/cidr.ts';
import { crossRegionAddress, type PeerNode, sameRegionAddress } from './node.ts';
import type { Finding } from './plan.ts';
import { PeerIndex } from './plan.ts';

export const NODE_LINK_LIMIT = 80;
/**
 * Above this many regions, region pairs that are fully linked are not drawn (every region links
 * to every other: with 200 regions that is 19,900 lines, the page's size growing with the square
 * of the regions); pairs with missing addresses still are.
 */
export const REGION_LINK_LIMIT = 30;

export type LinkKind = 'private' | 'public' | 'missing';

export interface PeerLink {
  a: string;
  b: string;
  kind: LinkKind;
  /** Unencrypted: both dialled addresses are in trusted subnets. */
  trusted: boolean;
}

export interface RegionLink {
  a: string;
  b: string;
  pairs: number;
  missing: number;
  trusted: number;
}

function trustedChecker(subnets: readonly string[]): (address: string | undefined) => boolean {
  const cidrs: Cidr[] = [];
  for (const s of subnets) {
    const c = parseCidr(s, { allowV6: true });
    if (c.ok) cidrs.push(c.value);
  }
  return (address) => {
    if (address === undefined || cidrs.length === 0) return false;
    const ip = parseIp(address, { allowV6: true });
    return ip.ok && cidrs.some((c) => containsAddress(c, ip.value.family, ip.value.value));
  };
}

function dialled(from: PeerNode, to: PeerNode): string | undefined {
  return from.region === to.region ? sameRegionAddress(to) : crossRegionAddress(to);
}

/** One link per pair of nodes, in name order. O(n²): only for small clusters. */
export function peerLinks(nodes: readonly PeerNode[], trustedSubnets: readonly string[]): PeerLink[] {
  const trusted = trustedChecker(trustedSubnets);
  const sorted = [...nodes].sort((x, y) => (x.name < y.name ? -1 : 1));
  const links: PeerLink[] = [];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i]!;
      const b = sorted[j]!;
      const ab = dialled(a, b);
      const ba = dialled(b, a);
      const kind: LinkKind =
        ab === undefined || ba === undefined ? 'missing' : a.region === b.region ? 'private' : 'public';
      links.push({ a: a.name, b: b.name, kind, trusted: kind !== 'missing' && trusted(ab) && trusted(ba) });
    }
  }
  return links;
}

/**
 * Links between regions (and within each, a == b), counted over node pairs without visiting
 * them: per region, how many nodes have the dialled address and how many of those are in a
 * trusted subnet; pairs are products of those counts. O(n + regions²).
 */
export function regionLinks(nodes: readonly PeerNode[], trustedSubnets: readonly string[]): RegionLink[] {
  const trusted = trustedChecker(trustedSubnets);
  interface Counts {
    n: number;
    /** Nodes with a private address, those of them trusted; the same for public addresses. */
    priv: number;
    privTrusted: number;
    pub: number;
    pubTrusted: number;
  }
  const byRegion = new Map<string, Counts>();
  for (const node of nodes) {
    const k = node.region ?? '';
    let c = byRegion.get(k);
    if (!c) {
      c = { n: 0, priv: 0, privTrusted: 0, pub: 0, pubTrusted: 0 };
      byRegion.set(k, c);
    }
    c.n++;
    const priv = sameRegionAddress(node);
    const pub = crossRegionAddress(node);
    if (priv !== undefined) {
      c.priv++;
      if (trusted(priv)) c.privTrusted++;
    }
    if (pub !== undefined) {
      c.pub++;
      if (trusted(pub)) c.pubTrusted++;
    }
  }
  const keys = [...byRegion.keys()].sort();
  const pairsOf = (k: number) => (k < 2 ? 0 : (k * (k - 1)) / 2);
  const out: RegionLink[] = [];
  for (let i = 0; i < keys.length; i++) {
    const a = byRegion.get(keys[i]!)!;
    // Within a region only the private addresses matter; across, only the public ones.
    if (a.n > 1)
      out.push({
        a: keys[i]!,
        b: keys[i]!,
        pairs: pairsOf(a.n),
        missing: pairsOf(a.n) - pairsOf(a.priv),
        trusted: pairsOf(a.privTrusted),
      });
    for (let j = i + 1; j < keys.length; j++) {
      const b = byRegion.get(keys[j]!)!;
      out.push({
        a: keys[i]!,
        b: keys[j]!,
        pairs: a.n * b.n,
        missing: a.n * b.n - a.pub * b.pub,
        trusted: a.pubTrusted * b.pubTrusted,
      });
    }
  }
  return out;
}

const esc = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

export interface PeersPageInput {
  title: string;
  nodes: readonly PeerNode[];
  knownPeers: readonly string[];
  trustedSubnets: readonly string[];
}

interface Box {
  region: string;
  x: number;
  y: number;
  w: number;
  h: number;
  cx: number;
  cy: number;
}

const BOX = 280;
const GAP = 60;

/** The page. */
export function renderPeersHtml(input: PeersPageInput): string {
  const index = new PeerIndex(input.nodes, input.knownPeers);
  const nodes = index.all();
  const plan = index.regionPlan();
  const findings = plan.findings;
  const regions = index.regionNames();
  const cols = Math.max(1, Math.ceil(Math.sqrt(regions.length)));
  const rows = Math.max(1, Math.ceil(regions.length / cols));
  const width = cols * (BOX + GAP) + GAP;
  const height = rows * (BOX + GAP) + GAP;

  const boxes = new Map<string, Box>();
  regions.forEach((r, i) => {
    const x = GAP + (i % cols) * (BOX + GAP);
    const y = GAP + Math.floor(i / cols) * (BOX + GAP);
    boxes.set(r, { region: r, x, y, w: BOX, h: BOX, cx: x + BOX / 2, cy: y + BOX / 2 });
  });
  const membersOf = new Map<string, PeerNode[]>(regions.map((r) => [r, []]));
  for (const n of nodes) membersOf.get(n.region ?? '')!.push(n);
  const pos = new Map<string, { x: number; y: number }>();
  for (const r of regions) {
    const members = membersOf.get(r)!;
    const box = boxes.get(r)!;
    const radius = members.length === 1 ? 0 : BOX / 2 - 40;
    members.forEach((n, i) => {
      const angle = (2 * Math.PI * i) / members.length - Math.PI / 2;
      pos.set(n.name, {
        x: Math.round((box.cx + radius * Math.cos(angle)) * 10) / 10,
        y: Math.round((box.cy + radius * Math.sin(angle)) * 10) / 10,
      });
    });
  }

  const nodeLevel = nodes.length <= NODE_LINK_LIMIT;
  const linkSvg: string[] = [];
  if (nodeLevel) {
    for (const l of peerLinks(nodes, input.trustedSubnets)) {
      const a = pos.get(l.a)!;
      const b = pos.get(l.b)!;
      linkSvg.push(
        `<line class="link ${l.kind}${l.trusted ? ' trusted' : ''}" data-a="${esc(l.a)}" data-b="${esc(l.b)}" x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}"><title>${esc(`${l.a} ↔ ${l.b}: ${l.kind}${l.kind === 'missing' ? '' : l.trusted ? ', unencrypted (trusted subnet)' : ', encrypted'}`)}</title></line>`,
      );
    }
  } else {
    const problemsOnly = regions.length > REGION_LINK_LIMIT;
    for (const l of regionLinks(nodes, input.trustedSubnets)) {
      if (l.a === l.b || (problemsOnly && l.missing === 0)) continue;
      const a = boxes.get(l.a)!;
      const b = boxes.get(l.b)!;
      const cls = l.missing > 0 ? 'missing' : 'public';
      const trusted = l.trusted === l.pairs ? ' trusted' : '';
      linkSvg.push(
        `<line class="link ${cls}${trusted}" data-a="${esc(l.a)}" data-b="${esc(l.b)}" x1="${a.cx}" y1="${a.cy}" x2="${b.cx}" y2="${b.cy}"><title>${esc(`${l.a || '(no region)'} ↔ ${l.b || '(no region)'}: ${l.pairs} public links, ${l.missing} missing, ${l.trusted} unencrypted`)}</title></line>`,
      );
    }
  }

  const flagged = new Set(findings.flatMap((f) => (f.node ? [f.node] : (f.nodes ?? []))));
  const regionSvg = regions.map((r) => {
    const b = boxes.get(r)!;
    const count = membersOf.get(r)!.length;
    return `<g class="region" data-region="${esc(r)}"><rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="14"/><text x="${b.x + 10}" y="${b.y - 10}">${esc(r || '(no region label)')} — ${count} node${count === 1 ? '' : 's'}</text></g>`;
  });
  const nodeSvg = nodes.map((n) => {
    const p = pos.get(n.name)!;
    const addrs = [
      n.internalIp ? `InternalIP ${n.internalIp}` : 'no InternalIP',
      n.externalIp ? `ExternalIP ${n.externalIp}` : 'no ExternalIP',
      n.labelExternalIp ? `external-ip label ${n.labelExternalIp}` : '',
    ].filter(Boolean);
    return `<g class="node${flagged.has(n.name) ? ' flagged' : ''}" data-node="${esc(n.name)}" tabindex="0"><circle cx="${p.x}" cy="${p.y}" r="${nodeLevel ? 9 : 4}"/>${nodeLevel ? `<text x="${p.x}" y="${p.y + 22}">${esc(n.name)}</text>` : ''}<title>${esc(`${n.name}\n${addrs.join('\n')}`)}</title></g>`;
  });

  // The plan once, per region; the script derives one node's peers from it on demand.
  const data = { knownPeers: plan.knownPeers, regions: plan.regions };
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const findingItems = findings.length
    ? findings
        .map((f: Finding) => `<li class="finding ${f.kind}"><b>${esc(f.kind)}</b> ${esc(f.message)}</li>`)
        .join('\n')
    : '<li class="none">none: every node can reach every other</li>';
  const nodeRows = plan.regions
    .flatMap((r) =>
      r.nodes.map(
        (n) =>
          `<tr data-node="${esc(n.name)}"><td>${esc(n.name)}</td><td>${esc(r.region)}</td><td>${esc(n.private ?? '-')}</td><td>${esc(n.public ?? '-')}</td></tr>`,
      ),
    )
    .join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 20px; color: #222; }
svg { border: 1px solid #ddd; background: #fcfcfc; max-width: 100%; height: auto; }
.region rect { fill: #eef4fb; stroke: #7a9cc6; }
.region text { font-size: 13px; font-weight: 600; fill: #345; }
.node circle { fill: #3b6ea5; stroke: #fff; stroke-width: 2; cursor: pointer; }
.node.flagged circle { fill: #c0392b; }
.node text { font-size: 10px; text-anchor: middle; fill: #333; }
.link { stroke-width: 1.2; opacity: .55; }
.link.private { stroke: #2e86de; }
.link.public { stroke: #e67e22; stroke-dasharray: 6 4; }
.link.missing { stroke: #c0392b; stroke-dasharray: 2 4; }
.link.trusted { stroke: #27ae60; }
.link.dim { opacity: .05; }
.link.hi { opacity: 1; stroke-width: 2.5; }
.legend span { display: inline-block; margin-right: 16px; }
.legend i { display: inline-block; width: 26px; height: 0; border-top: 3px solid; vertical-align: middle; margin-right: 4px; }
ul.findings li.finding { color: #a12; }
table { border-collapse: collapse; margin-top: 10px; }
td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
td.peers { font-family: ui-monospace, monospace; font-size: 12px; }
tr.hi { background: #fff3c4; }
#detail { min-height: 1.4em; font-family: ui-monospace, monospace; }
</style>
</head>
<body>
<h1>${esc(input.title)}</h1>
<p>${nodes.length} nodes in ${regions.length} region${regions.length === 1 ? '' : 's'}${input.knownPeers.length ? `, ${input.knownPeers.length} known peers (${esc(input.knownPeers.join(', '))}) added to every list` : ''}. ${nodeLevel ? 'Each line is one pair of nodes.' : `Above ${NODE_LINK_LIMIT} nodes lines join regions (counts in their titles)${regions.length > REGION_LINK_LIMIT ? `; above ${REGION_LINK_LIMIT} regions only pairs of regions with missing addresses are drawn, every other pair is linked over public addresses` : ''}.`}</p>
<p class="legend"><span><i style="border-color:#2e86de"></i>private (same region)</span><span><i style="border-color:#e67e22;border-top-style:dashed"></i>public (across regions), encrypted</span><span><i style="border-color:#27ae60"></i>unencrypted (trusted subnet${input.trustedSubnets.length ? `: ${esc(input.trustedSubnets.join(', '))}` : 's: none'})</span><span><i style="border-color:#c0392b;border-top-style:dotted"></i>missing address</span></p>
<svg id="mesh" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${regionSvg.join('\n')}
<g class="links">${linkSvg.join('\n')}</g>
${nodeSvg.join('\n')}
</svg>
<p id="detail">Hover or focus a node to see its peers.</p>
<h2>Findings (${findings.length})</h2>
<ul class="findings">${findingItems}</ul>
<h2>Nodes</h2>
<p>A node peers with the private addresses of its own region, the public addresses of every other region${input.knownPeers.length ? ' and the known peers' : ''}, never with its own.</p>
<table><thead><tr><th>node</th><th>region</th><th>private address</th><th>public address</th></tr></thead><tbody>
${nodeRows}
</tbody></table>
<script type="application/json" id="plan-data">${json}</script>
<script>
(function () {
  try {
    var data = JSON.parse(document.getElementById('plan-data').textContent);
    var byNode = {};
    var count = 0;
    data.regions.forEach(function (r) {
      r.nodes.forEach(function (n) { byNode[n.name] = { node: n, region: r }; count++; });
    });
    // A node's peers: its region's private mesh, every other region's public addresses and the
    // known peers, never its own addresses (the rule the plan states once per region).
    function peersOf(name) {
      var me = byNode[name];
      if (!me) return [];
      var own = {};
      [me.node.private, me.node.public].concat(me.node.also || []).forEach(function (a) { if (a) own[a] = true; });
      var seen = {};
      var out = [];
      function add(a) { if (!own[a] && !seen[a]) { seen[a] = true; out.push(a); } }
      me.region.private.forEach(add);
      data.regions.forEach(function (r) { if (r !== me.region) r.public.forEach(add); });
      data.knownPeers.forEach(add);
      return out;
    }
    var links = Array.prototype.slice.call(document.querySelectorAll('.link'));
    var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-node]'));
    var detail = document.getElementById('detail');
    function show(name) {
      links.forEach(function (l) {
        var on = l.getAttribute('data-a') === name || l.getAttribute('data-b') === name;
        l.classList.toggle('hi', !!name && on);
        l.classList.toggle('dim', !!name && !on);
      });
      rows.forEach(function (r) { r.classList.toggle('hi', r.getAttribute('data-node') === name); });
      detail.textContent = name ? name + ' peers with: ' + (peersOf(name).join(' ') || '(nobody)') : '';
    }
    document.querySelectorAll('.node').forEach(function (g) {
      var name = g.getAttribute('data-node');
      g.addEventListener('mouseenter', function () { show(name); });
      g.addEventListener('focus', function () { show(name); });
      g.addEventListener('mouseleave', function () { show(null); });
    });
    document.body.setAttribute('data-nodes-drawn', String(document.querySelectorAll('svg .node').length));
    document.body.setAttribute('data-ready', String(count));
  } catch (e) {
    document.body.setAttribute('data-error', String(e && e.message || e));
  }
})();
</script>
</body>
</html>
`;
}
