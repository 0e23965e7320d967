// Fault injection, settable at runtime. Random choices come from a seeded PRNG, so a test with a
// fixed seed sees the same faults on every run.

export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'apply'
  | 'delete'
  /** /version, /api, /apis, /openapi... */
  | 'discovery';

export const WRITE_VERBS: readonly Verb[] = ['create', 'update', 'patch', 'apply', 'delete'];

export interface FaultRule {
  /** Verbs this rule applies to; all when absent. */
  verbs?: Verb[];
  /** Plural resource name (`daemonsets`); all when absent. */
  resource?: string;
  /** Substring or pattern the request path must contain/match. */
  path?: string | RegExp;
  /** Probability (0..1) that a matching request is hit. Default 1. */
  rate?: number;
  /** Hit at most this many requests, then the rule is spent. Unlimited when absent. */
  times?: number;
  /** Let this many matching requests through first (e.g. "every write after the 5th fails"). */
  skip?: number;
  /** Delay before the request is handled (or fails). */
  latencyMs?: number;
  /** Answer with this HTTP status and a Kubernetes Status body (e.g. 500, 503, 429). */
  code?: number;
  /** Sets Retry-After (and details.retryAfterSeconds); default 1 for 429 and 503. */
  retryAfterSeconds?: number;
  /** Destroy the socket without answering (the client sees a connection reset). */
  reset?: boolean;
}

export interface WatchDrop {
  /** Close each new watch after this many events were sent. */
  afterEvents?: number;
  /** Close each new watch this long after it started. */
  afterMs?: number;
}

export interface FaultDecision {
  latencyMs: number;
  code?: number;
  retryAfterSeconds?: number;
  reset: boolean;
}

/** mulberry32: tiny, fast, good enough to make test faults reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private rules: { rule: FaultRule; hits: number; seen: number }[] = [];
  private random: () => number;
  /** Applies left that will fail with a forced 409 Conflict (whatever `force` says). */
  conflictApplies = 0;
  /** How new watches are cut short; undefined: they run until the client or timeoutSeconds ends them. */
  watchDrop: WatchDrop | undefined;

  constructor(seed = 1) {
    this.random = prng(seed);
  }

  /** Restarts the random sequence. */
  seed(seed: number): void {
    this.random = prng(seed);
  }

  /** Adds a rule; returns a function removing it. */
  add(rule: FaultRule): () => void {
    const entry = { rule, hits: 0, seen: 0 };
    this.rules.push(entry);
    return () => {
      this.rules = this.rules.filter((r) => r !== entry);
    };
  }

  /** Shorthand: fail `verbs` with `code` at `rate`. */
  failRequests(verbs: Verb[], code: number, rate = 1, extra: Partial<FaultRule> = {}): () => void {
    return this.add({ verbs, code, rate, ...extra });
  }

  /** The next `n` server-side applies get 409 Conflict. */
  conflictNextApplies(n: number): void {
    this.conflictApplies = n;
  }

  dropWatches(drop: WatchDrop | undefined): void {
    this.watchDrop = drop;
  }

  /** Removes every fault. */
  clear(): void {
    this.rules = [];
    this.conflictApplies = 0;
    this.watchDrop = undefined;
  }

  /** Decides what happens to one request; every matching rule adds its latency, the first error wins. */
  decide(verb: Verb, resource: string | undefined, path: string): FaultDecision {
    const out: FaultDecision = { latencyMs: 0, reset: false };
    for (const entry of this.rules) {
      const { rule } = entry;
      if (rule.verbs && !rule.verbs.includes(verb)) continue;
      if (rule.resource !== undefined && rule.resource !== resource) continue;
      if (rule.path !== undefined) {
        const hit = typeof rule.path === 'string' ? path.includes(rule.path) : rule.path.test(path);
        if (!hit) continue;
      }
      if (rule.skip !== undefined && entry.seen++ < rule.skip) continue;
      if (rule.times !== undefined && entry.hits >= rule.times) continue;
      if (this.random() >= (rule.rate ?? 1)) continue;
      entry.hits++;
      out.latencyMs += rule.latencyMs ?? 0;
      if (out.code === undefined && !out.reset) {
        if (rule.reset) out.reset = true;
        else if (rule.code !== undefined) {
          out.code = rule.code;
          out.retryAfterSeconds =
            rule.retryAfterSeconds ?? (rule.code === 429 || rule.code === 503 ? 1 : undefined);
        }
      }
    }
    return out;
  }

  /** Consumes one forced apply conflict, if any are left. */
  takeApplyConflict(): boolean {
    if (this.conflictApplies <= 0) return false;
    this.conflictApplies--;
    return true;
  }
}
