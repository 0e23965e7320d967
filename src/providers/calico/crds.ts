import { readFileSync } from 'node:fs';
import type { KubeObject } from '../../render/types.ts';

/**
 * Calico's CustomResourceDefinitions (generated from upstream calico.yaml; see README.md).
 *
 * They are ~400 KB of data. Bundled into the CLI as a JavaScript literal they would be compiled
 * on every start, whatever the provider; read as JSON they cost ~3 ms and only Calico renders
 * pay it. The file sits beside this module in the source tree and in dist/, and beside the
 * bundled CLI (the build copies it to both places).
 */
interface Generated {
  calicoVersion: string;
  crds: KubeObject[];
}

/** Parsed afresh on each call: cheaper than parsing once and deep-copying, and callers may change it. */
function generated(): Generated {
  return JSON.parse(readFileSync(new URL('./crds.generated.json', import.meta.url), 'utf8')) as Generated;
}

/** Calico's CRDs, as fresh objects the caller may change. */
export function calicoCrds(): KubeObject[] {
  return generated().crds;
}
