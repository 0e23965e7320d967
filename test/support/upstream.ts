/**
 * Loads the upstream manifests that conformance tests compare our render output with.
 * They live outside the repo, in `../shared/upstream` beside the checkout; when that folder is
 * absent the loaders return null and the test must skip loudly (see `upstreamOrSkip`).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/render/types.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of `../shared/upstream` next to the repo, or null when it is not there. */
export function upstreamDir(): string | null {
  const dir = path.resolve(repoRoot, '..', 'shared', 'upstream');
  return existsSync(dir) ? dir : null;
}

/**
 * Parses one upstream manifest (path relative to the upstream folder, e.g.
 * `weave-v2.8.1/weave-daemonset-k8s-1.11.yaml`) into its objects, in file order. Multi-document
 * files and `kind: List` wrappers are flattened; empty documents are dropped. Returns null when
 * the upstream folder or the file is absent; throws when the file does not parse.
 */
export function loadUpstream(relPath: string): KubeObject[] | null {
  const dir = upstreamDir();
  if (dir === null) return null;
  const file = path.join(dir, relPath);
  if (!existsSync(file)) return null;
  // Kubernetes reads manifests as YAML 1.1 (go-yaml): `defaultMode: 0400` is octal there.
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { version: '1.1' });
  const out: KubeObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    flatten(doc.toJS(), out);
  }
  return out;
}

function flatten(value: unknown, out: KubeObject[]): void {
  if (value === null || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  if (obj.kind === 'List' && Array.isArray(obj.items)) {
    for (const item of obj.items) flatten(item, out);
    return;
  }
  out.push(obj as KubeObject);
}

/**
 * `loadUpstream` for a test: when the manifest is missing it prints a loud message and marks the
 * test skipped (never a silent pass), and returns null so the test can `return`.
 */
export function upstreamOrSkip(t: TestContext, relPath: string): KubeObject[] | null {
  const objects = loadUpstream(relPath);
  if (objects === null) {
    const where = upstreamDir() ?? path.resolve(repoRoot, '..', 'shared', 'upstream');
    const message = `UPSTREAM MANIFEST MISSING: ${path.join(where, relPath)} — conformance test skipped`;
    console.error(`\n*** ${message} ***\n`);
    t.skip(message);
  }
  return objects;
}

/** The one object with this kind, name and namespace (cluster-scoped: leave namespace out), or undefined. */
export function findObject(
  objects: readonly KubeObject[],
  kind: string,
  name: string,
  namespace?: string,
): KubeObject | undefined {
  const hits = objects.filter(
    (o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace,
  );
  if (hits.length > 1) throw new Error(`${hits.length} objects are ${kind} ${namespace ?? ''}/${name}`);
  return hits[0];
}

/** One difference between an upstream object and ours, at a path like `spec.containers[name=weave].image`. */
export interface Difference {
  path: string;
  change: 'added' | 'removed' | 'changed';
  upstream?: unknown;
  ours?: unknown;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function keyPath(base: string, key: string): string {
  if (IDENT.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Arrays whose items all carry a distinct string `name` (containers, env, volumes, ports) are compared by name. */
function namesOf(items: unknown[]): string[] | null {
  const names: string[] = [];
  for (const item of items) {
    if (!isPlainObject(item) || typeof item.name !== 'string') return null;
    names.push(item.name);
  }
  return new Set(names).size === names.length ? names : null;
}

/**
 * Every difference between `upstream` and `ours`, deepest first found. Named lists are matched by
 * name (order-free), other lists by index; a value present on one side only is `added` (ours) or
 * `removed` (upstream's, including an explicit null such as an empty `env:`).
 */
export function diffObjects(upstream: unknown, ours: unknown, path = ''): Difference[] {
  if (upstream === undefined && ours === undefined) return [];
  if (upstream === undefined || upstream === null) {
    if (ours === undefined) return [{ path, change: 'removed', upstream }];
    if (upstream === undefined) return [{ path, change: 'added', ours }];
  }
  if (ours === undefined) return [{ path, change: 'removed', upstream }];
  if (Array.isArray(upstream) && Array.isArray(ours)) {
    const un = namesOf(upstream);
    const on = namesOf(ours);
    const out: Difference[] = [];
    if (un && on && (upstream.length > 0 || ours.length > 0)) {
      const byName = (items: unknown[]) => new Map(items.map((i) => [(i as { name: string }).name, i]));
      const u = byName(upstream);
      const o = byName(ours);
      for (const name of [...new Set([...u.keys(), ...o.keys()])])
        out.push(...diffObjects(u.get(name), o.get(name), `${path}[name=${name}]`));
      return out;
    }
    for (let i = 0; i < Math.max(upstream.length, ours.length); i++)
      out.push(...diffObjects(upstream[i], ours[i], `${path}[${i}]`));
    return out;
  }
  if (isPlainObject(upstream) && isPlainObject(ours)) {
    const out: Difference[] = [];
    for (const key of [...new Set([...Object.keys(upstream), ...Object.keys(ours)])])
      out.push(...diffObjects(upstream[key], ours[key], keyPath(path, key)));
    return out;
  }
  return Object.is(upstream, ours) ? [] : [{ path, change: 'changed', upstream, ours }];
}

/** A difference the test expects, with the reason; `check` may insist on the values too. */
export interface AllowedDifference {
  /** Exact path, or a pattern over it. */
  path: string | RegExp;
  change: Difference['change'];
  reason: string;
  check?: (d: Difference) => boolean;
}

/** The differences that no allow-list entry explains (path, change and check all agree). */
export function unexplained(
  diffs: readonly Difference[],
  allowed: readonly AllowedDifference[],
): Difference[] {
  return diffs.filter(
    (d) =>
      !allowed.some(
        (a) =>
          a.change === d.change &&
          (typeof a.path === 'string' ? a.path === d.path : a.path.test(d.path)) &&
          (a.check === undefined || a.check(d)),
      ),
  );
}

/** An RBAC PolicyRule as plain data. */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

function within(ours: string[] | undefined, theirs: string[] | undefined): boolean {
  if (ours === undefined || ours.length === 0) return true;
  if (theirs === undefined) return false;
  return theirs.includes('*') || ours.every((x) => theirs.includes(x));
}

/** True when one rule of `by` grants everything `rule` grants. */
export function ruleCovered(rule: PolicyRule, by: readonly PolicyRule[]): boolean {
  return by.some(
    (u) =>
      within(rule.apiGroups, u.apiGroups) &&
      within(rule.resources, u.resources) &&
      within(rule.verbs, u.verbs) &&
      within(rule.nonResourceURLs, u.nonResourceURLs) &&
      // A rule limited to names is covered by one with no names (all) or a superset of names.
      (u.resourceNames === undefined ||
        u.resourceNames.length === 0 ||
        (rule.resourceNames !== undefined &&
          rule.resourceNames.length > 0 &&
          within(rule.resourceNames, u.resourceNames))),
  );
}

/** The rules of `ours` that no rule of `upstream` covers: empty means ours is no broader. */
export function broaderRules(ours: readonly PolicyRule[], upstream: readonly PolicyRule[]): PolicyRule[] {
  return ours.filter((r) => !ruleCovered(r, upstream));
}
