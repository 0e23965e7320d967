/**
 * `netpack check` cost against node count: the whole check (remove leftovers, deploy, wait for the
 * probes, run, collect, clean up) against the test API server, with each node's pod probe a real
 * process (`node dist/netpack-probe.cjs`) on a loopback address of its own (127.40.0.N: making 50
 * network namespaces would time namespace set-up, not the check). Host probes are off (they would
 * double the processes); the connection counts give both.
 *
 * Expected shape: each probe opens 3 connections per target (a small request, a large download
 * and upload) plus its own Service test, all probes at once, 8 tests at a time each: a full mesh
 * is n×(n−1) pairs, so the test phase grows with n per probe (n−1 targets) while the probes run in
 * parallel; `--sample 5` makes it flat.
 *
 * Run alone: `node --import tsx bench/check.ts` (merges into bench/results.json), or via `npm run bench`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { connectionsPerNode } from '../src/check/plan.ts';
import { runCheck } from '../src/check/run.ts';
import { createClusterClient } from '../src/cluster/client.ts';
import { loadKubeConfig } from '../src/cluster/kubeconfig.ts';
import { fakeKubelet } from '../test/check/kubelet.ts';
import { startFakeApiServer } from '../test/fake-apiserver/index.ts';
import { benchEnv, median } from './stats.ts';

const SIZES = [3, 10, 25, 50];
const RUNS = 3;
const SCRIPT = 'dist/netpack-probe.cjs';
const LARGE_BYTES = 256 * 1024;

function startProcess(ip: string, port: number, node: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, '--listen', ip, '--port', String(port), '--node', node], {
      env: benchEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (/listening/.test(err)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`probe ${node} ended (${code}): ${err}`)));
  });
}

interface Figures {
  nodes: number;
  sample: number | null;
  check_ms: number;
  tests_ms: number;
  probe_connections_per_node: number;
  probe_connections_per_node_with_host_probes: number;
  connections_total: number;
  /** Tests that failed (the probes are on one machine: a failure means it was overloaded). */
  failed_tests: number;
}

async function measure(nodes: number, sample?: number): Promise<Figures> {
  const serviceIp = '127.40.255.1';
  const server = await startFakeApiServer({ nodes, clusterIpPool: Array(RUNS + 1).fill(serviceIp) });
  const children = new Map<string, ChildProcess>();
  const service = await startProcess(serviceIp, 8477, 'service');
  const kubelet = fakeKubelet(server, {
    async start(spec) {
      const ip = `127.40.${Math.floor(Number(spec.node.slice(5)) / 250)}.${(Number(spec.node.slice(5)) % 250) + 1}`;
      children.set(spec.pod, await startProcess(ip, spec.port, spec.node));
      return ip;
    },
    stop(spec) {
      children.get(spec.pod)?.kill('SIGKILL');
      children.delete(spec.pod);
    },
  });
  const { kc } = await loadKubeConfig({ kubeconfig: server.kubeconfigPath });
  const client = await createClusterClient(kc);
  const script = readFileSync(SCRIPT, 'utf8');
  const total: number[] = [];
  const tests: number[] = [];
  const failures: number[] = [];
  try {
    for (let r = 0; r < RUNS; r++) {
      let testsStarted = 0;
      const started = performance.now();
      const report = await runCheck(client, {
        probeScript: script,
        ...(sample ? { sample } : {}),
        timeoutMs: 300_000,
        // 50 probe processes on a small machine are slow to answer, not broken: generous limits.
        testTimeoutMs: 30_000,
        largeBytes: LARGE_BYTES,
        hostProbes: false,
        nodeLocalDns: false,
        clusterDomain: 'cluster.local',
        context: {},
        progress: (line) => {
          if (/running the tests/.test(line)) testsStarted = performance.now();
          if (/results from (\d+)\/\1 nodes/.test(line)) tests.push(performance.now() - testsStarted);
        },
      });
      total.push(performance.now() - started);
      failures.push(report.failures.length);
      await kubelet.idle();
    }
  } finally {
    client.close();
    await kubelet.close();
    service.kill('SIGKILL');
    await server.close();
  }
  const perNode = connectionsPerNode(nodes, sample, false, 1);
  return {
    nodes,
    sample: sample ?? null,
    check_ms: Math.round(median(total)),
    tests_ms: Math.round(median(tests)),
    probe_connections_per_node: perNode,
    probe_connections_per_node_with_host_probes: connectionsPerNode(nodes, sample, true, 1),
    connections_total: perNode * nodes,
    failed_tests: Math.max(...failures),
  };
}

export async function benchCheck(): Promise<Record<string, unknown>> {
  const figures: Figures[] = [];
  for (const n of SIZES) figures.push(await measure(n));
  figures.push(await measure(50, 5));
  console.log('nodes  sample  check ms  tests ms  connections/node  (with host probes)  total  failed');
  for (const f of figures)
    console.log(
      `${String(f.nodes).padStart(5)}  ${String(f.sample ?? 'all').padStart(6)}  ${String(f.check_ms).padStart(8)}  ${String(f.tests_ms).padStart(8)}  ${String(f.probe_connections_per_node).padStart(16)}  ${String(f.probe_connections_per_node_with_host_probes).padStart(18)}  ${String(f.connections_total).padStart(5)}  ${f.failed_tests}`,
    );
  return {
    description:
      'netpack check against the test API server, pod probes as processes on loopback addresses, 256 KiB transfers (the CLI default), median of 3 runs; check_ms is the whole run, tests_ms from asking the probes to having every answer',
    sizes: figures,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { recordResults } = await import('./results-file.ts');
  recordResults('check', await benchCheck());
}
