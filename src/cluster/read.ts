/**
 * The read of apply and diff: everything the decision needs, in one wave of parallel reads: the
 * state ConfigMap, the running network (`read-facts.ts`), the create-only Secrets, and each kind
 * of the render read once, so that one answer gives both netpack's labelled objects and the
 * render's objects that exist without netpack's label (someone else made them: adoption,
 * `adopt.ts`):
 * - DaemonSets, IPPools, Installations come from the running network's lists of every one;
 * - CRDs and Secrets, whose unselective lists would carry every operator's schemas (megabytes on a
 *   busy cluster) or a namespace's values: netpack's labelled list, and beside it a metadata-only
 *   list of the names there are; only a render's name found there unlabelled is then read whole
 *   (adoption, rare: one more wave then, none otherwise);
 * - every other kind: one list without a selector per namespace the render puts it in (a
 *   cluster-scoped kind: one list), netpack's objects told apart by their label.
 * Kinds or namespaces that only the stored inventory names (dropped since) are listed with
 * netpack's label once the state says which. Sends only reads.
 */
import { MANAGED_BY, MANAGED_BY_LABEL } from '../render/types.ts';
import { readWhole } from './adopt.ts';
import { type Desired, secretValues } from './desired.ts';
import type { LiveFacts } from './guard.ts';
import { parseState, STATE_REF, type StoredState } from './inventory.ts';
import { isOurs } from './plan.ts';
import { RUNNING_KINDS, readRunning, type StableFacts } from './read-facts.ts';
import { type ClusterClient, type KubeObject, type ObjectRef, refKey } from './types.ts';

export const OUR_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

/** Kinds whose unselective list is too heavy to read whole: their names are listed metadata-only. */
const HEAVY = new Set(['Secret', 'CustomResourceDefinition']);

/** Everything read from the cluster before deciding anything. */
export interface ClusterView {
  state: StoredState | undefined;
  /** Set when the state ConfigMap exists but cannot be read: apply stops. */
  stateProblem?: string;
  stateObject: KubeObject | undefined;
  /** Live objects netpack labelled, of every kind in the render or the inventory, by refKey. */
  live: Map<string, KubeObject>;
  facts: LiveFacts;
  /** Create-only Secrets that already exist, by refKey. */
  existingSecrets: Set<string>;
  /** Create-only Secrets from files whose live value differs from the file now (refKeys). */
  staleSecrets: Set<string>;
  /** Objects of the render that exist without netpack's label (someone else made them), by refKey. */
  unlabelled: Map<string, KubeObject>;
}

const kindKey = (apiVersion: string, kind: string) => `${apiVersion}|${kind}`;
/** What one list covers: a kind in a namespace, or everywhere (`*`). */
const scopeKey = (apiVersion: string, kind: string, namespace: string | undefined) =>
  `${kindKey(apiVersion, kind)}|${namespace ?? '*'}`;

/** The render's kinds, each with the namespaces its objects are in (undefined: cluster-scoped). */
function renderKinds(objects: readonly KubeObject[]) {
  const kinds = new Map<string, { apiVersion: string; kind: string; namespaces: Set<string | undefined> }>();
  for (const o of objects) {
    const k = kindKey(o.apiVersion, o.kind);
    const entry = kinds.get(k) ?? { apiVersion: o.apiVersion, kind: o.kind, namespaces: new Set() };
    entry.namespaces.add(o.metadata.namespace);
    kinds.set(k, entry);
  }
  return [...kinds.values()];
}

/**
 * The reads of the render's kinds (see the header), each started now: `covered` says which
 * scopes they list whole or by netpack's label, `objects` what they found (whole objects).
 */
function readKinds(
  client: ClusterClient,
  objects: readonly KubeObject[],
  running: Promise<{ listed: KubeObject[] }>,
): { covered: Set<string>; objects: Promise<KubeObject[][]> } {
  const covered = new Set<string>();
  const wanted = new Set(objects.map(refKey));
  const isRunningKind = (apiVersion: string, kind: string) =>
    RUNNING_KINDS.some((r) => r.apiVersion === apiVersion && r.kind === kind);
  const reads: Promise<KubeObject[]>[] = [running.then((r) => r.listed)];
  for (const r of RUNNING_KINDS) covered.add(scopeKey(r.apiVersion, r.kind, undefined));
  for (const { apiVersion, kind, namespaces } of renderKinds(objects)) {
    if (isRunningKind(apiVersion, kind)) continue;
    if (HEAVY.has(kind)) {
      covered.add(scopeKey(apiVersion, kind, undefined));
      reads.push(
        client.list(apiVersion, kind, { labelSelector: OUR_SELECTOR }).then((l) => l.items),
        ...[...namespaces].map(async (namespace) => {
          const names = await client.list(apiVersion, kind, { namespace, metadataOnly: true });
          return readWhole(client, names.items, wanted);
        }),
      );
      continue;
    }
    for (const namespace of namespaces) {
      covered.add(scopeKey(apiVersion, kind, namespace));
      reads.push(client.list(apiVersion, kind, { namespace }).then((l) => l.items));
    }
  }
  return { covered, objects: Promise.all(reads) };
}

/** netpack's labelled objects of the inventory's kinds that the render's reads did not cover. */
async function readInventoryRest(
  client: ClusterClient,
  inventory: readonly ObjectRef[],
  covered: ReadonlySet<string>,
): Promise<KubeObject[][]> {
  const kinds = new Map<string, ObjectRef>();
  for (const ref of inventory) {
    const everywhere = scopeKey(ref.apiVersion, ref.kind, undefined);
    if (covered.has(everywhere) || covered.has(scopeKey(ref.apiVersion, ref.kind, ref.namespace))) continue;
    kinds.set(kindKey(ref.apiVersion, ref.kind), ref);
  }
  return Promise.all(
    [...kinds.values()].map(async ({ apiVersion, kind }) => {
      const { items } = await client.list(apiVersion, kind, { labelSelector: OUR_SELECTOR });
      return items;
    }),
  );
}

async function readState(client: ClusterClient) {
  const stateObject = await client.get(STATE_REF);
  let state: StoredState | undefined;
  let stateProblem: string | undefined;
  if (stateObject) {
    const parsed = parseState(stateObject);
    if (parsed.ok) state = parsed.state;
    else stateProblem = parsed.reason;
  }
  return { stateObject, state, stateProblem };
}

function sameValues(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

/** The create-only Secrets that exist (refKeys), those someone else made, and those whose file changed. */
async function readCreateOnly(client: ClusterClient, desired: Desired) {
  const theirs: KubeObject[] = [];
  const stale = new Set<string>();
  const found = await Promise.all(
    desired.createOnly.map(async (s) => {
      const ref: ObjectRef = { apiVersion: 'v1', kind: 'Secret', namespace: s.namespace, name: s.name };
      const live = await client.get(ref);
      if (!live) return undefined;
      if (!isOurs(live)) theirs.push(live);
      // A file-backed create-only Secret whose file changed: netpack keeps the live value, and says so.
      if (s.fileData && !sameValues(secretValues(live), s.fileData)) stale.add(refKey(ref));
      return refKey(ref);
    }),
  );
  return { existing: new Set(found.filter((s): s is string => s !== undefined)), theirs, stale };
}

/**
 * Reads the state, the live objects and the facts the guard needs; sends only reads. `stable`:
 * the facts no netpack run writes, from this run's earlier read (`read-facts.ts`).
 */
export async function readCluster(
  client: ClusterClient,
  desired: Desired,
  stable?: StableFacts,
): Promise<ClusterView> {
  const running = readRunning(client, stable);
  const kinds = readKinds(client, desired.objects, running);
  const stateRead = readState(client);
  const [{ stateObject, state, stateProblem }, { facts }, secrets, read, rest] = await Promise.all([
    stateRead,
    running,
    readCreateOnly(client, desired),
    kinds.objects,
    stateRead.then(({ state }) => readInventoryRest(client, state?.inventory ?? [], kinds.covered)),
  ]);
  const wanted = new Set(desired.objects.map(refKey));
  const live = new Map<string, KubeObject>();
  const unlabelled = new Map<string, KubeObject>();
  for (const o of [...read, ...rest].flat()) {
    const key = refKey(o);
    if (isOurs(o)) live.set(key, o);
    else if (wanted.has(key)) unlabelled.set(key, o);
  }
  for (const secret of secrets.theirs) unlabelled.set(refKey(secret), secret);
  return {
    state,
    stateProblem,
    stateObject,
    live,
    unlabelled,
    facts,
    existingSecrets: secrets.existing,
    staleSecrets: secrets.stale,
  };
}
