/**
 * Pure planning of a check: which node tests which (full mesh, or a sample), and the `RunPlan`
 * each probe gets. No I/O: the shell reads the probe pods and Services and passes them in.
 */
import { HOST_PROBE_PORT, PROBE_PORT, type ProbeTest, type RunPlan, type TestLetter } from './types.ts';

/** One node's probes as the API server reports them. */
export interface NodeProbes {
  node: string;
  /** The pod probe: name (for the pod proxy) and pod IP. */
  pod: { name: string; ip: string };
  /** The host-network probe, when the node has one ready. */
  host?: { name: string; ip: string };
}

export interface CheckSetup {
  probes: NodeProbes[];
  /** The probe Service's ClusterIP and its DNS name (`netpack-check.netpack-check.svc.<domain>`). */
  service?: { ip: string; name: string };
  /** node-local-dns's address (169.254.20.10) when the cache is on. */
  nodeLocalDns?: string;
  /** The kube-dns Service's ClusterIP, when there is one. */
  kubeDns?: string;
  /** DNS port (53 in clusters; tests may move it). */
  dnsPort?: number;
  external?: { host: string; port: number };
  /** Each node tests this many others (the next ones in name order); every other node when absent. */
  sample?: number;
  largeBytes: number;
  testTimeoutMs: number;
  parallel: number;
}

/** Id of a test in results: the letter, and the target node for tests between nodes. */
export function testId(letter: TestLetter, target?: string): string {
  return target === undefined ? letter : `${letter}:${target}`;
}

export function parseTestId(id: string): { letter: TestLetter; target?: string } {
  const colon = id.indexOf(':');
  return colon === -1
    ? { letter: id as TestLetter }
    : { letter: id.slice(0, colon) as TestLetter, target: id.slice(colon + 1) };
}

/**
 * The nodes `node` tests: all others, or with `sample` the next `sample` ones after it in name
 * order (wrapping), so that every node is also the target of exactly `sample` others.
 */
export function targetsOf(node: string, nodes: readonly string[], sample?: number): string[] {
  const sorted = [...nodes].sort();
  const i = sorted.indexOf(node);
  const others = [...sorted.slice(i + 1), ...sorted.slice(0, Math.max(i, 0))].filter((n) => n !== node);
  return sample === undefined || sample >= others.length ? others : others.slice(0, sample);
}

/**
 * Connections one node's probes open: per target a small request, a large download and upload,
 * and (with host probes) pod to node and node to pod; plus one each for its own tests.
 */
export function connectionsPerNode(nodes: number, sample?: number, hostProbes = true, ownTests = 4): number {
  const targets = sample === undefined ? nodes - 1 : Math.min(sample, nodes - 1);
  return targets * (3 + (hostProbes ? 2 : 0)) + ownTests;
}

/** The plans for each node's pod probe and host probe. */
export function planRuns(setup: CheckSetup): Map<string, { pod: RunPlan; host?: RunPlan }> {
  const nodes = setup.probes.map((p) => p.node);
  const byNode = new Map(setup.probes.map((p) => [p.node, p]));
  const base = { testTimeoutMs: setup.testTimeoutMs, parallel: setup.parallel };
  const out = new Map<string, { pod: RunPlan; host?: RunPlan }>();
  const dnsPort = setup.dnsPort ?? 53;
  for (const probe of setup.probes) {
    const podTests: ProbeTest[] = [];
    const hostTests: ProbeTest[] = [];
    for (const target of targetsOf(probe.node, nodes, setup.sample)) {
      const t = byNode.get(target)!;
      podTests.push({ id: testId('T', target), kind: 'small', host: t.pod.ip, port: PROBE_PORT });
      podTests.push({
        id: testId('L', target),
        kind: 'large',
        host: t.pod.ip,
        port: PROBE_PORT,
        bytes: setup.largeBytes,
      });
      if (t.host)
        podTests.push({ id: testId('P', target), kind: 'small', host: t.host.ip, port: HOST_PROBE_PORT });
      if (probe.host)
        hostTests.push({ id: testId('H', target), kind: 'small', host: t.pod.ip, port: PROBE_PORT });
    }
    if (setup.service) {
      podTests.push({ id: testId('S'), kind: 'small', host: setup.service.ip, port: PROBE_PORT });
      const dns = (letter: TestLetter, server: string): ProbeTest => ({
        id: testId(letter),
        kind: 'dns',
        server,
        port: dnsPort,
        name: setup.service!.name,
        expect: setup.service!.ip,
      });
      if (setup.nodeLocalDns) podTests.push(dns('N', setup.nodeLocalDns));
      if (setup.kubeDns) podTests.push(dns('D', setup.kubeDns));
    }
    if (setup.external)
      podTests.push({
        id: testId('E'),
        kind: 'connect',
        host: setup.external.host,
        port: setup.external.port,
      });
    out.set(probe.node, {
      pod: { ...base, tests: podTests },
      ...(probe.host ? { host: { ...base, tests: hostTests } } : {}),
    });
  }
  return out;
}
