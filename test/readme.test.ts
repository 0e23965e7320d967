/**
 * The README promises scripts a stable list of status reasons: it must name every reason the
 * code can report, and no other.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;

test('README lists exactly the status finding reasons of src/cluster/status.ts', () => {
  const source = readFileSync(`${root}src/cluster/status.ts`, 'utf8');
  const union = /export type FindingReason =([^;]+);/.exec(source)?.[1] ?? '';
  const inCode = [...union.matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1]).sort();
  assert.ok(inCode.length >= 10, 'found the FindingReason union');
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const section = /\*\*`status` findings\.\*\*([\s\S]+?)\n\n/.exec(readme)?.[1] ?? '';
  const inReadme = [...section.matchAll(/`([A-Z][A-Za-z]+)`/g)].map((m) => m[1]).sort();
  assert.deepEqual(inReadme, inCode);
});
