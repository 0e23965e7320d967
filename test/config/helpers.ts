/**
 * Shared helpers of the config-model tests: a map-backed FileProbe, a dedenting template for
 * YAML snippets, a position finder, and assertions that pin a diagnostic's path, severity, code
 * and position (not its wording, which may improve).
 */
import assert from 'node:assert/strict';
import type { Diagnostic, DiagnosticCode, Severity } from '../../src/config/diagnostics.ts';
import { type LoadResult, loadConfig } from '../../src/config/load.ts';
import type { FileKind, FileProbe } from '../../src/config/reporter.ts';
import type { ClusterConfig } from '../../src/config/types.ts';

/** Directory the test cluster files live in; relative paths resolve against it. */
export const BASE = '/clusters/prod';
export const FILE = 'cluster.yml';

/** A FileProbe over a map of absolute path → kind; anything not listed is missing. */
export function mapProbe(files: Record<string, FileKind> = {}): FileProbe & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    kind(path: string): FileKind {
      asked.push(path);
      return files[path] ?? 'missing';
    },
  };
}

/** Files every test can refer to, relative to BASE. */
export const FILES: Record<string, FileKind> = {
  [`${BASE}/weave.secret`]: 'file',
  [`${BASE}/empty.secret`]: 'empty',
  [`${BASE}/secrets`]: 'directory',
  [`${BASE}/locked.secret`]: 'unreadable',
  [`${BASE}/etcd/ca.pem`]: 'file',
  [`${BASE}/etcd/client.pem`]: 'file',
  [`${BASE}/etcd/client-key.pem`]: 'file',
  [`${BASE}/manifests`]: 'directory',
  [`${BASE}/manifest.yml`]: 'file',
  '/etc/pharos/weave.secret': 'file',
};

/** Loads `text` as cluster.yml in BASE with the standard files present. */
export function load(text: string, files: Record<string, FileKind> = FILES): LoadResult {
  return loadConfig(text, { file: FILE, baseDir: BASE, probe: mapProbe(files) });
}

/**
 * Template tag for YAML: drops the first newline and the common indentation, so that the line
 * numbers of a snippet are the lines as written in the test (line 1 = first line after the `).
 */
export function yml(strings: TemplateStringsArray, ...values: unknown[]): string {
  let text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  text = text.replace(/^\n/, '').replace(/\n[ ]*$/, '\n');
  const indents = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => /^ */.exec(l)![0].length);
  const common = Math.min(...indents);
  return text
    .split('\n')
    .map((l) => l.slice(common))
    .join('\n');
}

/** 1-based line and column of the `nth` (1-based) occurrence of `needle` in `text`. */
export function at(text: string, needle: string, nth = 1): { line: number; col: number } {
  let index = -1;
  for (let i = 0; i < nth; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`test bug: "${needle}" (#${nth}) not in the text`);
  }
  const before = text.slice(0, index).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

export interface Expected {
  /** The stable code (`DIAGNOSTIC_CODES`). */
  code: DiagnosticCode;
  path: string;
  severity?: Severity;
  line: number;
  col: number;
  /** Every fragment must appear in the hint; `null` means: no hint. */
  hint?: (string | RegExp)[] | null;
}

function matches(text: string | undefined, fragment: string | RegExp): boolean {
  if (text === undefined) return false;
  return typeof fragment === 'string' ? text.includes(fragment) : fragment.test(text);
}

function show(ds: readonly Diagnostic[]): string {
  return ds
    .map((d) => `  ${d.line}:${d.col} ${d.severity} ${d.code} ${d.path}: ${d.message} | ${d.hint ?? ''}`)
    .join('\n');
}

/** Asserts one diagnostic (by path and severity) and returns it. */
export function expectDiag(result: LoadResult, e: Expected): Diagnostic {
  const severity = e.severity ?? 'error';
  const found = result.diagnostics.filter((d) => d.path === e.path && d.severity === severity);
  assert.equal(
    found.length,
    1,
    `expected exactly one ${severity} at ${e.path}, got ${found.length}:\n${show(result.diagnostics)}`,
  );
  const d = found[0]!;
  assert.deepEqual(
    { code: d.code, line: d.line, col: d.col, file: d.file },
    { code: e.code, line: e.line, col: e.col, file: FILE },
    `code and position of ${e.path}: ${d.message}`,
  );
  if (e.hint === null) assert.equal(d.hint, undefined, `no hint expected for ${e.path}`);
  for (const h of e.hint ?? [])
    assert.ok(matches(d.hint, h), `hint of ${e.path} should contain ${h}: "${d.hint}"`);
  return d;
}

/** Asserts that the diagnostics are exactly `expected` (no more, no fewer), in any order. */
export function expectOnly(result: LoadResult, expected: Expected[]): void {
  assert.equal(
    result.diagnostics.length,
    expected.length,
    `expected ${expected.length} diagnostic(s), got:\n${show(result.diagnostics)}`,
  );
  for (const e of expected) expectDiag(result, e);
  if (expected.some((e) => (e.severity ?? 'error') === 'error'))
    assert.equal(result.config, undefined, 'no config when there are errors');
}

/** Asserts that the file loads with no diagnostics at all and returns the config. */
export function expectClean(result: LoadResult): ClusterConfig {
  assert.deepEqual(result.diagnostics, [], `unexpected diagnostics:\n${show(result.diagnostics)}`);
  assert.ok(result.config, 'config expected');
  return result.config;
}

/** Asserts there are no errors (warnings allowed) and returns the config. */
export function expectValid(result: LoadResult): ClusterConfig {
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], `unexpected errors:\n${show(errors)}`);
  assert.ok(result.config, 'config expected');
  return result.config;
}

/** Position just after the first occurrence of `prefix` (e.g. the value after `key: `). */
export function after(text: string, prefix: string): { line: number; col: number } {
  const p = at(text, prefix);
  return { line: p.line, col: p.col + prefix.length };
}
