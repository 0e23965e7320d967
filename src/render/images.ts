import type { KubeObject } from './types.ts';

/** An upstream image and the name it has in the operator's mirror (the same when there is none). */
export interface ImagePair {
  upstream: string;
  mirrored: string;
}

/**
 * Pharos' mirror rule: `REPO/<last path segment of the image>`, keeping the tag and digest.
 * `weaveworks/weave-kube:2.8.1` → `REPO/weave-kube:2.8.1`; `quay.io/calico/node:v3.32.1` →
 * `REPO/node:v3.32.1`; `registry.k8s.io/x@sha256:…` → `REPO/x@sha256:…`.
 */
export function mirrorImage(image: string, repository: string): string {
  const at = image.indexOf('@');
  const name = at === -1 ? image : image.slice(0, at);
  const digest = at === -1 ? '' : image.slice(at);
  // The last segment after `/` holds the name and tag; a registry port (`host:5000/`) is before it.
  const last = name.slice(name.lastIndexOf('/') + 1);
  return `${repository.replace(/\/+$/, '')}/${last}${digest}`;
}

/** The pod spec inside a workload, or undefined when the kind has none. */
function podSpecOf(obj: KubeObject): Record<string, unknown> | undefined {
  const spec = asRecord(obj.spec);
  switch (obj.kind) {
    case 'Pod':
      return spec;
    case 'DaemonSet':
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'Job':
      return asRecord(asRecord(spec?.template)?.spec);
    case 'CronJob':
      return asRecord(asRecord(asRecord(asRecord(spec?.jobTemplate)?.spec)?.template)?.spec);
    default:
      return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Every container (init containers first) of the object's pod template, as live references. */
export function containersOf(obj: KubeObject): Record<string, unknown>[] {
  const podSpec = podSpecOf(obj);
  if (!podSpec) return [];
  const out: Record<string, unknown>[] = [];
  for (const key of ['initContainers', 'containers']) {
    const list = podSpec[key];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      const container = asRecord(c);
      if (container) out.push(container);
    }
  }
  return out;
}

/** A copy of `obj` with the image of every container and init container moved to the mirror. */
export function rewriteImages(obj: KubeObject, repository: string): KubeObject {
  if (!podSpecOf(obj)) return obj;
  const copy = structuredClone(obj);
  for (const container of containersOf(copy)) {
    if (typeof container.image === 'string') container.image = mirrorImage(container.image, repository);
  }
  return copy;
}

/** The sorted, unique images that the objects' pod templates run. */
export function listImages(objects: readonly KubeObject[]): string[] {
  const images = new Set<string>();
  for (const obj of objects) {
    for (const container of containersOf(obj)) {
      if (typeof container.image === 'string') images.add(container.image);
    }
  }
  return [...images].sort();
}

/** Each upstream image with its mirrored name, sorted by upstream name. */
export function imagePairs(upstreamImages: readonly string[], repository: string | undefined): ImagePair[] {
  return [...new Set(upstreamImages)]
    .sort()
    .map((upstream) => ({ upstream, mirrored: repository ? mirrorImage(upstream, repository) : upstream }));
}
