/**
 * Scale benchmark: how each command grows with the cluster.
 *
 * - Offline: validate, explain, render, firewall and peers plan (table, JSON, HTML) on cluster
 *   files of 1,000, 5,000 and 20,000 hosts (100 per region, test/support/big-cluster.ts), each
 *   the shipped CLI as its own process: wall time, peak RSS (GNU time's %M), output size.
 * - Cluster: first apply, re-apply, diff and status against the fake API server holding 1,000,
 *   5,000 and 20,000 nodes (a network pod on each), at 20 and 100 ms per request: wall time and
 *   request waves (sequential round trips, from the server's request timeline).
 *
 * Between consecutive sizes, the exponent k of size^k (log of the ratio of figures over log of the
 * ratio of sizes): 1 is linear, 2 quadratic. Aim: every exponent at or below 1.2. Time includes
 * the process start (~0.1 s), which flattens the small sizes' exponents a little.
 *
 * `npm run bench -- scale` runs only this part.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeApiServer, startFakeApiServer } from '../test/fake-apiserver/index.ts';
import { waveCount } from '../test/fake-apiserver/waves.ts';
import { bigClusterYaml } from '../test/support/big-cluster.ts';
import { benchEnv } from './stats.ts';

const root = new URL('../', import.meta.url).pathname;
const SIZES = [1000, 5000, 20_000];
const LATENCIES = [20, 100];
const TIME = '/usr/bin/time';
/** An exponent above this fails the benchmark's verdict. */
const MAX_EXPONENT = 1.2;

interface Run {
  ms: number;
  /** Peak RSS in MiB (undefined without GNU time). */
  rssMiB?: number;
  outBytes: number;
  code: number | null;
}

/** Runs the shipped CLI, counting stdout bytes, under GNU time for the peak RSS. */
function runCli(args: string[]): Promise<Run> {
  const cli = join(root, 'dist', 'netpack.cjs');
  const withTime = existsSync(TIME);
  const cmd = withTime ? TIME : process.execPath;
  const argv = withTime ? ['-f', 'RSS_KB=%M', process.execPath, cli, ...args] : [cli, ...args];
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(cmd, argv, { cwd: root, env: benchEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let outBytes = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (outBytes += d.length));
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('close', (code) => {
      const ms = performance.now() - t;
      const kb = /RSS_KB=(\d+)/.exec(stderr)?.[1];
      resolve({ ms, outBytes, code, ...(kb ? { rssMiB: Number(kb) / 1024 } : {}) });
    });
  });
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Exponents between consecutive sizes of `values` (same order as SIZES). */
function exponents(sizes: number[], values: number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < sizes.length; i++)
    out.push(round(Math.log(values[i]! / values[i - 1]!) / Math.log(sizes[i]! / sizes[i - 1]!)));
  return out;
}

interface Series {
  sizes: number[];
  [figure: string]: number[] | undefined;
}

function seriesWithExponents(
  sizes: number[],
  figures: Record<string, number[]>,
): Series & Record<string, number[]> {
  const out: Series & Record<string, number[]> = { sizes };
  for (const [name, values] of Object.entries(figures)) {
    out[name] = values.map((v) => round(v));
    if (values.every((v) => v > 0)) out[`${name}_exponent`] = exponents(sizes, values);
  }
  return out;
}

const OFFLINE: Record<string, (file: string, dir: string) => { args: string[]; outFile?: string }> = {
  validate: (f) => ({ args: ['validate', '-f', f] }),
  explain: (f) => ({ args: ['explain', '-f', f] }),
  render: (f) => ({ args: ['render', '-f', f] }),
  firewall: (f) => ({ args: ['firewall', '-f', f] }),
  'peers plan': (f) => ({ args: ['peers', 'plan', '-f', f] }),
  'peers plan -o json': (f) => ({ args: ['peers', 'plan', '-f', f, '-o', 'json'] }),
  'peers plan --html': (f, dir) => {
    const outFile = join(dir, 'mesh.html');
    return { args: ['peers', 'plan', '-f', f, '--html', outFile, '-o', 'json'], outFile };
  },
  'peers plan --node': (f) => ({ args: ['peers', 'plan', '-f', f, '--node', 'node-1'] }),
};

async function offline(dir: string): Promise<Record<string, unknown>> {
  const files = SIZES.map((n) => {
    const file = join(dir, `cluster-${n}.yml`);
    writeFileSync(file, bigClusterYaml(n));
    return file;
  });
  const results: Record<string, unknown> = {
    input_bytes: files.map((f) => statSync(f).size),
  };
  for (const [name, make] of Object.entries(OFFLINE)) {
    const runs: Run[] = [];
    for (const file of files) {
      const { args, outFile } = make(file, dir);
      const run = await runCli(args);
      if (run.code !== 0 && !(name === 'validate' && run.code === 1))
        throw new Error(`${name} on ${file} exited ${run.code}`);
      if (outFile) run.outBytes = statSync(outFile).size;
      runs.push(run);
    }
    const figures: Record<string, number[]> = {
      ms: runs.map((r) => r.ms),
      out_bytes: runs.map((r) => r.outBytes),
    };
    if (runs.every((r) => r.rssMiB !== undefined)) figures.peak_rss_mib = runs.map((r) => r.rssMiB!);
    results[name] = seriesWithExponents(SIZES, figures);
    console.log(
      `${name.padEnd(20)} ${runs
        .map(
          (r, i) =>
            `${SIZES[i]}: ${Math.round(r.ms)} ms ${r.rssMiB ? Math.round(r.rssMiB) : '?'} MiB ${Math.round(r.outBytes / 1024)} KiB`,
        )
        .join(' | ')}`,
    );
  }
  return results;
}

/**
 * A fake cluster of `nodes` Ready nodes (pod CIDRs 10.N.N.0/24, inside POD_NETWORK) with a
 * weave-net pod on each.
 */
async function fakeCluster(nodes: number): Promise<FakeApiServer> {
  const server = await startFakeApiServer({ crdEstablishDelayMs: 0 });
  const nodeType = server.store.registry.byKind('v1', 'Node')!;
  const podType = server.store.registry.byKind('v1', 'Pod')!;
  for (let i = 1; i <= nodes; i++)
    server.store.commit(nodeType, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}` } },
      spec: { podCIDR: `10.${i >> 8}.${i & 255}.0/24` },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
  for (let i = 1; i <= nodes; i++)
    server.store.commit(podType, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `weave-net-${i}`, namespace: 'kube-system', labels: { name: 'weave-net' } },
      spec: { nodeName: `node-${i}` },
      status: { phase: 'Running' },
    });
  return server;
}

interface Step {
  name: string;
  args: (kubeconfig: string, file: string) => string[];
}

const STEPS: Step[] = [
  { name: 'apply (first)', args: (k, f) => ['apply', '-f', f, '--no-wait', '--kubeconfig', k] },
  { name: 'apply (again)', args: (k, f) => ['apply', '-f', f, '--no-wait', '--kubeconfig', k] },
  { name: 'diff', args: (k, f) => ['diff', '-f', f, '--kubeconfig', k] },
  { name: 'status', args: (k) => ['status', '--kubeconfig', k] },
];

async function cluster(dir: string): Promise<Record<string, unknown>> {
  const file = join(dir, 'weave.yml');
  writeFileSync(
    file,
    'network:\n  provider: weave\n  pod_network_cidr: 10.0.0.0/8\n  service_cidr: 172.20.0.0/16\n',
  );
  const results: Record<string, unknown> = {};
  for (const latency of LATENCIES) {
    const figures: Record<string, { ms: number[]; waves: number[]; requests: number[] }> = {};
    for (const size of SIZES) {
      const server = await fakeCluster(size);
      try {
        server.faults.add({ latencyMs: latency });
        for (const step of STEPS) {
          const from = server.requests.length;
          const run = await runCli(step.args(server.kubeconfigPath, file));
          // Status may find the bare fixtures unhealthy (1); everything else must succeed.
          if (run.code !== 0 && !(step.name === 'status' && run.code === 1))
            throw new Error(`${step.name} at ${size} nodes exited ${run.code}`);
          const requests = server.requests.slice(from);
          figures[step.name] ??= { ms: [], waves: [], requests: [] };
          const f = figures[step.name]!;
          f.ms.push(run.ms);
          f.waves.push(waveCount(requests, { watchAnswerMs: latency }));
          f.requests.push(requests.length);
        }
      } finally {
        await server.close();
      }
    }
    for (const [name, f] of Object.entries(figures)) {
      results[`${name} @${latency}ms`] = seriesWithExponents(SIZES, f);
      console.log(
        `${`${name} @${latency}ms`.padEnd(22)} waves ${f.waves.join(' / ')}, requests ${f.requests.join(' / ')}, ${f.ms.map((m) => Math.round(m)).join(' / ')} ms`,
      );
    }
  }
  return results;
}

/** Every exponent in the figures above the aim, as `path: value`. */
function overAim(figures: unknown, path = ''): string[] {
  if (typeof figures !== 'object' || figures === null) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(figures)) {
    if (k.endsWith('_exponent') && Array.isArray(v)) {
      for (const e of v) if (e > MAX_EXPONENT) out.push(`${path}${k}: ${e}`);
    } else out.push(...overAim(v, `${path}${k}.`));
  }
  return out;
}

export async function benchScale(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'netpack-bench-scale-'));
  try {
    console.log(`offline commands at ${SIZES.join(' / ')} hosts (100 per region):`);
    const off = await offline(dir);
    console.log(`\ncluster commands against ${SIZES.join(' / ')} nodes:`);
    const on = await cluster(dir);
    const over = overAim({ offline: off, cluster: on });
    console.log(
      over.length === 0
        ? `\nevery exponent <= ${MAX_EXPONENT}`
        : `\nexponents above ${MAX_EXPONENT}:\n  ${over.join('\n  ')}`,
    );
    return { sizes: SIZES, max_exponent: MAX_EXPONENT, over_aim: over, offline: off, cluster: on };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
