// docs/architecture.md is the newcomer's map of the code: these tests keep it true.
// Every path it names must exist, every folder of src/ must be named, and every module outside
// the per-command and per-provider folders (described there as families) must be named by file.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
const quoted = [...doc.matchAll(/`([^`\s]+)`/g)].map((m) => m[1] as string);

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(path, ...walk(path));
    else out.push(path);
  }
  return out;
}
const srcEntries = walk(join(root, 'src')).map((p) => relative(root, p));
const srcDirs = srcEntries.filter((p) => !/\.[a-z]+$/.test(p));
const srcFiles = srcEntries.filter((p) => /\.(ts|json)$/.test(p));

/** A quoted token that reads as a repository path (has a folder, or is a file with an extension). */
function looksLikePath(token: string): boolean {
  if (/^(--|\.\.\/|https?:|[A-Z_]+$)/.test(token) || /[<:*]/.test(token)) return false;
  return /^(src|scripts|test|bench|docs|examples|dist)\//.test(token) || /^[\w.-]+\/$/.test(token);
}

test('every repository path the architecture doc names exists', () => {
  const missing = quoted
    .filter(looksLikePath)
    .filter((p) => !p.startsWith('dist/')) // build output: made by `npm run build`
    .filter((p) => !existsSync(join(root, p)) && !existsSync(join(root, 'src', p)));
  assert.deepEqual(missing, []);
});

test('every bare file name the architecture doc names is a file of the repository', () => {
  const everyFile = new Set(
    ['src', 'scripts', 'test', 'bench'].flatMap((d) => walk(join(root, d)).map((p) => p.split('/').pop())),
  );
  const missing = quoted.filter((t) => /^[\w.-]+\.(ts|mjs|cjs|json)$/.test(t) && !everyFile.has(t));
  assert.deepEqual(missing, []);
});

test('every folder of src/ is named in the architecture doc', () => {
  const unnamed = srcDirs.filter((dir) => {
    const rel = dir.slice('src/'.length);
    return !doc.includes(`${dir}/`) && !doc.includes(`\`${rel}/\``) && !doc.includes(`${rel}/`);
  });
  assert.deepEqual(unnamed, []);
});

test('every module outside the command and provider families is named in the architecture doc', () => {
  const family = /^src\/(cli\/commands|providers\/[^/]+)\//;
  const unnamed = srcFiles
    .filter((f) => !family.test(f) && f !== 'src/index.ts')
    .filter((f) => !doc.includes(f.split('/').pop() as string));
  assert.deepEqual(unnamed, []);
});
