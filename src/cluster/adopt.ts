/**
 * Adoption: netpack takes over an object it would create that someone else made (Pharos and
 * `kubectl apply`, another tool's server-side apply). Done as kubectl's csaupgrade does it for
 * client-side apply: the fields those managers own are moved into netpack's own Apply entry of
 * managedFields (a JSON patch guarded by the resourceVersion read), then netpack applies its
 * render with force. The server removes every field netpack now owns and does not apply (the
 * last-applied-configuration annotation, a Pharos side-car, options netpack does not set), so
 * the object ends exactly as netpack renders it and `diff` is clean afterwards.
 */

import type { CreateOnlySecret } from './desired.ts';
import {
  isObject,
  isOurs,
  type ManagedFieldsEntry,
  objectChanges,
  type PlanItem,
  takenOver,
} from './plan.ts';
import {
  type ClusterClient,
  FIELD_MANAGER,
  type JsonPatchOp,
  type KubeObject,
  type ObjectRef,
  refKey,
  showRef,
  toRef,
} from './types.ts';

/** The union of two FieldsV1 sets (`{"f:spec": {"f:x": {}}}`). */
export function mergeFields(a: unknown, b: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = isObject(a) ? { ...a } : {};
  if (!isObject(b)) return out;
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeFields(out[k], v) : v;
  return out;
}

/**
 * managedFields after the takeover: the entries `takenOver` picks are folded into netpack's
 * Apply entry (made when there is none); every other entry stays as it is. Pure.
 */
export function upgradedManagedFields(live: KubeObject, now: string): ManagedFieldsEntry[] {
  const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  const moved = entries.filter(takenOver);
  const ownIndex = entries.findIndex(
    (e) => e.manager === FIELD_MANAGER && e.operation === 'Apply' && !e.subresource,
  );
  const own: ManagedFieldsEntry =
    ownIndex >= 0
      ? { ...entries[ownIndex]! }
      : {
          manager: FIELD_MANAGER,
          operation: 'Apply',
          apiVersion: live.apiVersion,
          time: now,
          fieldsType: 'FieldsV1',
          fieldsV1: {},
        };
  for (const e of moved) own.fieldsV1 = mergeFields(own.fieldsV1, e.fieldsV1);
  const kept = entries.filter((e, i) => !takenOver(e) && i !== ownIndex);
  return [...kept, own];
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Moves the fields to netpack (retrying when the object changed under it), then applies with force. */
export async function adoptObject(
  client: ClusterClient,
  desired: KubeObject,
  ref: ObjectRef,
  opts: { dryRun: boolean },
): Promise<void> {
  for (let attempt = 0; !opts.dryRun && attempt < 5; attempt++) {
    const live = await client.get(ref);
    if (!live) break; // gone meanwhile: the apply below creates it
    const ops: JsonPatchOp[] = [
      { op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
      { op: 'replace', path: '/metadata/managedFields', value: upgradedManagedFields(live, now()) },
    ];
    if ((await client.patchJson(ref, ops)) !== 'conflict') break;
    if (attempt === 4)
      throw new Error(`${showRef(ref)} kept changing while netpack took it over; run apply again`);
  }
  await client.apply(desired, { dryRun: opts.dryRun, force: true });
}

/**
 * The render's objects that a metadata-only list (`names`) shows without netpack's label, read
 * whole: adoption compares and takes over every field. Those with the label are left to the
 * labelled list beside it; one GET each, all at once, and none on a cluster with nothing to adopt.
 */
export async function readWhole(
  client: ClusterClient,
  names: readonly KubeObject[],
  wanted: ReadonlySet<string>,
): Promise<KubeObject[]> {
  const theirs = names.filter((o) => !isOurs(o) && wanted.has(refKey(o)));
  const whole = await Promise.all(theirs.map((o) => client.get(toRef(o))));
  return whole.filter((o): o is KubeObject => o !== undefined);
}

/**
 * Create-only Secrets someone else made (Pharos' weave-passwd): adopted by netpack's labels
 * only, so delete removes them later; their value is what the running mesh uses, never replaced.
 */
export function labelAdoptions(
  createOnly: readonly CreateOnlySecret[],
  unlabelled: ReadonlyMap<string, KubeObject>,
): PlanItem[] {
  const out: PlanItem[] = [];
  for (const s of createOnly) {
    const ref: ObjectRef = { apiVersion: 'v1', kind: 'Secret', namespace: s.namespace, name: s.name };
    const theirs = unlabelled.get(refKey(ref));
    if (!theirs) continue;
    const desired: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: s.name, namespace: s.namespace, labels: { ...s.build().metadata.labels } },
    };
    out.push({ action: 'adopt', ref, desired, changes: objectChanges(desired, theirs), valueKept: true });
  }
  return out;
}
