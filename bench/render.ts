/**
 * Times `netpack render` of each example as a whole process (the bundled CLI, as users run it)
 * against a bare `node -e ''` start in the same run, and reports the ratio. Aim: under 3x.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchEnv, benchEnvDescription, median } from './stats.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist', 'netpack.cjs');
const RUNS = 15;

function timeProcess(args: string[]): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, {
      cwd: ROOT,
      env: benchEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    samples.push(ms);
  }
  return median(samples);
}

export async function benchRender(): Promise<Record<string, unknown>> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const examples = readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'examples', d.name, 'cluster.yml')))
    .map((d) => d.name)
    .sort();
  // Interleave baseline and subject so that machine load hits both alike.
  const baseline = timeProcess(['-e', '']);
  const results: Record<string, { ms: number; ratio: number }> = {};
  for (const name of examples) {
    const ms = timeProcess([CLI, 'render', '-f', join('examples', name, 'cluster.yml')]);
    results[name] = { ms: Math.round(ms * 10) / 10, ratio: Math.round((ms / baseline) * 100) / 100 };
  }
  const baselineAfter = timeProcess(['-e', '']);
  const base = (baseline + baselineAfter) / 2;
  for (const r of Object.values(results)) r.ratio = Math.round((r.ms / base) * 100) / 100;
  const worst = Math.max(...Object.values(results).map((r) => r.ratio));
  const environment = benchEnvDescription();
  console.log(
    `render: bare node start ${base.toFixed(1)} ms (median of ${RUNS}; environment: ${environment})`,
  );
  for (const [name, r] of Object.entries(results))
    console.log(`render: ${name.padEnd(14)} ${r.ms.toFixed(1).padStart(7)} ms  ${r.ratio.toFixed(2)}x node`);
  console.log(`render: worst ratio ${worst.toFixed(2)}x (aim: under 3x) ${worst < 3 ? 'OK' : 'OVER'}`);
  return {
    node_start_ms: Math.round(base * 10) / 10,
    runs: RUNS,
    examples: results,
    worst_ratio: worst,
    aim: 3,
    environment,
  };
}
