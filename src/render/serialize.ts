import type { KubeObject } from './types.ts';
import { writtenAhead } from './written-ahead.ts';
import { emitYaml } from './yaml-emit.ts';

/**
 * One object as a YAML document, ending in a newline. Strings that kubectl's YAML 1.1 reader
 * could take for something else (`"on"`, `"yes"`, `"0755"`) are quoted, long strings are not
 * folded, and no anchors are written (see yaml-emit.ts for why not the `yaml` library).
 */
export function toYaml(obj: KubeObject): string {
  return writtenAhead(obj) ?? emitYaml(obj);
}

/** A multi-document YAML stream: every document starts with `---`. Empty for no objects. */
export function toYamlStream(objects: readonly KubeObject[]): string {
  return objects.map((obj) => `---\n${toYaml(obj)}`).join('');
}

/** A `v1 List` of the objects as indented JSON, ending in a newline. */
export function toJsonList(objects: readonly KubeObject[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
}

export interface OutFile {
  name: string;
  content: string;
}

/** Lowercase, with every character outside `[a-z0-9._-]` replaced by `_`. */
function safeName(part: string): string {
  return part.toLowerCase().replace(/[^a-z0-9._-]/g, '_');
}

/**
 * One YAML file per object, named `NNN-kind[-namespace]-name.yaml`, numbered in the given order
 * and zero-padded to the width of the count (at least 3 digits), so sorting the names restores
 * the apply order: `000-customresourcedefinition-ippools.crd.projectcalico.org.yaml`.
 */
export function outDirFiles(objects: readonly KubeObject[]): OutFile[] {
  const width = Math.max(3, String(Math.max(objects.length - 1, 0)).length);
  return objects.map((obj, index) => {
    const parts = [String(index).padStart(width, '0'), obj.kind];
    if (obj.metadata.namespace) parts.push(obj.metadata.namespace);
    parts.push(obj.metadata.name);
    return { name: `${parts.map(safeName).join('-')}.yaml`, content: toYaml(obj) };
  });
}
