// Field ownership (managedFields) and the patch flavours: server-side apply, JSON merge patch
// (strategic merge patch is treated as merge patch), and JSON patch.
//
// Ownership is tracked per leaf path. Maps are walked into; lists are atomic leaves (real servers
// key lists such as containers by name; that granularity is not needed to exercise conflicts).
import type { KubeObject, ManagedFieldsEntry } from './resources.ts';
import { clone } from './store.ts';

type Path = string[];
type Obj = Record<string, unknown>;

/** metadata fields the server owns; they never appear in managedFields. */
const SYSTEM_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'managedFields',
  'selfLink',
]);

export function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** Which part of an object a write covers: the main resource or its `/status` subresource. */
export interface WriteScope {
  subresource?: 'status';
  /** The type has a status subresource, so main-resource writes leave `status` alone. */
  statusSubresource: boolean;
}

function topLevelInScope(key: string, scope: WriteScope): boolean {
  if (key === 'apiVersion' || key === 'kind') return false;
  if (scope.subresource === 'status') return key === 'status';
  return !(key === 'status' && scope.statusSubresource);
}

/** Leaf paths (JSON-encoded) of the fields a write in this scope may own, with their values. */
export function leaves(obj: KubeObject, scope: WriteScope): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (value: unknown, path: Path): void => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        if (path.length === 1 && path[0] === 'metadata' && SYSTEM_METADATA.has(k)) continue;
        walk(v, [...path, k]);
      }
    } else if (path.length > 0) out.set(JSON.stringify(path), value);
  };
  for (const [k, v] of Object.entries(obj)) {
    if (topLevelInScope(k, scope) && v !== undefined) {
      if (k === 'metadata' && isPlainObject(v)) walk(v, ['metadata']);
      else walk(v, [k]);
    }
  }
  // metadata with only system fields is not a leaf of its own.
  if (out.get('["metadata"]') !== undefined) out.delete('["metadata"]');
  return out;
}

export function getPath(obj: unknown, path: Path): unknown {
  let cur = obj;
  for (const k of path) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function setPath(obj: Obj, path: Path, value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k] as Obj;
  }
  cur[path[path.length - 1]!] = value;
}

function deletePath(obj: Obj, path: Path): void {
  const parent = getPath(obj, path.slice(0, -1));
  if (isPlainObject(parent)) delete parent[path[path.length - 1]!];
}

function overlaps(a: Path, b: Path): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `{"f:spec": {"f:replicas": {}}}` from leaf paths, the shape real servers use. */
export function toFieldsV1(paths: Iterable<string>): Obj {
  const root: Obj = {};
  for (const encoded of [...paths].sort()) {
    let cur = root;
    for (const k of JSON.parse(encoded) as Path) {
      const key = `f:${k}`;
      if (!isPlainObject(cur[key])) cur[key] = {};
      cur = cur[key] as Obj;
    }
  }
  return root;
}

export function fromFieldsV1(fields: Obj): Set<string> {
  const out = new Set<string>();
  const walk = (node: Obj, path: Path): void => {
    const keys = Object.keys(node).filter((k) => k.startsWith('f:'));
    if (keys.length === 0 && path.length > 0) out.add(JSON.stringify(path));
    for (const k of keys) walk(node[k] as Obj, [...path, k.slice(2)]);
  };
  walk(fields, []);
  return out;
}

interface Owner {
  entry: ManagedFieldsEntry;
  paths: Set<string>;
  changed: boolean;
}

function owners(obj: KubeObject | undefined): Owner[] {
  return (obj?.metadata.managedFields ?? []).map((entry) => ({
    entry,
    paths: fromFieldsV1(entry.fieldsV1),
    changed: false,
  }));
}

function sameSubresource(e: ManagedFieldsEntry, scope: WriteScope): boolean {
  return (e.subresource ?? '') === (scope.subresource ?? '');
}

function render(list: Owner[], now: string): ManagedFieldsEntry[] {
  return list
    .filter((o) => o.paths.size > 0)
    .map((o) => ({ ...o.entry, time: o.changed ? now : o.entry.time, fieldsV1: toFieldsV1(o.paths) }));
}

function dotted(encoded: string): string {
  return `.${(JSON.parse(encoded) as Path).join('.')}`;
}

export interface ApplyContext extends WriteScope {
  manager: string;
  force: boolean;
  now: string;
}

export type ApplyOutcome =
  | { ok: true; object: KubeObject }
  | { ok: false; message: string; causes: { field: string; message: string }[] };

/**
 * Server-side apply of `applied` onto `current` (undefined: create). A field another manager owns
 * with a different value is a conflict unless `force`, which takes the field over. Fields this
 * manager applied before and no longer applies are removed unless someone else owns them.
 * The result carries updated managedFields; server metadata (uid, resourceVersion...) is the caller's.
 */
export function serverSideApply(
  current: KubeObject | undefined,
  applied: KubeObject,
  ctx: ApplyContext,
): ApplyOutcome {
  const appliedLeaves = leaves(applied, ctx);
  const base: KubeObject = current
    ? clone(current)
    : { apiVersion: applied.apiVersion, kind: applied.kind, metadata: {} };
  const list = owners(current);
  const isSelf = (o: Owner) =>
    o.entry.manager === ctx.manager && o.entry.operation === 'Apply' && sameSubresource(o.entry, ctx);
  const conflicts: { manager: string; apiVersion: string; path: string }[] = [];
  for (const [p, value] of appliedLeaves) {
    const path = JSON.parse(p) as Path;
    if (deepEqual(getPath(base, path), value)) continue;
    for (const o of list) {
      if (isSelf(o) || o.entry.manager === ctx.manager) continue;
      for (const q of [...o.paths]) {
        if (!overlaps(path, JSON.parse(q) as Path)) continue;
        conflicts.push({ manager: o.entry.manager, apiVersion: o.entry.apiVersion, path: p });
        if (ctx.force) {
          o.paths.delete(q);
          o.changed = true;
        }
      }
    }
  }
  if (conflicts.length > 0 && !ctx.force) return conflictOutcome(conflicts);

  let self = list.find(isSelf);
  const others = list.filter((o) => o !== self);
  for (const p of self?.paths ?? []) {
    if (appliedLeaves.has(p)) continue;
    const path = JSON.parse(p) as Path;
    if (!others.some((o) => [...o.paths].some((q) => overlaps(path, JSON.parse(q) as Path)))) {
      deletePath(base as Obj, path);
    }
  }
  for (const [p, value] of appliedLeaves) setPath(base as Obj, JSON.parse(p) as Path, clone(value));
  if (ctx.subresource !== 'status') base.apiVersion = applied.apiVersion;

  const newPaths = new Set(appliedLeaves.keys());
  if (!self) {
    self = {
      entry: {
        manager: ctx.manager,
        operation: 'Apply',
        apiVersion: applied.apiVersion ?? 'v1',
        time: ctx.now,
        fieldsType: 'FieldsV1',
        fieldsV1: {},
        ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
      },
      paths: new Set(),
      changed: true,
    };
    list.push(self);
  }
  if (!deepEqual([...self.paths].sort(), [...newPaths].sort())) self.changed = true;
  self.paths = newPaths;
  base.metadata.managedFields = render(list, ctx.now);
  return { ok: true, object: base };
}

function conflictOutcome(conflicts: { manager: string; apiVersion: string; path: string }[]): ApplyOutcome {
  const causes = conflicts.map((c) => ({
    field: dotted(c.path),
    message: `conflict with "${c.manager}" using ${c.apiVersion}`,
  }));
  const message =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: ${causes[0]!.message}: ${causes[0]!.field}`
      : `Apply failed with ${conflicts.length} conflicts: ${causes.map((c) => `${c.message}: ${c.field}`).join('\n- ')}`;
  return { ok: false, message, causes };
}

/**
 * managedFields after a non-apply write (create, PUT, merge/JSON patch) by `manager`: it takes
 * over every field whose value it changed; removed fields leave every owner.
 */
export function trackUpdate(
  previous: KubeObject | undefined,
  next: KubeObject,
  manager: string,
  scope: WriteScope,
  now: string,
): ManagedFieldsEntry[] {
  const before = previous ? leaves(previous, scope) : new Map<string, unknown>();
  const after = leaves(next, scope);
  const changed = [...after]
    .filter(([p, v]) => !before.has(p) || !deepEqual(before.get(p), v))
    .map(([p]) => p);
  const list = owners(previous);
  for (const o of list) {
    for (const q of [...o.paths]) {
      const qp = JSON.parse(q) as Path;
      const gone = getPath(next, qp) === undefined;
      const taken = o.entry.manager !== manager && changed.some((p) => overlaps(JSON.parse(p) as Path, qp));
      if (gone || taken) {
        o.paths.delete(q);
        o.changed = true;
      }
    }
  }
  if (changed.length > 0) {
    let self = list.find(
      (o) => o.entry.manager === manager && o.entry.operation === 'Update' && sameSubresource(o.entry, scope),
    );
    if (!self) {
      self = {
        entry: {
          manager,
          operation: 'Update',
          apiVersion: next.apiVersion ?? 'v1',
          time: now,
          fieldsType: 'FieldsV1',
          fieldsV1: {},
          ...(scope.subresource ? { subresource: scope.subresource } : {}),
        },
        paths: new Set(),
        changed: true,
      };
      list.push(self);
    }
    for (const p of changed) self.paths.add(p);
    self.changed = true;
  }
  return render(list, now);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: Obj = isPlainObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
}

/** RFC 6902 JSON patch with add, remove, replace and test. Throws on a failed op. */
export function jsonPatch(target: KubeObject, ops: JsonPatchOp[]): KubeObject {
  const doc = clone(target) as unknown as Obj;
  for (const op of ops) {
    const tokens = op.path
      .split('/')
      .slice(1)
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens[tokens.length - 1]!;
    const parent = getPathAny(doc, tokens.slice(0, -1));
    if (parent === undefined) throw new Error(`path ${op.path} not found`);
    if (op.op === 'test') {
      if (!deepEqual(getPathAny(doc, tokens), op.value)) throw new Error(`test failed at ${op.path}`);
    } else if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op.op === 'add') parent.splice(i, 0, clone(op.value));
      else if (op.op === 'remove') parent.splice(i, 1);
      else if (op.op === 'replace') parent[i] = clone(op.value);
      else throw new Error(`unsupported op ${op.op}`);
    } else if (isPlainObject(parent)) {
      if (op.op === 'add' || op.op === 'replace') parent[last] = clone(op.value);
      else if (op.op === 'remove') {
        if (!(last in parent)) throw new Error(`path ${op.path} not found`);
        delete parent[last];
      } else throw new Error(`unsupported op ${op.op}`);
    } else throw new Error(`path ${op.path} not found`);
  }
  return doc as unknown as KubeObject;
}

function getPathAny(obj: unknown, tokens: string[]): unknown {
  let cur = obj;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isPlainObject(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}
