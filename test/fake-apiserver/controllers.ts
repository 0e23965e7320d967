// What kube-apiserver's own controllers would do: CRDs become Established (and their resources
// servable) after a delay; deleting a CRD removes its custom resources; deleting a namespace
// removes what is in it.
import { type KubeObject, type ResourceType, resourceTypesOfCrd } from './resources.ts';
import type { Store } from './store.ts';

export interface ControllerOptions {
  /** Delay before a new CRD gets Established=True and its resources appear in discovery. Default 50. 0: at once. */
  crdEstablishDelayMs?: number;
  /** How long a deleted CRD that still has custom resources stays Terminating. Default 100. */
  crdCleanupDelayMs?: number;
}

function isEstablished(crd: KubeObject): boolean {
  const conditions = (crd.status as { conditions?: { type: string; status: string }[] } | undefined)
    ?.conditions;
  return conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
}

export class Controllers {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pendingEstablish = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly opts: ControllerOptions = {},
  ) {
    this.unsubscribe = store.subscribe((e) => {
      if (e.rt.kind === 'CustomResourceDefinition' && e.type !== 'DELETED') this.crdChanged(e.object);
      if (!e.rt.builtin && e.type === 'DELETED') this.customResourceDeleted(e.rt);
    });
  }

  private get crdType(): ResourceType {
    return this.store.registry.byKind('apiextensions.k8s.io/v1', 'CustomResourceDefinition')!;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private crdChanged(crd: KubeObject): void {
    const name = crd.metadata.name!;
    if (crd.metadata.deletionTimestamp) return;
    if (isEstablished(crd)) {
      this.store.registry.addCrd(crd);
      return;
    }
    if (this.pendingEstablish.has(name)) return;
    this.pendingEstablish.add(name);
    const delay = this.opts.crdEstablishDelayMs ?? 50;
    if (delay === 0) queueMicrotask(() => this.establish(name));
    else this.later(delay, () => this.establish(name));
  }

  /** Sets NamesAccepted and Established, and registers the CRD's resources. */
  establish(name: string): void {
    this.pendingEstablish.delete(name);
    const crd = this.store.get(this.crdType, undefined, name);
    if (!crd || crd.metadata.deletionTimestamp) return;
    const spec = crd.spec as { names: unknown; versions: { name: string; storage?: boolean }[] };
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const condition = (type: string, reason: string, message: string) => ({
      type,
      status: 'True',
      lastTransitionTime: now,
      reason,
      message,
    });
    crd.status = {
      conditions: [
        condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
        condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
      ],
      acceptedNames: spec.names,
      storedVersions: spec.versions.filter((v) => v.storage).map((v) => v.name),
    };
    this.store.registry.addCrd(crd);
    this.store.commit(this.crdType, crd);
  }

  /** Deletion with the behaviour of the kind; returns the object as the DELETE response shows it. */
  deleteObject(rt: ResourceType, obj: KubeObject): KubeObject {
    if (rt.kind === 'CustomResourceDefinition' && rt.group === 'apiextensions.k8s.io')
      return this.deleteCrd(obj);
    if (rt.kind === 'Namespace' && rt.group === '') {
      for (const t of this.store.registry.all()) {
        if (!t.namespaced) continue;
        for (const o of this.store.list(t, obj.metadata.name))
          this.store.remove(t, o.metadata.namespace, o.metadata.name!);
      }
    }
    return this.store.remove(rt, obj.metadata.namespace, obj.metadata.name!) ?? obj;
  }

  /** Like real servers: Terminating while custom resources remain, removed once they are gone. */
  private deleteCrd(crd: KubeObject): KubeObject {
    const crType = resourceTypesOfCrd(crd)[0];
    if (!crType || this.store.list(crType).length === 0)
      return this.finishCrdDeletion(crd.metadata.name!) ?? crd;
    if (crd.metadata.deletionTimestamp) return crd;
    crd.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const stored = this.store.commit(this.crdType, crd);
    this.later(this.opts.crdCleanupDelayMs ?? 100, () => {
      for (const o of this.store.list(crType))
        this.store.remove(crType, o.metadata.namespace, o.metadata.name!);
      this.finishCrdDeletion(crd.metadata.name!);
    });
    return stored;
  }

  private finishCrdDeletion(name: string): KubeObject | undefined {
    this.store.registry.removeCrd(name);
    return this.store.remove(this.crdType, undefined, name);
  }

  private customResourceDeleted(rt: ResourceType): void {
    if (this.store.list(rt).length > 0) return;
    const crd = this.store.get(this.crdType, undefined, `${rt.plural}.${rt.group}`);
    if (crd?.metadata.deletionTimestamp) this.finishCrdDeletion(crd.metadata.name!);
  }

  close(): void {
    this.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
