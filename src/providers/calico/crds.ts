import type { KubeObject } from '../../render/types.ts';
import generated from './crds.generated.json' with { type: 'json' };

/** Calico's CustomResourceDefinitions (generated from upstream calico.yaml; see README.md). */
export function calicoCrds(): KubeObject[] {
  return structuredClone(generated.crds as unknown as KubeObject[]);
}

/** The Calico version the generated CRDs were taken from. */
export const CRDS_CALICO_VERSION: string = generated.calicoVersion;
