/**
 * From zod's parsed output to the effective config: one generic walk over the option
 * declarations (option.ts, schema.ts) that takes each option from the first spelling the file
 * sets (reporting spellings that disagree), else its default, and records where each value
 * came from (`Origin`) for explain and for rules that point at what the operator wrote.
 */
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { Facts, OptionSpec } from './option.ts';
import { optionRegistry } from './option.ts';
import { formatPath, type PathSegment, SourceMap } from './positions.ts';
import { Reporter } from './reporter.ts';
import { topLevelSchema } from './schema.ts';
import {
  CLOUDS,
  type ClusterConfig,
  DATASTORES,
  type Host,
  type NetworkConfig,
  type Origin,
} from './types.ts';

/** zod's output for a whole file (bad values left out when the file has errors). */
export type ParsedCluster = z.output<typeof topLevelSchema>;

/** Reads a value at `path` of plain data, or undefined. */
function dig(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

type AnySchema = z.core.$ZodType;

/**
 * zod's output for `value`, keeping what passes when part of it does not: the members of a map
 * or list are parsed one by one and the failing ones left out (a list keeps its indexes), so
 * that the checks across options still see every good value of a file with errors.
 */
export function salvage(schema: AnySchema, value: unknown): { ok: true; data: unknown } | { ok: false } {
  const whole = z.safeParse(schema, value);
  if (whole.success) return { ok: true, data: whole.data };
  if (value === null || typeof value !== 'object') return { ok: false };
  const def = schema._zod.def as {
    type: string;
    innerType?: AnySchema;
    shape?: Record<string, AnySchema>;
    element?: AnySchema;
    valueType?: AnySchema;
  };
  if ((def.type === 'optional' || def.type === 'nullable') && def.innerType)
    return salvage(def.innerType, value);
  const entries = Object.entries(value);
  if (def.type === 'array' && def.element && Array.isArray(value)) {
    const element = def.element;
    return { ok: true, data: value.map((item) => salvageOrUndefined(element, item)) };
  }
  if (def.type === 'object' && def.shape && !Array.isArray(value)) {
    const shape = def.shape;
    return {
      ok: true,
      data: Object.fromEntries(
        entries.filter(([k]) => Object.hasOwn(shape, k)).flatMap(([k, v]) => kept(k, salvage(shape[k]!, v))),
      ),
    };
  }
  if (def.type === 'record' && def.valueType && !Array.isArray(value)) {
    const valueType = def.valueType;
    return {
      ok: true,
      data: Object.fromEntries(entries.flatMap(([k, v]) => kept(k, salvage(valueType, v)))),
    };
  }
  return { ok: false };
}

/** zod's output for a file that did not pass as a whole: every value that did. */
export function salvageCluster(data: unknown): ParsedCluster {
  const kept = salvage(topLevelSchema, data);
  // salvage keeps only what passed the schema, in the schema's shape.
  return kept.ok ? (kept.data as ParsedCluster) : {};
}

function salvageOrUndefined(schema: AnySchema, value: unknown): unknown {
  const r = salvage(schema, value);
  return r.ok ? r.data : undefined;
}

function kept(key: string, r: ReturnType<typeof salvage>): [string, unknown][] {
  return r.ok ? [[key, r.data]] : [];
}

/** An option as the walk meets it: where the schema declares it and what its declaration says. */
interface Declaration {
  /** The effective option's dotted path, e.g. `network.calico.mtu`. */
  canonical: string;
  /** The option's own key in the file. */
  path: PathSegment[];
  spec: OptionSpec<unknown, unknown>;
}

function declarationsOf(schema: AnySchema, path: PathSegment[]): Declaration[] {
  const def = schema._zod.def as { type: string; innerType?: AnySchema; shape?: Record<string, AnySchema> };
  if ((def.type === 'optional' || def.type === 'nullable') && def.innerType)
    return declarationsOf(def.innerType, path);
  if (def.type !== 'object' || !def.shape) return [];
  return Object.entries(def.shape).flatMap(([key, child]) => {
    const meta = optionRegistry.get(child);
    const at = [...path, key];
    return meta
      ? [{ canonical: meta.spec.as ?? formatPath(at), path: at, spec: meta.spec }]
      : declarationsOf(child, at);
  });
}

let cached: Declaration[] | undefined;
/** Every option declared in the schema, in the order the schema declares them. */
export function declarations(): readonly Declaration[] {
  cached ??= declarationsOf(topLevelSchema, []);
  return cached;
}

/**
 * The effective config's layout: options with a value always (in declaration order, so blocks
 * appear where their first option is), then the ones declared elsewhere (`as`), then the optional
 * ones, which are left out when unset.
 */
function layout(): Declaration[] {
  const all = declarations();
  const always = (d: Declaration) => d.spec.default !== undefined;
  return [
    ...all.filter((d) => !d.spec.as && always(d)),
    ...all.filter((d) => d.spec.as),
    ...all.filter((d) => !d.spec.as && !always(d)),
  ];
}

/** Holds the parsed values and the origins the walk records; rules read both. */
export class Resolver {
  readonly origins: Record<string, Origin> = {};
  /** For each canonical option path, the path the operator wrote it at (aliases included). */
  readonly sources: Record<string, PathSegment[]> = {};

  constructor(
    readonly values: ParsedCluster,
    private readonly r: Reporter,
  ) {}

  /** The parsed value at `path` when the file has one that passed the checks so far; else undefined. */
  get(path: readonly PathSegment[]): unknown {
    if (this.r.isBad(path)) return undefined;
    const value = dig(this.values, path);
    return value === null ? undefined : value;
  }

  fromFile(canonical: string, path: readonly PathSegment[]): void {
    const pos = this.r.source.valuePosition(path);
    this.origins[canonical] = { from: 'file', path: formatPath(path), ...pos };
    this.sources[canonical] = [...path];
  }

  fromDefault(canonical: string, reason?: string): void {
    this.origins[canonical] = reason ? { from: 'default', reason } : { from: 'default' };
  }

  /** The first spelling of `d` the file sets (spellings that disagree with it are errors). */
  written(d: Declaration): { path: PathSegment[]; value: unknown } | undefined {
    const paths = this.spellings(d);
    let chosen: { path: PathSegment[]; value: unknown } | undefined;
    for (const { path, map } of paths) {
      const value = this.get(path);
      if (value === undefined) continue;
      const mapped = map ? map(value) : value;
      if (!chosen) chosen = { path, value: mapped };
      else if (JSON.stringify(chosen.value) !== JSON.stringify(mapped)) {
        const said = d.spec.conflict?.(mapped, { at: formatPath(chosen.path), value: chosen.value }) ?? {
          message: `is ${JSON.stringify(mapped)}, which conflicts with ${formatPath(chosen.path)} (${JSON.stringify(chosen.value)})`,
          hint: `set only one of ${paths.map((p) => formatPath(p.path)).join(', ')}`,
        };
        this.r.error('AliasConflict', path, said.message, said.hint);
      }
    }
    return chosen;
  }

  spellings(d: Declaration): { path: PathSegment[]; map?: (value: unknown) => unknown }[] {
    return (d.spec.from ?? ['self']).map((s) => {
      if (s === 'self') return { path: d.path };
      const path = 'key' in s ? [...d.path.slice(0, -1), s.key] : s.path;
      return s.map ? { path, map: s.map } : { path };
    });
  }

  /**
   * `key:` with nothing after it reads as null and means the default, which is right for a block
   * whose options are all commented out, but for a single value it is more often a slip, or a
   * template variable that was not set: say which default it got.
   */
  warnEmpty(d: Declaration, fallback: unknown): void {
    if (d.spec.quietWhenEmpty || (fallback !== null && typeof fallback === 'object')) return;
    const empty = this.spellings(d).find(
      ({ path }) => dig(this.values, path) === null && !this.r.isBad(path),
    )?.path;
    if (empty)
      this.r.warning(
        'EmptyValue',
        empty,
        `is empty, so the default applies (${JSON.stringify(fallback)})`,
        'give it a value, or remove the key (an unset template variable leaves a key empty like this)',
        { atKey: true },
      );
  }
}

function setAt(root: Record<string, unknown>, canonical: string, value: unknown): void {
  const keys = canonical.split('.');
  let node = root;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/**
 * The effective `network` config: every declared option from the file (first spelling), else its
 * default, in three steps: what the file writes, then the plain defaults, then the defaults that
 * depend on the facts (the cloud, the datastore, the hosts) once those are known.
 */
export function resolveNetwork(res: Resolver, hosts: readonly Host[], baseDir: string): NetworkConfig {
  const values = new Map<string, unknown>();
  const derived: { d: Declaration; auto?: PathSegment[] }[] = [];
  for (const d of declarations()) {
    const { spec, canonical } = d;
    const written = res.written(d);
    if (written && !(spec.auto && written.value === 'auto')) {
      const value = spec.resolve ? spec.resolve(written.value, { baseDir }) : written.value;
      if (value === undefined) continue;
      values.set(canonical, value);
      if (spec.originAt) res.fromFile(`${canonical}.${spec.originAt}`, [...written.path, spec.originAt]);
      else res.fromFile(canonical, written.path);
      if (spec.entryOrigins && value !== null && typeof value === 'object')
        for (const key of Object.keys(value)) res.fromFile(`${canonical}.${key}`, [...written.path, key]);
    } else if (typeof spec.default === 'function') {
      derived.push(written ? { d, auto: written.path } : { d });
    } else {
      // A fresh copy: the effective config is the caller's to change.
      const value = structuredClone(spec.default);
      if (value !== undefined) values.set(canonical, value);
      res.fromDefault(canonical, spec.reason);
      res.warnEmpty(d, value);
    }
  }
  const facts: Facts = {
    hosts,
    baseDir,
    cloud: CLOUDS.find((c) => c === values.get('network.cloud')),
    datastore: DATASTORES.find((d) => d === values.get('network.calico.datastore')) ?? DATASTORES[0],
  };
  for (const { d, auto } of derived) {
    const fallback = (d.spec.default as (facts: Facts) => { value: unknown; reason?: string })(facts);
    values.set(d.canonical, fallback.value);
    if (auto) {
      res.fromDefault(d.canonical, `auto: ${fallback.reason}`);
      res.sources[d.canonical] = auto;
    } else {
      res.fromDefault(d.canonical, fallback.reason);
      res.warnEmpty(d, fallback.value);
    }
  }
  const config: Record<string, unknown> = {};
  for (const d of layout()) if (values.has(d.canonical)) setAt(config, d.canonical, values.get(d.canonical));
  // The walk covers every declared option, so the shape is the declarations' (types.ts).
  return config.network as NetworkConfig;
}

/** The hosts as netpack reads them: labels as strings, ssh port 22 unless given. */
export function resolveHosts(res: Resolver): Host[] {
  return (res.values.hosts ?? []).map((h) => {
    const host: Host = {
      address: h?.address ?? '',
      role: h?.role === 'master' ? 'master' : 'worker',
      labels: Object.fromEntries(Object.entries(h?.labels ?? {}).map(([k, v]) => [k, String(v)])),
      ssh_port: h?.ssh_port ?? 22,
    };
    if (typeof h?.private_address === 'string') host.private_address = h.private_address;
    return host;
  });
}

/** Every option's default, for a file that writes none and lists `hosts`. */
export function defaultNetworkConfig(hosts: readonly Host[]): NetworkConfig {
  const lineCounter = new LineCounter();
  const r = new Reporter('', new SourceMap(parseDocument('', { lineCounter }), lineCounter));
  return resolveNetwork(new Resolver({}, r), hosts, '.');
}

/** Every option's default for a file that lists `hostCount` hosts (in one region, no addresses). */
export function defaultNetwork(hostCount = 0): NetworkConfig {
  const hosts = Array.from(
    { length: hostCount },
    (): Host => ({ address: '', role: 'worker', labels: {}, ssh_port: 22 }),
  );
  return defaultNetworkConfig(hosts);
}

/** The built-in default: a Weave network with every default, no hosts. */
export function defaultClusterConfig(): ClusterConfig {
  return {
    file: '<built-in default>',
    baseDir: process.cwd(),
    hosts: [],
    network: defaultNetwork(),
    raw: {},
  };
}
