/**
 * What `netpack version` shows of the network itself: the image of every container of netpack's
 * DaemonSets and Deployments, rendered (what apply would deploy) or live (what runs). Pure.
 */
import { containersOf } from '../render/images.ts';
import type { KubeObject } from '../render/types.ts';

export interface WorkloadVersion {
  /** `DaemonSet/kube-system/weave-net`. */
  workload: string;
  container: string;
  image: string;
  /** The image's tag (or digest when it has no tag); `latest` when it has neither. */
  version: string;
}

/** The tag of `image` (`registry:5000/weave-kube:2.8.1` → `2.8.1`). */
export function imageVersion(image: string): string {
  const [name, digest] = image.split('@');
  const last = (name ?? '').split('/').pop() ?? '';
  const colon = last.indexOf(':');
  if (colon >= 0) return last.slice(colon + 1);
  return digest ?? 'latest';
}

/** Every container of the DaemonSets and Deployments among `objects`, sorted by workload and container. */
export function workloadVersions(objects: readonly KubeObject[]): WorkloadVersion[] {
  const out: WorkloadVersion[] = [];
  for (const obj of objects) {
    if (obj.kind !== 'DaemonSet' && obj.kind !== 'Deployment') continue;
    const workload = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    for (const c of containersOf(obj)) {
      if (typeof c.image !== 'string') continue;
      out.push({ workload, container: String(c.name ?? ''), image: c.image, version: imageVersion(c.image) });
    }
  }
  return out.sort((a, b) =>
    a.workload === b.workload ? a.container.localeCompare(b.container) : a.workload.localeCompare(b.workload),
  );
}
