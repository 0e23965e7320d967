/**
 * YAML written at build time for big objects every Calico render carries unchanged: its CRDs
 * (~8,000 lines, about a sixth of `netpack render`'s time). The build (scripts/bundle.mjs) renders
 * them once and stores each CRD's JSON and YAML beside the bundle; `toYaml` takes the stored YAML
 * only for an object whose JSON is exactly the stored one, so a CRD that differs in any way is
 * written afresh. Without the file (running from the sources) everything is written afresh.
 */
import { readFileSync } from 'node:fs';
import type { KubeObject } from './types.ts';

/** The file name; `scripts/write-ahead.ts` writes it into dist/. */
export const WRITTEN_AHEAD_FILE = 'crds.written-ahead.json';

interface Entry {
  json: string;
  yaml: string;
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
    for (const e of list) entries.set(e.name, { json: e.json, yaml: e.yaml });
  } catch {
    // No file beside this module: nothing written ahead.
  }
  return entries;
}

/** The YAML written ahead for `obj`, when `obj` is exactly the object it was written from. */
export function writtenAhead(obj: KubeObject): string | undefined {
  if (obj.kind !== 'CustomResourceDefinition') return undefined;
  const entry = load().get(obj.metadata.name);
  return entry && JSON.stringify(obj) === entry.json ? entry.yaml : undefined;
}
