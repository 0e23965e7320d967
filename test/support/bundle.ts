/**
 * The CLI as it ships (`scripts/bundle.mjs`: dist/netpack.cjs, the core bundle, its trained code
 * cache and data files), copied into a temporary directory, so tests can run the real bundle as a
 * child process, and change its files, without touching the tree's dist/. The build runs once,
 * before the suite (scripts/test.mjs), not in each test. The directory links the tree's sources
 * and node_modules, as an install would provide the external @kubernetes/client-node.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface BuiltBundle {
  dir: string;
  /** Path of netpack.cjs; run it with plain `node` (no tsx). */
  cli: string;
  remove(): void;
}

/**
 * The built CLI, copied. `codeCache` is kept for callers that once asked to skip training it: the
 * one build before the suite trains it anyway, and copying costs the same either way.
 */
export function buildBundle(_opts: { codeCache?: boolean } = {}): BuiltBundle {
  assert.ok(
    existsSync(join(repoRoot, 'dist', 'netpack-core.cjs')),
    'no dist/: run `npm run build` first (npm test does, before the suite)',
  );
  const dir = mkdtempSync(join(tmpdir(), 'netpack-bundle-'));
  symlinkSync(join(repoRoot, 'src'), join(dir, 'src'));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  cpSync(join(repoRoot, 'dist'), join(dir, 'dist'), { recursive: true });
  const cli = join(dir, 'dist', 'netpack.cjs');
  assert.ok(existsSync(cli), 'bundle written');
  return { dir, cli, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment for a child on plain node: no tsx loader inherited from the test runner. */
export function plainNodeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}
