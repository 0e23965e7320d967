/**
 * `npm run bench`: every benchmark, one after the other, each printing its figures and
 * merging them into bench/results.json. Pass names to run only some: `npm run bench -- render`
 * (`npm run bench -- scale`: only the scale section).
 */
import { recordResults } from './results-file.ts';

type Bench = () => Promise<Record<string, unknown>>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  render: async () => (await import('./render.ts')).benchRender,
  apply: async () => (await import('./apply.ts')).benchApply,
  peers: async () => (await import('./peers.ts')).benchPeers,
  'node-versions': async () => (await import('./node-versions.ts')).benchNodeVersions,
  scale: async () => (await import('./scale.ts')).benchScale,
  check: async () => (await import('./check.ts')).benchCheck,
};

const wanted = process.argv.slice(2);
let failed = false;
for (const [name, load] of Object.entries(BENCHES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n== ${name}`);
  try {
    const figures = await (await load())();
    recordResults(name, figures);
  } catch (e) {
    failed = true;
    console.error(`bench ${name} failed: ${(e as Error).message}`);
  }
}
console.log('\nfigures written to bench/results.json');
process.exitCode = failed ? 1 : 0;
