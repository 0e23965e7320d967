/**
 * The peering side-car (`netpack peers run`): keeps the local Weave router's peer list equal to
 * the plan for this node.
 *
 * - Nodes: one list, then a watch from its resourceVersion; a watch that ends is resumed from the
 *   last resourceVersion seen, a 410 (expired) one triggers a fresh list.
 * - Every node event goes through the `PeerIndex`; events that change nothing the plan reads
 *   (heartbeats, conditions) stop there. Changes are coalesced for `debounceMs`, then
 *   `POST /connect` is sent only if this node's peer list differs from the one last posted.
 * - The router is checked every `routerCheckMs` (`GET /status`, `GET /status/targets`): when it
 *   comes back after being unreachable, or its targets are no longer exactly what we posted (a
 *   router that restarted between two checks lost them), the list is posted again. A router
 *   without /status/targets is judged by its target count. Every `resyncMs` the list is posted
 *   regardless.
 * - Failures are counted, logged in one line and retried with capped exponential backoff; the
 *   loops never end on their own, only `stop()` ends them.
 *
 * The Kubernetes and router clients are injected (`NodeSource`, `WeaveRouter`), so tests drive
 * this against a fake API server and a fake router; `kube.ts` has the real source.
 */
import { addressProblem } from './address.ts';
import { type DnatRule, kubeletDnatRules } from './dnat.ts';
import { type ErrorKind, SidecarMetrics, type SyncReason, type WatchRestart } from './metrics.ts';
import { BRIDGE_IP_ANNOTATION, type NodeObject, type PeerNode, peerNodeFromObject } from './node.ts';
import { PeerIndex, samePeers } from './plan.ts';
import type { WeaveRouter } from './router.ts';

export interface NodeListResult {
  items: NodeObject[];
  resourceVersion: string;
}

/** Watch event as the API server sends it (`type`, `object`). */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Nodes from the API server; faked in tests. */
export interface NodeSource {
  list(signal: AbortSignal): Promise<NodeListResult>;
  /**
   * Watches nodes from `resourceVersion`, calling `onEvent` per event, until the stream ends
   * (resolves) or fails (rejects). Aborting `signal` ends it.
   */
  watch(
    resourceVersion: string,
    onEvent: (type: string, object: unknown) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** Merges `annotations` into node `name`'s metadata (kubelet DNAT publishes the bridge address). */
  annotateNode?(name: string, annotations: Record<string, string>): Promise<void>;
}

/** Applies kubelet DNAT rules on the host (iptables in `kube.ts`); faked in tests. */
export interface DnatApplier {
  apply(rules: readonly DnatRule[]): Promise<void>;
  cleanup(): Promise<void>;
}

export interface SidecarOptions {
  /** This node's name (NODE_NAME from the downward API, else HOSTNAME). */
  nodeName: string;
  knownPeers: readonly string[];
  /** Post the list regardless of changes this often (default 5 min). */
  resyncMs?: number;
  /** Check the router this often (default 10 s). */
  routerCheckMs?: number;
  /** Coalesce node changes for this long before posting (default 250 ms). */
  debounceMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Kubelet DNAT, when on. */
  dnat?: DnatApplier;
  /** This node's weave bridge address (for the DNAT annotation), when known. */
  bridgeIp?: () => string | undefined;
  log: (line: string) => void;
  /** Unix time in seconds (metrics). */
  now?: () => number;
}

class Backoff {
  private attempt = 0;
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}
  /** Next delay: doubling from `initialMs`, capped, with jitter in [50%, 100%] so nodes spread out. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt++, 30));
    return Math.round(base * (0.5 + Math.random() * 0.5));
  }
  reset(): void {
    this.attempt = 0;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * One line for a failure: client-node's ApiException spreads code, body and headers over many
 * lines; keep the code and the Status message.
 */
export function oneLine(e: unknown): string {
  const err = e as { code?: number; body?: unknown; message?: string };
  if (typeof err?.code === 'number' && err.body !== undefined) {
    let detail = '';
    try {
      const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
      detail = (body as { message?: string })?.message ?? '';
    } catch {
      detail = String(err.body);
    }
    return `HTTP ${err.code}${detail ? `: ${detail}` : ''}`.replace(/\s+/g, ' ').slice(0, 300);
  }
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

const message = oneLine;

/** A watch ERROR event with code 410 (resourceVersion too old). */
function isExpired(object: unknown): boolean {
  const o = object as { code?: number; reason?: string } | undefined;
  return o?.code === 410 || o?.reason === 'Expired' || o?.reason === 'Gone';
}

/** Whether two lists hold the same strings, in any order. */
function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((x) => set.has(x));
}

/** Addresses a change line names at most; the rest are counted. */
export const MAX_LOGGED_CHANGES = 20;

/**
 * `+a -b` summary of what changed between two lists: what was added and removed, never the
 * whole list (47 KB a line at 5,000 nodes). Beyond `MAX_LOGGED_CHANGES` addresses (the first
 * list, a region joining) the rest are counted: `... (+4980 -0 more)`.
 */
export function describeChange(before: readonly string[] | undefined, after: readonly string[]): string {
  const old = new Set(before ?? []);
  const now = new Set(after);
  const added = after.filter((a) => !old.has(a));
  const removed = [...old].filter((a) => !now.has(a));
  const named = [...added.map((a) => `+${a}`), ...removed.map((a) => `-${a}`)];
  if (named.length === 0) return 'no change';
  if (named.length <= MAX_LOGGED_CHANGES) return named.join(' ');
  const shownAdded = Math.min(added.length, MAX_LOGGED_CHANGES);
  const shownRemoved = MAX_LOGGED_CHANGES - shownAdded;
  return `${named.slice(0, MAX_LOGGED_CHANGES).join(' ')} ... (+${added.length - shownAdded} -${removed.length - shownRemoved} more)`;
}

export class PeeringSidecar {
  readonly metrics = new SidecarMetrics();
  private index: PeerIndex;
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly opts: Required<Omit<SidecarOptions, 'dnat' | 'bridgeIp'>> &
    Pick<SidecarOptions, 'dnat' | 'bridgeIp'>;

  /** The list the router last accepted. */
  private posted: string[] | undefined;
  private pending: SyncReason | undefined;
  private syncing = false;
  private debounce: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly routerBackoff: Backoff;
  private routerDown = false;
  private lastTargets: number | undefined;
  private warnedUnknown = false;
  private appliedDnat: string | undefined;
  private lastFindings = '';
  /** Nodes left out for an address that is not an IP, with the problem last reported. */
  private readonly skipped = new Map<string, string>();

  constructor(
    private readonly source: NodeSource,
    private readonly router: WeaveRouter,
    options: SidecarOptions,
  ) {
    this.opts = {
      resyncMs: 300_000,
      routerCheckMs: 10_000,
      debounceMs: 250,
      backoffInitialMs: 500,
      backoffMaxMs: 30_000,
      now: () => Date.now() / 1000,
      ...options,
    };
    this.index = new PeerIndex([], options.knownPeers);
    this.routerBackoff = new Backoff(this.opts.backoffInitialMs, this.opts.backoffMaxMs);
  }

  /** The list this node should have now (undefined until this node is seen). */
  desired(): string[] | undefined {
    return this.index.peersOf(this.opts.nodeName);
  }

  /** The list the router last accepted. */
  lastPosted(): readonly string[] | undefined {
    return this.posted;
  }

  /** Starts the loops; they run until `stop()`. */
  start(): void {
    const signal = this.abort.signal;
    this.loops.push(this.kubeLoop(signal), this.routerLoop(signal), this.resyncLoop(signal));
  }

  /** Ends the loops and removes kubelet DNAT rules. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.debounce);
    clearTimeout(this.retryTimer);
    await Promise.allSettled(this.loops);
    if (this.opts.dnat) {
      try {
        await this.opts.dnat.cleanup();
        this.opts.log('kubelet DNAT: rules removed');
      } catch (e) {
        this.opts.log(`kubelet DNAT: cleanup failed: ${message(e)}`);
      }
    }
  }

  private error(kind: ErrorKind, what: string, e: unknown): void {
    this.metrics.count(this.metrics.errors, kind);
    this.opts.log(`error (${kind}): ${what}: ${message(e)}`);
  }

  // --- Kubernetes -------------------------------------------------------------------------

  private async kubeLoop(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.opts.backoffInitialMs, this.opts.backoffMaxMs);
    // Undefined: list first. A watch that ends or fails is resumed from the last resourceVersion
    // seen (a list of thousands of nodes from every node at once is what an API server blip must
    // not cause); only an expired resourceVersion (410) calls for a new list.
    let rv: string | undefined;
    while (!signal.aborted) {
      if (rv === undefined) {
        try {
          const list = await this.source.list(signal);
          if (signal.aborted) return;
          this.replaceNodes(list.items);
          rv = list.resourceVersion;
        } catch (e) {
          if (signal.aborted) return;
          this.error('kube', 'list nodes', e);
          await sleep(backoff.next(), signal);
          continue;
        }
      }
      const result = await this.watchOnce(rv, signal);
      if (signal.aborted) return;
      this.metrics.count(this.metrics.watchRestarts, result.ended);
      if (result.ended === 'expired') {
        this.opts.log(`node watch: resourceVersion ${result.resourceVersion} expired, listing again`);
        rv = undefined;
      } else if (result.ended === 'error') {
        rv = result.resourceVersion;
        this.error('kube', 'watch nodes', result.error);
        await sleep(backoff.next(), signal);
      } else {
        rv = result.resourceVersion;
        backoff.reset();
      }
    }
  }

  private async watchOnce(
    resourceVersion: string,
    outer: AbortSignal,
  ): Promise<{ ended: WatchRestart; resourceVersion: string; error?: unknown }> {
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort();
    outer.addEventListener('abort', onAbort, { once: true });
    let rv = resourceVersion;
    let expired = false;
    let failure: unknown;
    try {
      await this.source.watch(
        resourceVersion,
        (type, object) => {
          if (expired || failure) return;
          if (type === 'ERROR') {
            if (isExpired(object)) expired = true;
            else failure = new Error(`watch error: ${JSON.stringify(object)}`);
            ctrl.abort();
            return;
          }
          const v = (object as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion;
          if (v) rv = v;
          this.metrics.lastKube = this.opts.now();
          if (type === 'BOOKMARK') return;
          this.applyEvent(type, object as NodeObject);
        },
        ctrl.signal,
      );
    } catch (e) {
      if (!expired && !ctrl.signal.aborted) failure = e;
    } finally {
      outer.removeEventListener('abort', onAbort);
    }
    if (expired) return { ended: 'expired', resourceVersion: rv };
    if (failure) return { ended: 'error', resourceVersion: rv, error: failure };
    return { ended: 'closed', resourceVersion: rv };
  }

  private replaceNodes(items: readonly NodeObject[]): void {
    const next = new PeerIndex([], this.opts.knownPeers);
    for (const item of items) {
      const n = this.usable(peerNodeFromObject(item));
      if (n) next.upsert(n);
    }
    this.index = next;
    this.metrics.lastKube = this.opts.now();
    this.nodesChanged();
  }

  private applyEvent(type: string, obj: NodeObject): void {
    let changed = false;
    if (type === 'DELETED') {
      const name = obj.metadata?.name;
      changed = name !== undefined && this.index.remove(name);
    } else if (type === 'ADDED' || type === 'MODIFIED') {
      const read = peerNodeFromObject(obj);
      const n = this.usable(read);
      if (n) changed = this.index.upsert(n);
      else if (read) changed = this.index.remove(read.name);
    }
    if (changed) this.nodesChanged();
  }

  /**
   * The node when its addresses are IP literals; otherwise undefined, said once per node and
   * problem (a log line and netpack_peers_skipped_nodes_total), never posted to the router.
   */
  private usable(n: PeerNode | undefined): PeerNode | undefined {
    if (!n) return undefined;
    const problem = addressProblem(n);
    if (problem === undefined) {
      this.skipped.delete(n.name);
      return n;
    }
    if (this.skipped.get(n.name) !== problem) {
      this.skipped.set(n.name, problem);
      this.metrics.skippedNodes++;
      this.opts.log(`node ${n.name} skipped: its ${problem}`);
    }
    return undefined;
  }

  /** Something the plan reads changed: update gauges, DNAT, and (debounced) the router. */
  private nodesChanged(): void {
    this.metrics.nodes = this.index.size;
    const findings = this.index.findings();
    this.metrics.findings = findings.length;
    const text = findings.map((f) => f.message).join('\n');
    if (text !== this.lastFindings) {
      for (const f of findings) this.opts.log(`finding (${f.kind}): ${f.message}`);
      this.lastFindings = text;
    }
    void this.syncDnat(false);
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.requestSync('change'), this.opts.debounceMs);
  }

  // --- Router -----------------------------------------------------------------------------

  /** Asks for a POST; 'change' posts only when the list differs from the last one posted. */
  requestSync(reason: SyncReason): void {
    if (this.abort.signal.aborted) return;
    // A forced reason wins over 'change'.
    if (this.pending === undefined || this.pending === 'change') this.pending = reason;
    if (!this.syncing) void this.syncWorker();
  }

  private async syncWorker(): Promise<void> {
    this.syncing = true;
    try {
      while (this.pending !== undefined && !this.abort.signal.aborted) {
        const reason = this.pending;
        this.pending = undefined;
        const peers = this.desired();
        if (peers === undefined) {
          if (!this.warnedUnknown && this.index.size > 0) {
            this.opts.log(
              `node ${this.opts.nodeName} is not among the ${this.index.size} nodes; leaving the router's peers alone`,
            );
            this.warnedUnknown = true;
          }
          continue;
        }
        this.warnedUnknown = false;
        if (reason === 'change' && samePeers(peers, this.posted)) continue;
        try {
          await this.router.connect(peers);
        } catch (e) {
          this.error('router', 'POST /connect', e);
          this.scheduleRetry();
          continue;
        }
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        this.routerBackoff.reset();
        if (!samePeers(peers, this.posted)) {
          this.opts.log(`peers (${peers.length}): ${describeChange(this.posted, peers)}`);
        } else if (reason === 'router-restart') {
          this.opts.log(`peers (${peers.length}): router restarted, list posted again`);
        }
        this.posted = peers;
        this.metrics.peers = peers.length;
        this.metrics.lastSync = this.opts.now();
        this.metrics.count(this.metrics.syncs, reason);
      }
    } finally {
      this.syncing = false;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.requestSync('retry');
    }, this.routerBackoff.next());
  }

  private async routerLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.opts.routerCheckMs, signal);
      if (signal.aborted) return;
      await this.checkRouter();
      await this.publishBridgeIp();
      await this.syncDnat(false);
    }
  }

  private async checkRouter(): Promise<void> {
    let status: Awaited<ReturnType<WeaveRouter['status']>>;
    try {
      status = await this.router.status();
    } catch (e) {
      if (!this.routerDown) this.error('router', 'GET /status', e);
      this.routerDown = true;
      this.lastTargets = undefined;
      return;
    }
    const cameBack = this.routerDown;
    this.routerDown = false;
    const targets = status.targets;
    const moved =
      targets !== undefined &&
      this.lastTargets !== undefined &&
      targets !== this.lastTargets &&
      this.posted !== undefined &&
      targets !== this.posted.length;
    this.lastTargets = targets;
    // The exact targets, when the router lists them: a restart between two checks that left the
    // same number of targets is seen too. Not while a post is under way (it would not match yet).
    let lost = false;
    if (!cameBack && !moved && this.posted !== undefined && !this.syncing) {
      try {
        const now = await this.router.targets();
        lost = now !== undefined && !sameSet(now, this.posted);
      } catch (e) {
        this.error('router', 'GET /status/targets', e);
      }
    }
    if (cameBack || moved || lost) {
      const why = cameBack
        ? 'reachable again'
        : moved
          ? `target count changed to ${targets}`
          : 'its targets are not the list posted (restarted?)';
      this.opts.log(`router: ${why}; posting peers again`);
      this.requestSync('router-restart');
    }
  }

  private async resyncLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.opts.resyncMs, signal);
      if (signal.aborted) return;
      this.requestSync('resync');
      await this.syncDnat(true);
    }
  }

  // --- Kubelet DNAT -----------------------------------------------------------------------

  private async syncDnat(force: boolean): Promise<void> {
    const dnat = this.opts.dnat;
    if (!dnat) return;
    const rules = kubeletDnatRules(this.index, this.opts.nodeName);
    const key = JSON.stringify(rules);
    if (!force && key === this.appliedDnat) return;
    try {
      await dnat.apply(rules);
      if (key !== this.appliedDnat)
        this.opts.log(
          `kubelet DNAT: ${rules.length} rules (${rules.map((r) => `${r.address}->${r.to}`).join(',') || 'none'})`,
        );
      this.appliedDnat = key;
      this.metrics.dnatRules = rules.length;
    } catch (e) {
      this.appliedDnat = undefined;
      this.error('dnat', 'iptables-restore', e);
    }
  }

  private async publishBridgeIp(): Promise<void> {
    if (!this.opts.dnat || !this.opts.bridgeIp || !this.source.annotateNode) return;
    const me = this.index.get(this.opts.nodeName);
    const ip = this.opts.bridgeIp();
    if (!me || ip === undefined || me.bridgeIp === ip) return;
    try {
      await this.source.annotateNode(this.opts.nodeName, { [BRIDGE_IP_ANNOTATION]: ip });
      this.opts.log(`node ${this.opts.nodeName}: annotated ${BRIDGE_IP_ANNOTATION}=${ip}`);
    } catch (e) {
      this.error('annotate', `node ${this.opts.nodeName}`, e);
    }
  }

  /** One line for /healthz. */
  health(): { ok: boolean; detail: string } {
    const m = this.metrics;
    return {
      ok: !this.abort.signal.aborted,
      detail: `ok nodes=${m.nodes} peers=${m.peers} last_sync=${m.lastSync.toFixed(0)} router=${this.routerDown ? 'down' : 'up'}`,
    };
  }
}
