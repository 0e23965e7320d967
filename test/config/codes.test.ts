/**
 * Diagnostic codes: one list (`DIAGNOSTIC_CODES`), every code documented in the README, and
 * every code the README names is one netpack has.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DIAGNOSTIC_CODES } from '../../src/config/diagnostics.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('### Diagnostic codes'), readme.indexOf('## What gets rendered'));

test('every diagnostic code is listed once and documented in the README, and nothing else is', () => {
  assert.equal(new Set(DIAGNOSTIC_CODES).size, DIAGNOSTIC_CODES.length, 'a code listed twice');
  const documented = [...section.matchAll(/`([A-Z][A-Za-z0-9]+)`/g)].map((m) => m[1]!);
  assert.deepEqual([...new Set(documented)].sort(), [...DIAGNOSTIC_CODES].sort());
});

test('codes are PascalCase', () => {
  for (const code of DIAGNOSTIC_CODES) assert.match(code, /^[A-Z][A-Za-z0-9]*$/);
});
