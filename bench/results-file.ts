/** Merges one benchmark's figures into bench/results.json (other benchmarks own other keys). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const FILE = new URL('./results.json', import.meta.url);

export function recordResults(key: string, figures: Record<string, unknown>): void {
  const all = existsSync(FILE) ? (JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>) : {};
  all[key] = { ...figures, measured_at: new Date().toISOString(), node: process.version };
  writeFileSync(FILE, `${JSON.stringify(all, null, 2)}\n`);
}
