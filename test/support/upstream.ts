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
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
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
