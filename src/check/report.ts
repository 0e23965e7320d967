/**
 * Pure: the probes' answers in, a node × node matrix and findings out. A finding ties failures
 * to a likely cause: the provider's ports between two nodes (the table `netpack firewall` uses),
 * encapsulation across subnets, a path-MTU black hole, DNS, the Service path, egress.
 */
import { findingLines } from '../cluster/status.ts';
import { workloadMtu } from '../config/derived.ts';
import type { ClusterConfig } from '../config/types.ts';
import { IP_PROTOCOL, KUBELET_PORT, type NodeNeed, providerNeeds } from '../firewall/needs.ts';
import { parseTestId } from './plan.ts';
import { type FailureCode, type ProbeAnswer, type RunPlan, TEST_NAMES, type TestLetter } from './types.ts';

/** Why a check failed. A literal union: scripts may switch on it (`-o json`). */
export type CheckReason =
  | 'ProbeNotReady'
  | 'ProbeUnreachable'
  | 'PodToPodBlocked'
  | 'MtuBlackHole'
  | 'ServiceUnreachable'
  | 'NodeLocalDnsFailed'
  | 'ClusterDnsFailed'
  | 'NodeToPodFailed'
  | 'PodToNodeFailed'
  | 'EgressFailed';

/** Same shape as `status` findings, plus the nodes and node pairs it is about. */
export interface CheckFinding {
  severity: 'error' | 'warning';
  reason: CheckReason;
  subject: string;
  message: string;
  cause?: string;
  fix?: string;
  nodes: string[];
  /** Ordered pairs [from, to] that failed, sorted. */
  pairs?: [string, string][];
}

export interface Failure {
  node: string;
  target?: string;
  letter: TestLetter;
  code: FailureCode | 'no-answer';
  detail?: string;
}

export interface CheckReport {
  ok: boolean;
  nodes: string[];
  /** Test letters that ran, in matrix order. */
  tests: TestLetter[];
  /** from → to → failed letters ([] = all passed); only pairs that were tested. */
  matrix: Record<string, Record<string, TestLetter[]>>;
  /** node → failed letters of its own tests (Service, DNS, egress). */
  own: Record<string, TestLetter[]>;
  /** Interface MTUs the probes reported, per node: the pod's interfaces, and the node's as `node:NAME`. */
  mtus: Record<string, Record<string, number>>;
  failures: Failure[];
  findings: CheckFinding[];
}

/** What netpack knows of the network, for causes and fixes (from the cluster file or the applied state). */
export interface CauseContext {
  provider?: string;
  /** Ports and protocols nodes need between them, as text (`tcp 6783, udp 6783-6784, ...`). */
  needs?: string;
  /** The pod MTU the config sets, with where it comes from. */
  podMtu?: string;
  /** Calico CrossSubnet: only traffic between subnets is encapsulated. */
  crossSubnet?: string;
  natOutgoing?: boolean;
  /** node name → the address its peers see. */
  addresses: Record<string, string>;
}

export function formatNeeds(needs: readonly NodeNeed[]): string {
  const protocol = (value: number) =>
    Object.entries(IP_PROTOCOL)
      .find(([, v]) => v === value)?.[0]
      .toUpperCase() ?? String(value);
  return needs
    .map((n) =>
      n.kind === 'port' ? `${n.protocol} ${n.port}` : `IP protocol ${n.value} (${protocol(n.value)})`,
    )
    .join(', ');
}

/** The cause context of a config (from `-f` or the applied state). */
export function causeContext(
  config: ClusterConfig | undefined,
  addresses: Record<string, string>,
): CauseContext {
  if (!config) return { addresses };
  const net = config.network;
  // Of the table `netpack firewall` uses, what carries pod traffic: not the kubelet's port nor
  // the metrics ports, which only the control plane and scrapers use.
  const dataPath = providerNeeds(config).filter(
    (n) => !(n.kind === 'port' && (n.port === String(KUBELET_PORT) || /metrics/i.test(n.why))),
  );
  const ctx: CauseContext = { addresses, provider: net.provider, needs: formatNeeds(dataPath) };
  if (net.provider === 'calico') {
    const mtu = workloadMtu(net.calico);
    if (mtu !== undefined) ctx.podMtu = `${mtu} (network.calico.mtu ${net.calico.mtu} less encapsulation)`;
    if (net.calico.mode === 'CrossSubnet')
      ctx.crossSubnet = `Calico encapsulates (${net.calico.encapsulation === 'ipip' ? 'IP-in-IP, IP protocol 4' : 'VXLAN, udp 4789'}) only between nodes in different subnets`;
    ctx.natOutgoing = net.calico.nat_outgoing;
  }
  return ctx;
}

export interface CheckInput {
  /** Every node checked, whether its probe came up or not. */
  nodes: string[];
  /** Nodes whose probe never became ready, and why. */
  notReady: Record<string, string>;
  /** Nodes whose host-network probe never became ready (their node ↔ pod tests are skipped). */
  hostNotReady?: Record<string, string>;
  plans: Map<string, { pod: RunPlan; host?: RunPlan }>;
  /** Answers per node and probe; a string is why the call failed. */
  answers: Map<string, { pod?: ProbeAnswer | string; host?: ProbeAnswer | string }>;
  context: CauseContext;
}

const ORDER: TestLetter[] = ['T', 'L', 'S', 'N', 'D', 'H', 'P', 'E'];
const PAIR_LETTERS = new Set<TestLetter>(['T', 'L', 'H', 'P']);

export function buildReport(input: CheckInput): CheckReport {
  const nodes = [...input.nodes].sort();
  const matrix: Record<string, Record<string, TestLetter[]>> = {};
  const own: Record<string, TestLetter[]> = {};
  const mtus: Record<string, Record<string, number>> = {};
  const failures: Failure[] = [];
  const ran = new Set<TestLetter>();
  const findings: CheckFinding[] = [];
  for (const node of nodes) {
    const plan = input.plans.get(node);
    const answer = input.answers.get(node);
    if (input.notReady[node] !== undefined) {
      findings.push({
        severity: 'error',
        reason: 'ProbeNotReady',
        subject: `node ${node}`,
        message: 'the probe pod did not become ready, so nothing was tested from or to this node',
        cause: input.notReady[node],
        fix: `kubectl -n netpack-check describe pod -l app.kubernetes.io/name=netpack-check --field-selector spec.nodeName=${node} (while a check runs)`,
        nodes: [node],
      });
      continue;
    }
    const hostWhy = input.hostNotReady?.[node];
    if (hostWhy !== undefined)
      findings.push({
        severity: 'warning',
        reason: 'ProbeNotReady',
        subject: `node ${node} (host network)`,
        message:
          'the host-network probe did not become ready: node ↔ pod tests from and to this node were skipped',
        cause: hostWhy,
        fix: 'a Pod Security policy that forbids hostNetwork refuses it; run with --no-host-probes, or allow it for namespace netpack-check',
        nodes: [node],
      });
    if (!plan) continue;
    for (const side of ['pod', 'host'] as const) {
      const sidePlan = plan[side];
      if (!sidePlan) continue;
      const got = answer?.[side];
      const results = typeof got === 'object' ? new Map(got.results.map((r) => [r.id, r])) : undefined;
      // The pod's interfaces as they are; the host probe's (the node's own) as `node:NAME`.
      if (typeof got === 'object')
        for (const [iface, mtu] of Object.entries(got.mtus)) {
          mtus[node] ??= {};
          mtus[node][side === 'pod' ? iface : `node:${iface}`] = mtu;
        }
      if (typeof got !== 'object') {
        findings.push({
          severity: 'error',
          reason: 'ProbeUnreachable',
          subject: `node ${node}`,
          message: `the ${side === 'pod' ? 'pod' : 'host-network'} probe could not be asked for its results through the API server's pod proxy`,
          cause: got ?? 'no answer',
          fix: 'the API server reaches pods over the pod network too: see the other findings for this node, and check that the control plane can reach it',
          nodes: [node],
        });
      }
      for (const test of sidePlan.tests) {
        const { letter, target } = parseTestId(test.id);
        ran.add(letter);
        // No answer at all is the ProbeUnreachable finding; its tests count as not run.
        if (!results) continue;
        const r = results.get(test.id);
        const failed = !r?.ok;
        if (target !== undefined) {
          matrix[node] ??= {};
          matrix[node][target] ??= [];
          if (failed) matrix[node][target].push(letter);
        } else {
          own[node] ??= [];
          if (failed) own[node].push(letter);
        }
        if (failed)
          failures.push({
            node,
            ...(target !== undefined ? { target } : {}),
            letter,
            code: r?.code ?? 'no-answer',
            ...(r?.detail ? { detail: r.detail } : {}),
          });
      }
    }
  }
  for (const row of Object.values(matrix)) for (const cell of Object.values(row)) cell.sort(byOrder);
  for (const cell of Object.values(own)) cell.sort(byOrder);
  findings.push(...pairFindings(nodes, matrix, failures, mtus, input.context));
  findings.push(...ownFindings(nodes, own, failures, input.context));
  return {
    ok: !findings.some((f) => f.severity === 'error'),
    nodes,
    tests: ORDER.filter((l) => ran.has(l)),
    matrix,
    own,
    mtus,
    failures,
    findings,
  };
}

function byOrder(a: TestLetter, b: TestLetter): number {
  return ORDER.indexOf(a) - ORDER.indexOf(b);
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a} ↔ ${b}` : `${b} ↔ ${a}`;
}

/**
 * Failed ordered pairs grouped into subjects: a node that failed with every node it was tested
 * with (both ways, with at least two others) is one subject; the other pairs one subject per
 * unordered pair.
 */
function groupPairs(
  pairs: [string, string][],
  matrix: Record<string, Record<string, TestLetter[]>>,
): { subject: string; nodes: string[]; pairs: [string, string][] }[] {
  const failed = new Set(pairs.map(([a, b]) => `${a}\0${b}`));
  const tested = (a: string, b: string) => matrix[a]?.[b] !== undefined;
  const involved = [...new Set(pairs.flat())].sort();
  const isolated = involved.filter((n) => {
    const peers = new Set<string>();
    for (const [a, row] of Object.entries(matrix))
      for (const b of Object.keys(row)) {
        if (a === n) peers.add(b);
        if (b === n) peers.add(a);
      }
    if (peers.size < 2) return false;
    return [...peers].every(
      (p) => (!tested(n, p) || failed.has(`${n}\0${p}`)) && (!tested(p, n) || failed.has(`${p}\0${n}`)),
    );
  });
  const groups: { subject: string; nodes: string[]; pairs: [string, string][] }[] = [];
  const taken = new Set<string>();
  for (const n of isolated) {
    const mine = pairs.filter(([a, b]) => (a === n || b === n) && !taken.has(`${a}\0${b}`));
    for (const [a, b] of mine) taken.add(`${a}\0${b}`);
    if (mine.length > 0) groups.push({ subject: `node ${n}`, nodes: [n], pairs: mine.sort(byPair) });
  }
  const rest = new Map<string, [string, string][]>();
  for (const p of pairs) {
    if (taken.has(`${p[0]}\0${p[1]}`)) continue;
    const k = pairKey(p[0], p[1]);
    rest.set(k, [...(rest.get(k) ?? []), p]);
  }
  for (const [k, ps] of [...rest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const nodes = [...new Set(ps.flat())].sort();
    groups.push({
      subject: ps.length === 1 ? `nodes ${ps[0]![0]} → ${ps[0]![1]}` : `nodes ${k}`,
      nodes,
      pairs: ps.sort(byPair),
    });
  }
  return groups;
}

function byPair(a: [string, string], b: [string, string]): number {
  const x = `${a[0]}\0${a[1]}`;
  const y = `${b[0]}\0${b[1]}`;
  return x < y ? -1 : x > y ? 1 : 0;
}

function codesOf(failures: Failure[], letter: TestLetter, pairs: [string, string][]): string {
  const want = new Set(pairs.map(([a, b]) => `${a}\0${b}`));
  const seen = new Map<string, number>();
  let example: string | undefined;
  for (const f of failures) {
    if (f.letter !== letter || !want.has(`${f.node}\0${f.target}`)) continue;
    seen.set(f.code, (seen.get(f.code) ?? 0) + 1);
    example ??= f.detail ? `${f.node} → ${f.target}: ${f.detail}` : undefined;
  }
  const codes = [...seen].map(([c, n]) => `${c} ×${n}`).join(', ');
  return example ? `${codes}; e.g. ${example}` : codes;
}

function between(nodes: string[], ctx: CauseContext): string {
  return nodes.map((n) => (ctx.addresses[n] ? `${n} (${ctx.addresses[n]})` : n)).join(' and ');
}

function pairFindings(
  nodes: string[],
  matrix: Record<string, Record<string, TestLetter[]>>,
  failures: Failure[],
  mtus: Record<string, Record<string, number>>,
  ctx: CauseContext,
): CheckFinding[] {
  const out: CheckFinding[] = [];
  const pairsWith = (pred: (cell: TestLetter[]) => boolean): [string, string][] => {
    const ps: [string, string][] = [];
    for (const a of nodes)
      for (const [b, cell] of Object.entries(matrix[a] ?? {})) if (pred(cell)) ps.push([a, b]);
    return ps;
  };
  const portsFix = (group: string[]) =>
    ctx.needs
      ? `allow between ${group.length === 1 ? `${between(group, ctx)} and the other nodes` : between(group, ctx)}: ${ctx.needs} (\`netpack firewall\` writes these rules)`
      : `allow the pod network provider's ports between ${between(group, ctx)} (\`netpack firewall -f cluster.yml\` lists them)`;

  for (const g of groupPairs(
    pairsWith((c) => c.includes('T')),
    matrix,
  )) {
    out.push({
      severity: 'error',
      reason: 'PodToPodBlocked',
      subject: g.subject,
      message: `pods cannot reach pods: ${g.pairs.map(([a, b]) => `${a} → ${b}`).join(', ')}`,
      cause: [
        codesOf(failures, 'T', g.pairs),
        ctx.crossSubnet
          ? `${ctx.crossSubnet}: a firewall between subnets that drops it breaks exactly those pairs`
          : undefined,
      ]
        .filter(Boolean)
        .join('; '),
      fix: portsFix(g.nodes),
      nodes: g.nodes,
      pairs: g.pairs,
    });
  }
  const mtuGroups = groupPairs(
    pairsWith((c) => c.includes('L') && !c.includes('T')),
    matrix,
  );
  for (const g of mtuGroups) {
    // The MTUs involved: the pods' interfaces, and the smallest node interface on the pairs' ends.
    const podMtus = new Set<number>();
    let smallest: { node: string; iface: string; mtu: number } | undefined;
    for (const n of new Set(g.pairs.flat()))
      for (const [iface, mtu] of Object.entries(mtus[n] ?? {})) {
        if (!iface.startsWith('node:')) podMtus.add(mtu);
        else if (!smallest || mtu < smallest.mtu) smallest = { node: n, iface: iface.slice(5), mtu };
      }
    const reported = [
      podMtus.size > 0 ? `pod interface MTU ${[...podMtus].sort((a, b) => a - b).join('/')}` : undefined,
      smallest
        ? `smallest node interface MTU ${smallest.mtu} (${smallest.iface} on ${smallest.node})`
        : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    out.push({
      severity: 'error',
      reason: 'MtuBlackHole',
      subject: g.subject,
      message: `small requests pass but large transfers stall (a path-MTU black hole): ${g.pairs.map(([a, b]) => `${a} → ${b}`).join(', ')}`,
      cause: [
        codesOf(failures, 'L', g.pairs),
        reported || undefined,
        ctx.podMtu ? `pod MTU from the config: ${ctx.podMtu}` : undefined,
        'a link on the path carries less, and ICMP "fragmentation needed" does not come back',
      ]
        .filter(Boolean)
        .join('; '),
      fix: `make the pod MTU fit the smallest link on the paths ${g.nodes.length === 1 ? `through ${between(g.nodes, ctx)}` : `between ${between(g.nodes, ctx)}`}, less the encapsulation overhead (${ctx.provider === 'calico' ? 'network.calico.mtu' : ctx.provider === 'weave' ? "weave-net's WEAVE_MTU" : "the provider's MTU setting"}), or let ICMP "fragmentation needed" (type 3 code 4) through the firewalls there`,
      nodes: g.nodes,
      pairs: g.pairs,
    });
  }
  for (const [letter, reason, what] of [
    ['H', 'NodeToPodFailed', 'nodes (host network) cannot reach pods'],
    ['P', 'PodToNodeFailed', 'pods cannot reach nodes (host network)'],
  ] as const) {
    for (const g of groupPairs(
      pairsWith((c) => c.includes(letter) && !c.includes('T')),
      matrix,
    )) {
      out.push({
        severity: 'error',
        reason,
        subject: g.subject,
        message: `${what}: ${g.pairs.map(([a, b]) => `${a} → ${b}`).join(', ')}`,
        cause: codesOf(failures, letter, g.pairs),
        fix: `the provider routes between node addresses and the pod network: check the routes and the firewall (INPUT/FORWARD) on ${between(g.nodes, ctx)}`,
        nodes: g.nodes,
        pairs: g.pairs,
      });
    }
  }
  return out;
}

function ownFindings(
  nodes: string[],
  own: Record<string, TestLetter[]>,
  failures: Failure[],
  ctx: CauseContext,
): CheckFinding[] {
  const out: CheckFinding[] = [];
  const tested = nodes.filter((n) => own[n] !== undefined);
  const detail = (letter: TestLetter, group: string[]) =>
    failures
      .filter((f) => f.letter === letter && group.includes(f.node))
      .map((f) => `${f.node}: ${f.code}${f.detail ? ` (${f.detail})` : ''}`)
      .slice(0, 4)
      .join('; ');
  const per = (
    letter: TestLetter,
    reason: CheckReason,
    message: (group: string) => string,
    fix: (group: string[], all: boolean) => string,
    cause?: (all: boolean) => string | undefined,
  ) => {
    const failed = tested.filter((n) => own[n]!.includes(letter));
    if (failed.length === 0) return;
    const all = failed.length === tested.length && tested.length > 1;
    const groups = all ? [failed] : failed.map((n) => [n]);
    for (const g of groups)
      out.push({
        severity: 'error',
        reason,
        subject: all ? 'every node' : `node ${g[0]}`,
        message: message(all ? 'every node' : `node ${g[0]}`),
        cause: [detail(letter, g), cause?.(all)].filter(Boolean).join('; '),
        fix: fix(g, all),
        nodes: g,
      });
  };
  per(
    'S',
    'ServiceUnreachable',
    (w) => `pods on ${w} cannot reach the probe Service's ClusterIP (${TEST_NAMES.S})`,
    (g, all) =>
      all
        ? 'check kube-proxy (its pods, and its mode against network.kube_proxy_mode) and the Service CIDR'
        : `check kube-proxy on ${g.join(', ')}: kubectl -n kube-system get pods -l k8s-app=kube-proxy --field-selector spec.nodeName=${g[0]}`,
  );
  per(
    'N',
    'NodeLocalDnsFailed',
    (w) => `node-local-dns (169.254.20.10) does not answer pods on ${w}`,
    (g) =>
      `check the node-local-dns pod there: kubectl -n kube-system get pods -l k8s-app=node-local-dns --field-selector spec.nodeName=${g[0]}`,
  );
  per(
    'D',
    'ClusterDnsFailed',
    (w) => `the kube-dns Service does not answer pods on ${w}`,
    (_g, all) =>
      all
        ? 'check the CoreDNS pods and Service kube-system/kube-dns'
        : 'the Service path from this node to the CoreDNS pods fails: see the pod-to-pod and Service findings for it',
  );
  per(
    'E',
    'EgressFailed',
    (w) => `pods on ${w} cannot reach the external address`,
    (_g, all) =>
      all
        ? "pods leave the cluster through the nodes: check outgoing NAT (Calico network.calico.nat_outgoing, Weave NO_MASQ_LOCAL), and the nodes' own egress"
        : "check that node's egress (routes, firewall) against the others",
    (all) => (all && ctx.natOutgoing === false ? 'network.calico.nat_outgoing is false' : undefined),
  );
  return out;
}

/** The human output: the matrix, a legend, then each finding with its cause and fix. */
export function formatReport(report: CheckReport): string {
  const nodes = report.nodes;
  const ownLetters = report.tests.filter((l) => !PAIR_LETTERS.has(l));
  const cell = (letters: TestLetter[] | undefined) =>
    letters === undefined ? '·' : letters.length === 0 ? 'ok' : letters.join('');
  const header = ['FROM \\ TO', ...nodes, ...(ownLetters.length > 0 ? ['OWN'] : [])];
  const rows = nodes.map((a) => [
    a,
    ...nodes.map((b) => (a === b ? '-' : cell(report.matrix[a]?.[b]))),
    ...(ownLetters.length > 0 ? [cell(report.own[a])] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.map(line), ''];
  // The legend, wrapped at 100 columns.
  const words = [
    ...report.tests.map((l) => `${l} ${TEST_NAMES[l]};`),
    'a cell: the tests that failed from the row node to the column node;',
    '· not tested;',
    'OWN: tests of the node alone',
  ];
  let legend = 'tests:';
  for (const w of words) {
    if (legend.length + 1 + w.length > 100) {
      lines.push(legend);
      legend = ' ';
    }
    legend += ` ${w}`;
  }
  lines.push(legend);
  lines.push(...findingLines(report.findings));
  lines.push('', report.ok ? 'all checks passed' : 'checks FAILED');
  return `${lines.join('\n')}\n`;
}
