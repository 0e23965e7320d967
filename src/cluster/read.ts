/**
 * The read of apply and diff: everything the decision needs, in one wave of parallel reads — the
 * state ConfigMap, netpack's labelled objects of every kind the render has, the running network
 * (`read-facts.ts`), the create-only Secrets, and, at the same time, the render's objects that
 * may exist without netpack's label (`adopt.ts`; looked for whether or not the labelled lists
 * find them, so that the lookup does not wait for those lists). Only kinds that only the stored
 * inventory names (dropped since) are listed once the state says which. Sends only reads.
 */
import { MANAGED_BY, MANAGED_BY_LABEL } from '../render/types.ts';
import { findUnlabelled } from './adopt.ts';
import { type Desired, secretValues } from './desired.ts';
import type { LiveFacts } from './guard.ts';
import { parseState, STATE_REF, type StoredState } from './inventory.ts';
import { isOurs } from './plan.ts';
import { readRunning } from './read-facts.ts';
import { type ClusterClient, type KubeObject, type ObjectRef, refKey } from './types.ts';

export const OUR_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

/** Parallel reads of the render's objects that may exist without netpack's label (Calico: 44). */
const READ_CONCURRENCY = 64;

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

/** netpack's labelled objects of the kinds given (each kind listed once per read), into `live`. */
function labelledLister(client: ClusterClient, live: Map<string, KubeObject>) {
  const listed = new Set<string>();
  return (kinds: Iterable<{ apiVersion: string; kind: string }>) =>
    Promise.all(
      [...kinds]
        .filter(({ apiVersion, kind }) => {
          const k = kindKey(apiVersion, kind);
          return !listed.has(k) && listed.add(k);
        })
        .map(async ({ apiVersion, kind }) => {
          const { items } = await client.list(apiVersion, kind, { labelSelector: OUR_SELECTOR });
          for (const o of items) live.set(refKey(o), o);
        }),
    );
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

/** Reads the state, the live objects and the facts the guard needs; sends only reads. */
export async function readCluster(client: ClusterClient, desired: Desired): Promise<ClusterView> {
  const live = new Map<string, KubeObject>();
  const listOurs = labelledLister(client, live);
  const desiredKinds = [...desired.objects, { apiVersion: 'apps/v1', kind: 'DaemonSet' }];
  const isDaemonSet = (o: KubeObject) => o.kind === 'DaemonSet' && o.apiVersion === 'apps/v1';
  const stateRead = readState(client);
  const [{ stateObject, state, stateProblem }, , { facts, daemonSets }, secrets, others] = await Promise.all([
    stateRead,
    Promise.all([listOurs(desiredKinds), stateRead.then(({ state }) => listOurs(state?.inventory ?? []))]),
    readRunning(client),
    readCreateOnly(client, desired),
    findUnlabelled(
      client,
      desired.objects.filter((o) => !isDaemonSet(o)),
      new Map(),
      [],
      READ_CONCURRENCY,
    ),
  ]);
  // DaemonSets come from the list of all of them the running network's read made.
  const unlabelled = await findUnlabelled(client, desired.objects.filter(isDaemonSet), live, daemonSets, 1);
  for (const [k, o] of others) if (!live.has(k)) unlabelled.set(k, o);
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
