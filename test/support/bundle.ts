/**
 * Builds the CLI as it ships (`scripts/bundle.mjs`: dist/netpack.cjs, the core bundle, its
 * trained code cache and data files) into a temporary directory, so tests can run the real bundle
 * as a child process without touching the tree's dist/. The directory links the tree's sources and node_modules, as
 * an install would provide the external @kubernetes/client-node.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
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

/** `codeCache: false` skips training the code cache (the slow part), for tests that do not time start-up. */
export function buildBundle(opts: { codeCache?: boolean } = {}): BuiltBundle {
  const dir = mkdtempSync(join(tmpdir(), 'netpack-bundle-'));
  symlinkSync(join(repoRoot, 'src'), join(dir, 'src'));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  const flags = opts.codeCache === false ? ['--no-code-cache'] : [];
  const built = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'bundle.mjs'), ...flags], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(built.status, 0, `bundle failed: ${built.stderr}${built.stdout}`);
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
