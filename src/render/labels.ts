import { COMPONENT_LABEL, type KubeObject, MANAGED_BY, MANAGED_BY_LABEL } from './types.ts';

/** What rendered an object; the value of `app.kubernetes.io/component`. */
export type Component = 'weave' | 'calico' | 'node-local-dns' | 'custom';

/**
 * A copy of `obj` whose `metadata.labels` carry netpack's two labels, after the labels the
 * provider set. Ours win over a provider's or a custom manifest's: apply prunes by them, so an
 * object labelled `managed-by: helm` must not slip out of netpack's inventory.
 */
export function withCommonLabels(obj: KubeObject, component: Component): KubeObject {
  const labels = {
    ...(obj.metadata.labels ?? {}),
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [COMPONENT_LABEL]: component,
  };
  return { ...obj, metadata: { ...obj.metadata, labels } };
}

/**
 * The object with a fixed, readable key order: `apiVersion`, `kind`, `metadata` (`name`,
 * `namespace`, `labels`, `annotations`, then the rest), then the other keys as the provider
 * wrote them. Serialisation follows insertion order, so this makes output stable.
 */
export function withKeyOrder(obj: KubeObject): KubeObject {
  const { name, namespace, labels, annotations, ...restMeta } = obj.metadata;
  const metadata: KubeObject['metadata'] = { name };
  if (namespace !== undefined) metadata.namespace = namespace;
  if (labels !== undefined) metadata.labels = labels;
  if (annotations !== undefined) metadata.annotations = annotations;
  Object.assign(metadata, restMeta);
  const { apiVersion, kind, metadata: _ignored, ...rest } = obj;
  return { apiVersion, kind, metadata, ...rest };
}
