#!/usr/bin/env node
// Runs every test file under test/ with node's test runner.
// Node 20 does not find .ts files by itself (and then exits 0 having run nothing), so the
// files are listed here. The summary reporter ends the run with a plain "N passed, N failed" line.
// Tests that run the CLI as it ships (test/support/bundle.ts, the packed package) use dist/: when
// any of them is selected, the build runs once, here, before the suite (not inside each test).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function findTests(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(path));
    else if (entry.name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const filter = process.argv.slice(2);
let files = findTests(join(root, 'test')).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((word) => f.includes(word)));
if (files.length === 0) {
  console.error('test: no test files found under test/ — refusing to report success');
  process.exit(1);
}

const needsBuild = files.some((f) =>
  /support\/(bundle|package)\.ts/.test(readFileSync(join(root, f), 'utf8')),
);
if (needsBuild && !process.env.NETPACK_TEST_NO_BUILD) {
  const started = Date.now();
  const built = spawnSync('npm', ['run', '--silent', 'build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (built.status !== 0) {
    console.error('test: npm run build failed; the tests of the shipped CLI need dist/');
    process.exit(1);
  }
  console.log(
    `test: built dist/ once for the tests of the shipped CLI (${((Date.now() - started) / 1000).toFixed(1)}s)`,
  );
}

const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/summary-reporter.mjs',
    '--test-reporter-destination=stdout',
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
