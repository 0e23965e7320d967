// The object store: one global resourceVersion counter, objects keyed by type/namespace/name,
// a bounded event history for watches, and subscribers (watch connections, controllers).
import { type KubeObject, qualifiedName, ResourceRegistry, type ResourceType } from './resources.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  rv: number;
  rt: ResourceType;
  object: KubeObject;
}

export interface StoreOptions {
  /** How many events watches can replay from; older resourceVersions get 410 Gone. Default 1000. */
  historyLimit?: number;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

function typeKey(rt: ResourceType): string {
  return qualifiedName(rt);
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class Store {
  readonly registry = new ResourceRegistry();
  private rv = 1000;
  /** Events with rv <= this are gone from the history. */
  private compactedThrough = 1000;
  private readonly history: StoreEvent[] = [];
  private readonly historyLimit: number;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  /** Each table sorted by key, for `peek`; dropped by every write to the table. */
  private readonly sortedCache = new WeakMap<Map<string, KubeObject>, KubeObject[]>();
  /** The same, per namespace, so that each page of a namespaced list does not filter the table again. */
  private readonly namespaceCache = new WeakMap<Map<string, KubeObject>, Map<string, KubeObject[]>>();
  private readonly subscribers = new Set<(e: StoreEvent) => void>();
  private uidCounter = 0;

  constructor(opts: StoreOptions = {}) {
    this.historyLimit = opts.historyLimit ?? 1000;
  }

  /** The current (latest) resourceVersion. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Oldest resourceVersion a watch may still start from. */
  get oldestWatchableVersion(): number {
    return this.compactedThrough;
  }

  nextUid(): string {
    this.uidCounter++;
    const hex = this.uidCounter.toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${hex}`;
  }

  private table(rt: ResourceType): Map<string, KubeObject> {
    const key = typeKey(rt);
    let t = this.objects.get(key);
    if (!t) {
      t = new Map();
      this.objects.set(key, t);
    }
    return t;
  }

  /** A copy of the stored object, or undefined. */
  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.table(rt).get(objectKey(rt.namespaced ? namespace : undefined, name));
    return obj && clone(obj);
  }

  /**
   * The stored objects of a type (in one namespace when given), sorted by namespace/name, not
   * copied: for reading only (a list page copies just the objects it sends, so paging through
   * 20,000 nodes does not copy all of them for every page).
   */
  peek(rt: ResourceType, namespace?: string): readonly KubeObject[] {
    const table = this.table(rt);
    let sorted = this.sortedCache.get(table);
    if (!sorted) {
      sorted = [...table.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
      this.sortedCache.set(table, sorted);
    }
    if (namespace === undefined) return sorted;
    let byNamespace = this.namespaceCache.get(table);
    if (!byNamespace) {
      byNamespace = new Map();
      this.namespaceCache.set(table, byNamespace);
    }
    let inNamespace = byNamespace.get(namespace);
    if (!inNamespace) {
      inNamespace = sorted.filter((o) => o.metadata.namespace === namespace);
      byNamespace.set(namespace, inNamespace);
    }
    return inNamespace;
  }

  /** Copies of all objects of a type (in one namespace when given), sorted by namespace/name. */
  list(rt: ResourceType, namespace?: string): KubeObject[] {
    return [...this.table(rt).entries()]
      .filter(([, o]) => namespace === undefined || o.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => clone(o));
  }

  /** Stores the object under a new resourceVersion and tells subscribers. Returns the stored copy. */
  commit(rt: ResourceType, obj: KubeObject): KubeObject {
    const key = objectKey(rt.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name!);
    const existed = this.table(rt).has(key);
    this.rv++;
    const stored = clone(obj);
    stored.metadata.resourceVersion = String(this.rv);
    this.table(rt).set(key, stored);
    this.sortedCache.delete(this.table(rt));
    this.namespaceCache.delete(this.table(rt));
    this.emit({ type: existed ? 'MODIFIED' : 'ADDED', rv: this.rv, rt, object: clone(stored) });
    return clone(stored);
  }

  /** Removes the object (the DELETED event carries a new resourceVersion, as real servers do). */
  remove(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = objectKey(rt.namespaced ? namespace : undefined, name);
    const obj = this.table(rt).get(key);
    if (!obj) return undefined;
    this.table(rt).delete(key);
    this.sortedCache.delete(this.table(rt));
    this.namespaceCache.delete(this.table(rt));
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    this.emit({ type: 'DELETED', rv: this.rv, rt, object: clone(obj) });
    return clone(obj);
  }

  /** Events after `rv` for replay, or 'expired' when history no longer reaches back that far. */
  eventsSince(rv: number): StoreEvent[] | 'expired' {
    if (rv < this.compactedThrough) return 'expired';
    return this.history.filter((e) => e.rv > rv).map((e) => ({ ...e, object: clone(e.object) }));
  }

  /** Drops the whole event history, so any resourceVersion older than now is "too old" (410). */
  compact(): void {
    this.history.length = 0;
    this.compactedThrough = this.rv;
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyLimit) this.compactedThrough = this.history.shift()!.rv;
    for (const fn of [...this.subscribers]) fn(event);
  }

  // ---- conveniences for tests ----

  /** Finds an object by kind (any group) and name, e.g. `store.find('DaemonSet', 'calico-node', 'kube-system')`. */
  find(kind: string, name: string, namespace?: string): KubeObject | undefined {
    const rt = this.registry.byKindAnyGroup(kind) ?? this.anyKnownType(kind);
    return rt && this.get(rt, namespace, name);
  }

  /** All stored objects of a kind (any group), or of every kind. */
  all(kind?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const t of this.objects.values()) {
      for (const o of t.values()) if (kind === undefined || o.kind === kind) out.push(clone(o));
    }
    return out;
  }

  /** Types with stored objects whose CRD is no longer registered still need to be found. */
  private anyKnownType(kind: string): ResourceType | undefined {
    for (const t of this.objects.values()) {
      for (const o of t.values()) {
        if (o.kind === kind && o.apiVersion) return this.registry.byKind(o.apiVersion, kind);
      }
    }
    return undefined;
  }
}
