/**
 * What an apply would do, from the desired objects, the previous inventory and the live
 * objects: create, update (field by field), leave alone, or prune. Pure.
 *
 * "No change" means: every field netpack sets already has that value live (the server may
 * have added defaults around them), and no field netpack owned before (managedFields of
 * manager `netpack`) has been dropped from the render. Then apply sends nothing at all.
 */
import { deleteRank } from '../render/order.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../render/types.ts';
import { FIELD_MANAGER, type KubeObject, type ObjectRef, refKey, toRef } from './types.ts';

export type FieldChange =
  | { op: 'add'; path: string; to: unknown }
  | { op: 'change'; path: string; from: unknown; to: unknown }
  | { op: 'remove'; path: string; from: unknown };

export type PlanItem =
  | { action: 'create'; ref: ObjectRef; desired: KubeObject }
  | { action: 'update'; ref: ObjectRef; desired: KubeObject; changes: FieldChange[] }
  | { action: 'unchanged'; ref: ObjectRef; desired: KubeObject }
  /**
   * Exists without netpack's label (kubectl, Pharos, another tool made it): `apply --adopt`
   * takes it over; `changes` are against the live object, fields others own that the render
   * does not set included (they go).
   */
  | {
      action: 'adopt';
      ref: ObjectRef;
      desired: KubeObject;
      changes: FieldChange[];
      /** A create-only Secret: only netpack's labels are set, its value and other fields stay. */
      valueKept?: boolean;
    }
  | { action: 'prune'; ref: ObjectRef }
  /** In the previous inventory, gone from the render, but not ours any more: left alone. */
  | { action: 'keep'; ref: ObjectRef; why: string };

export interface Plan {
  /** Desired objects in apply order, then prunes. */
  items: PlanItem[];
  /** Whether applying would write anything (create-only Secrets are counted by the caller). */
  changes: number;
}

/** Shown instead of any value under a Secret's data. */
export const REDACTED = '(redacted)';

const SECRET_FIELDS = new Set(['data', 'stringData']);

/** A JSON map (not null, not a list). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `live` has every field of `want` with the same value (servers add defaults around them). */
export function covers(want: unknown, live: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(live) && want.length === live.length && want.every((w, i) => covers(w, live[i]));
  }
  if (isObject(want)) {
    return isObject(live) && Object.entries(want).every(([k, w]) => covers(w, live[k]));
  }
  return want === live;
}

/** Metadata fields netpack sets and compares; identity and server fields are not compared. */
const COMPARED_METADATA = ['labels', 'annotations'];

function fieldDiff(want: unknown, live: unknown, path: string, out: FieldChange[]): void {
  if (isObject(want) && isObject(live)) {
    for (const [k, w] of Object.entries(want)) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in live) || live[k] === undefined) out.push({ op: 'add', path: p, to: w });
      else fieldDiff(w, live[k], p, out);
    }
    return;
  }
  if (!covers(want, live)) out.push({ op: 'change', path, from: live, to: want });
}

/**
 * Leaf paths of a FieldsV1 set, stopping at list members (`k:`, `v:`, `i:`): netpack compares
 * lists as wholes. `f:metadata: {f:labels: {f:a: {}}}` gives `metadata.labels.a`.
 */
export function ownedPaths(fields: unknown, prefix: string[] = []): string[][] {
  if (!isObject(fields)) return [prefix];
  const keys = Object.keys(fields).filter((k) => k !== '.');
  const named = keys.filter((k) => k.startsWith('f:'));
  if (named.length === 0) return prefix.length > 0 ? [prefix] : [];
  return named.flatMap((k) => ownedPaths(fields[k], [...prefix, k.slice(2)]));
}

function has(obj: unknown, path: string[]): boolean {
  let cur: unknown = obj;
  for (const p of path) {
    if (Array.isArray(cur)) return true;
    if (!isObject(cur) || !(p in cur)) return false;
    cur = cur[p];
  }
  return true;
}

function valueAt(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) cur = isObject(cur) ? cur[p] : undefined;
  return cur;
}

/** One entry of metadata.managedFields. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

const ownApply = (e: ManagedFieldsEntry) => e.manager === FIELD_MANAGER && e.operation === 'Apply';

/** Field managers of client-side `kubectl apply` (and the name csaupgrade gives fields set before any apply). */
const CLIENT_SIDE_APPLY = new Set(['kubectl-client-side-apply', 'before-first-apply']);

/**
 * The entries an adoption takes over, as kubectl's csaupgrade moves client-side apply's fields to
 * a server-side apply manager: client-side apply's Update entries, and other tools' server-side
 * apply entries, of the object itself (not of its status). Controllers' Update entries stay theirs.
 */
export function takenOver(e: ManagedFieldsEntry): boolean {
  if (e.subresource || e.manager === FIELD_MANAGER) return false;
  return (e.operation === 'Update' && CLIENT_SIDE_APPLY.has(e.manager ?? '')) || e.operation === 'Apply';
}

/** Fields the chosen managedFields entries own that the render does not set. */
function fieldsNotRendered(
  desired: KubeObject,
  live: KubeObject,
  chosen: (e: ManagedFieldsEntry) => boolean,
): FieldChange[] {
  const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  const out: FieldChange[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (!chosen(e)) continue;
    for (const path of ownedPaths(e.fieldsV1)) {
      if (path[0] === 'metadata' && !COMPARED_METADATA.includes(path[1] ?? '')) continue;
      if (path[0] === 'status' || seen.has(path.join('.'))) continue;
      seen.add(path.join('.'));
      if (!has(desired, path)) out.push({ op: 'remove', path: path.join('.'), from: valueAt(live, path) });
    }
  }
  return out;
}

/** Field changes that adopting `live` makes: the render's values, and what others set that it does not. */
export function adoptionChanges(desired: KubeObject, live: KubeObject): FieldChange[] {
  const out = objectChanges(desired, live);
  const removed = fieldsNotRendered(desired, live, takenOver);
  const all = [...out, ...removed.filter((r) => !out.some((c) => c.path === r.path))];
  return desired.kind === 'Secret' ? all.map(redact) : all;
}

/** Field changes that turn `live` into `desired`; empty when applying would change nothing. */
export function objectChanges(desired: KubeObject, live: KubeObject): FieldChange[] {
  const out: FieldChange[] = [];
  // status belongs to controllers; apply of the main resource leaves it as it is.
  const { apiVersion: _a, kind: _k, metadata, status: _s, ...body } = desired;
  const { metadata: liveMeta, ...liveBody } = live;
  for (const m of COMPARED_METADATA) {
    if (metadata[m] !== undefined) fieldDiff({ [m]: metadata[m] }, { [m]: liveMeta[m] }, 'metadata', out);
  }
  fieldDiff(body, liveBody, '', out);
  out.push(...fieldsNotRendered(desired, live, ownApply));
  return desired.kind === 'Secret' ? out.map(redact) : out;
}

function redact(c: FieldChange): FieldChange {
  if (!SECRET_FIELDS.has(c.path.split('.')[0] ?? '')) return c;
  switch (c.op) {
    case 'add':
      return { ...c, to: REDACTED };
    case 'change':
      return { ...c, from: REDACTED, to: REDACTED };
    case 'remove':
      return { ...c, from: REDACTED };
  }
}

export function isOurs(obj: KubeObject): boolean {
  return obj.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY;
}

/**
 * The plan. `live` maps `refKey` to the live object (only objects that exist); `inventory` is
 * the previous apply's list (undefined on a first apply: nothing to prune). An inventory entry
 * the render dropped is pruned only when it still exists, still carries netpack's managed-by
 * label and has no owner; anything else is left alone.
 */
export function planChanges(
  desired: readonly KubeObject[],
  live: ReadonlyMap<string, KubeObject>,
  inventory: readonly ObjectRef[] | undefined,
  protectedKeys: ReadonlySet<string> = new Set(),
  unlabelled: ReadonlyMap<string, KubeObject> = new Map(),
): Plan {
  const items: PlanItem[] = [];
  let changes = 0;
  const wanted = new Set<string>();
  for (const obj of desired) {
    const key = refKey(obj);
    wanted.add(key);
    const current = live.get(key);
    const theirs = current ? undefined : unlabelled.get(key);
    if (theirs) {
      items.push({ action: 'adopt', ref: toRef(obj), desired: obj, changes: adoptionChanges(obj, theirs) });
      changes++;
      continue;
    }
    if (!current) {
      items.push({ action: 'create', ref: toRef(obj), desired: obj });
      changes++;
      continue;
    }
    const diff = objectChanges(obj, current);
    if (diff.length === 0) items.push({ action: 'unchanged', ref: toRef(obj), desired: obj });
    else {
      items.push({ action: 'update', ref: toRef(obj), desired: obj, changes: diff });
      changes++;
    }
  }
  const prunes: PlanItem[] = [];
  for (const ref of inventory ?? []) {
    const key = refKey(ref);
    if (wanted.has(key) || protectedKeys.has(key)) continue;
    const current = live.get(key);
    if (!current) continue;
    if (!isOurs(current)) {
      prunes.push({ action: 'keep', ref, why: `it no longer carries ${MANAGED_BY_LABEL}=${MANAGED_BY}` });
      continue;
    }
    if (Array.isArray(current.metadata.ownerReferences) && current.metadata.ownerReferences.length > 0) {
      prunes.push({ action: 'keep', ref, why: 'another object owns it' });
      continue;
    }
    prunes.push({ action: 'prune', ref });
    changes++;
  }
  // Namespaced objects go before cluster-scoped ones (their namespace or CRD may be among them).
  prunes.sort((a, b) => deleteRank(a.ref) - deleteRank(b.ref));
  items.push(...prunes);
  return { items, changes };
}
