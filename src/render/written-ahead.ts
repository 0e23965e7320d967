/**
 * YAML written at build time for big objects every Calico render carries unchanged: its CRDs
 * (~8,000 lines, about a sixth of `netpack render`'s time). The build (scripts/bundle.mjs) renders
 * them once and stores each CRD's YAML with the SHA-256 of its JSON beside the bundle (the digest,
 * not the JSON: the package would carry the CRDs twice); `toYaml` takes the stored YAML only for an
 * object whose JSON has exactly that digest, so a CRD that differs in any way is written afresh.
 * Without the file (running from the sources) everything is written afresh.
 */
import { readFileSync } from 'node:fs';
import { nodeCrypto } from '../builtin.ts';
import type { KubeObject } from './types.ts';

/** The file name; `scripts/write-ahead.ts` writes it into dist/. */
export const WRITTEN_AHEAD_FILE = 'crds.written-ahead.json';

interface Entry {
  /** SHA-256 (hex) of the CRD's JSON.stringify. */
  sha256: string;
  yaml: string;
}

/** The digest an entry stores for `json`. */
export function jsonDigest(json: string): string {
  return nodeCrypto().createHash('sha256').update(json).digest('hex');
}

let entries: Map<string, Entry> | undefined;

function load(): Map<string, Entry> {
  if (entries) return entries;
  entries = new Map();
  try {
    const list = JSON.parse(
      readFileSync(new URL(`./${WRITTEN_AHEAD_FILE}`, import.meta.url), 'utf8'),
    ) as (Entry & {
      name: string;
    })[];
    for (const e of list) entries.set(e.name, { sha256: e.sha256, yaml: e.yaml });
  } catch {
    // No file beside this module: nothing written ahead.
  }
  return entries;
}

/** The YAML written ahead for `obj`, when `obj` is exactly the object it was written from. */
export function writtenAhead(obj: KubeObject): string | undefined {
  if (obj.kind !== 'CustomResourceDefinition') return undefined;
  const entry = load().get(obj.metadata.name);
  return entry && jsonDigest(JSON.stringify(obj)) === entry.sha256 ? entry.yaml : undefined;
}
