/**
 * The config model's entry point: cluster.yml text in, the effective `ClusterConfig` or every
 * diagnostic out. Pure: the only outside fact it needs (do the files named in the config exist?)
 * comes through the `FileProbe` the caller passes.
 */
import { type Document, isMap, isScalar, isSeq, visit } from 'yaml';
import type { Diagnostic } from './diagnostics.ts';
import { hasErrors, sortDiagnostics } from './diagnostics.ts';
import { forbiddenKeyMessage, forbiddenKeys } from './keys.ts';
import { KNOWN_TOP_LEVEL } from './pharos.ts';
import { SourceMap } from './positions.ts';
import { type FileProbe, Reporter } from './reporter.ts';
import { Resolver, resolveHosts, resolveNetwork, salvageCluster } from './resolve.ts';
import { checkRules } from './rules.ts';
import { topLevelSchema } from './schema.ts';
import { didYouMean } from './suggest.ts';
import type { ClusterConfig, Origin } from './types.ts';
import { convertIssues } from './zod-issues.ts';

export interface LoadOptions {
  /** The file name used in diagnostics. */
  file: string;
  /** Directory that relative paths in the config are resolved against. */
  baseDir: string;
  probe: FileProbe;
}

export interface LoadResult {
  /** Present only when there are no errors. */
  config?: ClusterConfig;
  diagnostics: Diagnostic[];
  /** For each canonical option path (e.g. `network.calico.mode`), where its value came from. */
  origins: Record<string, Origin>;
  /** The file holds no document content (blank, comments, markers): every option is a default. */
  empty?: true;
  /** The file's positions (its one parse): for diagnostics found after loading. */
  source: SourceMap;
}

/**
 * Top-level keys neither netpack nor Pharos knows. One close to a known key (`netwrok`) is an
 * error: ignoring it would deploy the defaults instead of what the file asked for. Any other is
 * ignored with a warning (a key of a newer Pharos, a tool's own).
 */
function checkTopLevel(doc: unknown, r: Reporter): void {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return;
  for (const key of Object.keys(doc)) {
    if (KNOWN_TOP_LEVEL.includes(key)) continue;
    const hint = didYouMean(key, KNOWN_TOP_LEVEL);
    const path = [key === '' ? '""' : key];
    if (hint) r.error('UnknownKey', path, `unknown top-level key "${key}"`, hint, { atKey: true });
    else
      r.warning('UnknownKey', path, `unknown top-level key "${key}" is ignored`, undefined, { atKey: true });
  }
}

/** Offset of the first alias that names no anchor, if any (else the expansion was too large). */
function firstBadAlias(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (offset === undefined && node.resolve(doc) === undefined) offset = node.range?.[0];
    },
  });
  return offset;
}

/** The repeated key at `offset` and where its first occurrence starts, for a duplicate-key error. */
function duplicateKey(doc: Document, offset: number): { key: string; first: number } | undefined {
  let found: { key: string; first: number } | undefined;
  visit(doc, {
    Map(_, map) {
      const again = map.items.find((p) => isScalar(p.key) && p.key.range?.[0] === offset);
      if (!again || !isScalar(again.key)) return undefined;
      const value = again.key.value;
      const first = map.items.find((p) => isScalar(p.key) && p.key.value === value)?.key;
      found = { key: String(value), first: (isScalar(first) ? first.range?.[0] : undefined) ?? offset };
      return visit.BREAK;
    },
  });
  return found;
}

/** Offset of the first non-blank, non-comment text at or after the line starting at `at`. */
function contentFrom(text: string, at: number): number | undefined {
  while (at < text.length) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end === -1 ? text.length : end);
    const content = line.trimStart();
    if (content !== '' && !content.startsWith('#')) return at + (line.length - content.length);
    if (end === -1) return undefined;
    at = end + 1;
  }
  return undefined;
}

/**
 * Where an over-indented key really is. For `provider: calico` followed by a line indented deeper
 * (`    mtu: 1400`), the parser reports the start of `calico` (the scalar it could not turn into a
 * map), a line where the user sees nothing wrong; with blank or comment lines between, it reports
 * the first blank line. The line to fix is the next line with content.
 */
function overIndentedLine(text: string, e: { code: string; pos: [number, number] }): number | undefined {
  const lineStart = text.lastIndexOf('\n', e.pos[0] - 1) + 1;
  if (e.code === 'BAD_INDENT') {
    const here = contentFrom(text, lineStart);
    const lineEnd = text.indexOf('\n', lineStart);
    // Only when the parser pointed at a blank or comment line; otherwise its line is right.
    return here !== undefined && (lineEnd === -1 || here > lineEnd) ? here : undefined;
  }
  const lineEnd = text.indexOf('\n', e.pos[0]);
  return lineEnd === -1 ? undefined : contentFrom(text, lineEnd + 1);
}

/** How to fix the YAML errors operators meet most, by the yaml library's error code. */
function yamlProblem(
  e: { code: string; message: string; pos: [number, number] },
  source: SourceMap,
  text: string,
): { message: string; hint?: string; at?: number } {
  const message = e.message.split('\n')[0] ?? e.message;
  if (e.code === 'BLOCK_AS_IMPLICIT_KEY') {
    const at = overIndentedLine(text, e);
    if (at !== undefined) {
      const { line } = source.pos(e.pos[0]);
      const keyOf = (from: number) => JSON.stringify(text.slice(from).split(/[:\n]/)[0]?.trim() ?? '');
      const key = keyOf(text.lastIndexOf('\n', e.pos[0]) + 1);
      const nested = keyOf(at);
      return {
        message: `${nested} is indented deeper than ${key} on line ${line}, which already has a value; a key holds either a value or a map, not both`,
        hint: `indent ${nested} like ${key}, or move it under the map it belongs to`,
        at,
      };
    }
  }
  if (e.code === 'BAD_INDENT') {
    const at = overIndentedLine(text, e);
    if (at !== undefined)
      return { message, hint: 'indent this line like the keys of the map it belongs to', at };
  }
  if (e.code === 'TAB_AS_INDENT') return { message, hint: 'indent with spaces' };
  if (e.code === 'MULTIPLE_DOCS')
    return {
      message: 'a second YAML document starts here (after ---); a cluster file is one document',
      hint: 'remove this --- and join the documents, or keep the other one in a file of its own',
    };
  if (e.code === 'DUPLICATE_KEY') {
    const dup = duplicateKey(source.doc, e.pos[0]);
    if (!dup) return { message };
    const { line, col } = source.pos(dup.first);
    return {
      message: `key ${JSON.stringify(dup.key)} appears twice in one map (first at line ${line}:${col}); map keys must be unique`,
      hint: 'keep one of them',
    };
  }
  return { message };
}

/**
 * Most hosts a cluster file may list: ten times the 5,000 nodes Kubernetes supports per cluster.
 * Everything netpack does is linear in the hosts (20,000 take a few seconds), but without a
 * bound a runaway generated file (400,000 hosts: 30 s and 1.7 GB) is read to the end first.
 */
export const MAX_HOSTS = 50_000;

/** The hosts: list beyond `MAX_HOSTS`, found on the parsed document before anything is built from it. */
function checkHostCount(doc: Document, r: Reporter): boolean {
  const hosts = isMap(doc.contents) ? doc.contents.get('hosts', true) : undefined;
  if (!isSeq(hosts) || hosts.items.length <= MAX_HOSTS) return true;
  r.error(
    'TooManyHosts',
    ['hosts', MAX_HOSTS],
    `${hosts.items.length} hosts; netpack reads at most ${MAX_HOSTS} (ten times the 5,000 nodes Kubernetes supports in one cluster)`,
    'split the hosts into one cluster file per cluster',
  );
  return false;
}

/** The parser's errors and warnings, worded for the operator, at the line to fix. */
function reportYaml(source: SourceMap, text: string, r: Reporter): void {
  const { doc } = source;
  const problems = [
    ...doc.errors.map((e) => ({ e, severity: 'error' as const })),
    ...doc.warnings.map((e) => ({ e, severity: 'warning' as const })),
  ];
  // The parser reports an over-indented key twice at the same place (BLOCK_AS_IMPLICIT_KEY, then
  // MULTILINE_IMPLICIT_KEY); the first says all there is to say.
  const overIndented = new Set(
    doc.errors.filter((e) => e.code === 'BLOCK_AS_IMPLICIT_KEY').map((e) => e.pos[0]),
  );
  for (const { e, severity } of problems) {
    if (e.code === 'MULTILINE_IMPLICIT_KEY' && overIndented.has(e.pos[0])) continue;
    const { message, hint, at } = yamlProblem(e, source, text);
    r.diagnostics.push({
      code: e.code === 'DUPLICATE_KEY' ? 'DuplicateKey' : 'YamlSyntax',
      severity,
      path: '',
      message: `YAML: ${message}`,
      ...(hint ? { hint } : {}),
      file: r.file,
      ...source.pos(at ?? e.pos[0]),
    });
  }
}

/**
 * The document as plain data, when it is a map (or empty): never a prototype from a `__proto__`
 * key, never an alias expanded without bound. Undefined after reporting why not.
 */
function readData(
  source: SourceMap,
  r: Reporter,
): { data: Record<string, unknown>; empty: boolean } | undefined {
  const { doc } = source;
  // Before the text becomes objects: a `__proto__` key would become a prototype there.
  const forbidden = forbiddenKeys(doc);
  for (const f of forbidden)
    r.diagnostics.push({
      code: 'ForbiddenKey',
      severity: 'error',
      path: [...f.parents, f.key].join('.'),
      message: forbiddenKeyMessage(f.key),
      hint: 'remove the key (or rename it)',
      file: r.file,
      ...source.pos(f.offset),
    });
  if (forbidden.length > 0) return undefined;
  let raw: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs"); an unknown alias throws too.
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    const alias = firstBadAlias(doc);
    r.diagnostics.push({
      code: 'YamlAlias',
      severity: 'error',
      path: '',
      message: `YAML: ${(e as Error).message.split('\n')[0]}`,
      file: r.file,
      ...(alias === undefined ? { line: 1, col: 1 } : source.pos(alias)),
    });
    return undefined;
  }
  const data = raw ?? {};
  // An empty document reads as null, or as an empty null scalar once a `---` marker is there;
  // a `null` written out is not empty.
  const empty =
    doc.contents === null ||
    (isScalar(doc.contents) && doc.contents.value === null && doc.contents.source === '');
  if (typeof data !== 'object' || Array.isArray(data) || !(isMap(doc.contents) || empty)) {
    const got = raw === null ? 'null' : Array.isArray(data) ? 'a list' : typeof data;
    r.error('NotAMap', [], `the cluster file must be a map of options, such as network: (got ${got})`);
    return undefined;
  }
  return { data: data as Record<string, unknown>, empty };
}

/**
 * Parses and checks a cluster file: the YAML, the shapes (schema.ts), the options (resolve.ts),
 * then the rules across them (rules.ts). Never throws on bad input.
 */
export function loadConfig(text: string, opts: LoadOptions): LoadResult {
  // merge: `<<: *defaults` merge keys, which Pharos' YAML reader (Ruby's) understood.
  const source = SourceMap.parse(text, { prettyErrors: false, uniqueKeys: true, merge: true });
  const r = new Reporter(opts.file, source);
  const failed = (): LoadResult => ({ diagnostics: sortDiagnostics(r.diagnostics), origins: {}, source });
  reportYaml(source, text, r);
  if (source.doc.errors.length > 0 || !checkHostCount(source.doc, r)) return failed();
  const read = readData(source, r);
  if (!read) return failed();
  const { data, empty } = read;

  checkTopLevel(data, r);
  const parsed = topLevelSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    for (const issue of convertIssues(parsed.error.issues, topLevelSchema, [])) {
      r.report('error', issue.code, issue.path, issue.message, issue.hint, { atKey: issue.atKey });
    }
  }

  // zod's output; in a file with errors, every value that passed (the rules still check them).
  const res = new Resolver(parsed.success ? parsed.data : salvageCluster(data), r);
  const hosts = resolveHosts(res);
  const network = resolveNetwork(res, hosts, opts.baseDir);
  const config: ClusterConfig = { file: opts.file, baseDir: opts.baseDir, hosts, network, raw: data };
  checkRules(config, { r, res, probe: opts.probe, raw: data });

  const diagnostics = sortDiagnostics(r.diagnostics);
  return hasErrors(diagnostics)
    ? { diagnostics, origins: res.origins, source }
    : { config, diagnostics, origins: res.origins, source, ...(empty ? { empty: true as const } : {}) };
}
export type { FileKind, FileProbe } from './reporter.ts';
