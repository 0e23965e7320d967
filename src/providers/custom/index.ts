/**
 * The custom provider: the operator's own manifests (Pharos' `network.custom.manifest_path`),
 * `.erb` files evaluated through netpack's ERB subset, then split into Kubernetes objects.
 * Every problem in every file is reported at once, each at its file, line and column.
 */
import { isMap, isSeq, type Node, parseAllDocuments } from 'yaml';
import type { Diagnostic } from '../../config/diagnostics.ts';
import { forbiddenKeyMessage, forbiddenKeys } from '../../config/keys.ts';
import { type Position, textPositions } from '../../config/positions.ts';
import type { ClusterConfig } from '../../config/types.ts';
import { builtinKind } from '../../render/kinds.ts';
import { objectRef } from '../../render/order.ts';
import type { KubeObject, ProviderOutput, RenderInputs } from '../../render/types.ts';
import { renderErb } from '../../templates/erb.ts';
import { removedApi } from './removed-apis.ts';

/** `dir/weave-extra.yml.erb` → `weave-extra`: what Pharos passed to templates as `name`. */
export function manifestName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.erb$/, '').replace(/\.ya?ml$/, '');
}

/** `written` with every key it lacks taken from `defaults`, map by map; what is written wins. */
function fillDefaults(written: unknown, defaults: unknown): unknown {
  if (written === undefined || written === null) return defaults;
  if (!isPlainObject(written) || !isPlainObject(defaults)) return written;
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(written)) out[k] = fillDefaults(v, defaults[k]);
  return out;
}

/**
 * Pharos' `cluster_config`: the cluster file with the network defaults filled in (Pharos passed
 * its config object, defaults included, so `cluster_config.network.service_cidr` has a value
 * when the file leaves it out). Keys keep Pharos' spelling: what the file wrote stays as written
 * (aliases included), `node_local_dns_cache` is a boolean, `kube_proxy.mode` is top-level, and
 * only the chosen provider's block is filled.
 */
export function clusterConfigWithDefaults(config: ClusterConfig): Record<string, unknown> {
  const net = config.network;
  const network: Record<string, unknown> = {
    provider: net.provider,
    service_cidr: net.service_cidr,
    pod_network_cidr: net.pod_network_cidr,
    dns_replicas: net.dns_replicas,
    node_local_dns_cache: net.node_local_dns_cache.enabled,
    firewalld: net.firewalld,
  };
  if (net.provider === 'weave') network.weave = net.weave;
  if (net.provider === 'calico')
    network.calico = {
      ...net.calico,
      ...(net.calico.encapsulation === 'ipip' ? { ipip_mode: net.calico.mode } : {}),
    };
  const defaults = structuredClone({ network, kube_proxy: { mode: net.kube_proxy_mode } });
  return fillDefaults(config.raw, defaults) as Record<string, unknown>;
}

/** The variables a custom template sees: Pharos' (`cluster_config`, `name`, ...) and netpack's. */
export function templateVariables(config: ClusterConfig, name: string): Record<string, unknown> {
  const network = config.raw.network as { firewalld?: { enabled?: unknown } } | undefined;
  return {
    cluster_config: clusterConfigWithDefaults(config),
    name,
    firewalld_enabled: network?.firewalld?.enabled === true,
    // Pharos set this when a re-up had to reload iptables; netpack never does.
    reload_iptables: false,
    network: config.network,
    options: config.network.custom?.options ?? {},
  };
}

/** One manifest's text with the way back from its offsets to the file's. */
interface Source {
  file: string;
  /** Line and column of an offset of the file as written (the positions service). */
  position: (offset: number) => Position;
  text: string;
  sourceOffset(offset: number): number;
}

function at(source: Source, offset: number): { file: string; line: number; col: number } {
  return { file: source.file, ...source.position(source.sourceOffset(offset)) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The start offset of the value under `key` in a YAML map node, if there is one. */
function valueOffset(node: Node | null | undefined, key: string): number | undefined {
  const pair = pairOf(node, key);
  return (pair?.value as Node | null | undefined)?.range?.[0] ?? (pair?.key as Node | null)?.range?.[0];
}

/** The key/value pair of `key` in a YAML map node. */
function pairOf(node: Node | null | undefined, key: string) {
  if (!isMap(node)) return undefined;
  return node.items.find((pair) => {
    const k = pair.key as Node | null;
    return (k && 'value' in k ? (k as { value: unknown }).value : k) === key;
  });
}

/** Offset of the value of `metadata.namespace`, when the document writes one. */
function namespaceOffset(node: Node | null | undefined): number | undefined {
  return valueOffset(pairOf(node, 'metadata')?.value as Node | null | undefined, 'namespace');
}

/** Checks one parsed document (or one `List` item) and adds it to `objects`. */
function collectObject(
  value: unknown,
  node: Node | null | undefined,
  source: Source,
  objects: { obj: KubeObject; where: ReturnType<typeof at> }[],
  diagnostics: Diagnostic[],
): void {
  const start = node?.range?.[0] ?? 0;
  if (!isPlainObject(value)) {
    diagnostics.push({
      code: 'NotAnObject',
      severity: 'error',
      path: '',
      message: `document is ${Array.isArray(value) ? 'a list' : 'a scalar'}, not a Kubernetes object`,
      hint: 'each YAML document must be a map with apiVersion, kind and metadata.name',
      ...at(source, start),
    });
    return;
  }
  if (value.apiVersion === 'v1' && value.kind === 'List' && Array.isArray(value.items)) {
    const itemNodes = (() => {
      let n: Node | null | undefined;
      if (isMap(node))
        n = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === 'items')?.value as Node;
      return isSeq(n) ? (n.items as Node[]) : [];
    })();
    value.items.forEach((item, i) => {
      collectObject(item, itemNodes[i] ?? node, source, objects, diagnostics);
    });
    return;
  }
  const metadata = value.metadata;
  const missing: string[] = [];
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') missing.push('apiVersion');
  if (typeof value.kind !== 'string' || value.kind === '') missing.push('kind');
  if (!isPlainObject(metadata) || typeof metadata.name !== 'string' || metadata.name === '')
    missing.push('metadata.name');
  if (missing.length > 0) {
    diagnostics.push({
      code: 'MissingObjectFields',
      severity: 'error',
      path: '',
      message: `Kubernetes object without ${missing.join(', ')}`,
      hint: 'every object needs a string apiVersion, kind and metadata.name',
      ...at(source, start),
    });
    return;
  }
  const obj = value as KubeObject;
  const removed = removedApi(obj.apiVersion, obj.kind);
  if (removed) {
    const instead = removed.replacement
      ? `use apiVersion: ${removed.replacement}; ${removed.changes}`
      : removed.changes;
    diagnostics.push({
      code: 'RemovedApiVersion',
      severity: 'error',
      path: 'apiVersion',
      message: `${obj.kind} ${obj.metadata.name}: ${obj.apiVersion} is no longer served (removed in Kubernetes ${removed.removedIn})`,
      hint: instead,
      ...at(source, valueOffset(node, 'apiVersion') ?? start),
    });
  }
  // The scope of built-in kinds is known: a namespaced one without a namespace (kubectl would use
  // the context's; netpack does not guess) or a cluster-wide one with one, refused by the server.
  const scope = removed ? undefined : builtinKind(obj.apiVersion, obj.kind);
  const namespace = obj.metadata.namespace;
  if (scope && scope.namespaced !== (typeof namespace === 'string' && namespace !== '')) {
    diagnostics.push({
      code: 'NamespaceScope',
      severity: 'error',
      path: 'metadata.namespace',
      message: scope.namespaced
        ? `${obj.kind} ${obj.metadata.name}: a ${obj.kind} lives in a namespace, and this one names none`
        : `${obj.kind} ${obj.metadata.name}: a ${obj.kind} is cluster-wide, but this one names namespace ${JSON.stringify(namespace)}`,
      hint: scope.namespaced
        ? 'set metadata.namespace (netpack does not pick one; network components usually live in kube-system)'
        : 'remove metadata.namespace',
      // A namespace that should not be there is pointed at; a missing one, at the metadata.
      ...at(source, namespaceOffset(node) ?? valueOffset(node, 'metadata') ?? start),
    });
  }
  const selectorProblem = removed ? undefined : workloadSelectorProblem(obj);
  if (selectorProblem) {
    const spec = isMap(node)
      ? node.items.find((p) => (p.key as { value?: unknown } | null)?.value === 'spec')
      : undefined;
    diagnostics.push({
      code: 'InvalidSelector',
      severity: 'error',
      path: 'spec.selector',
      message: `${obj.kind} ${obj.metadata.name}: ${selectorProblem}`,
      hint: 'set spec.selector.matchLabels to labels that spec.template.metadata.labels carries (apps/v1 requires it, and the API server refuses the object otherwise)',
      ...at(source, (spec?.key as Node | null)?.range?.[0] ?? start),
    });
  }
  objects.push({ obj, where: at(source, start) });
}

const SELECTOR_KINDS = new Set(['DaemonSet', 'Deployment', 'StatefulSet', 'ReplicaSet']);

/**
 * apps/v1 workloads need `spec.selector`, and its matchLabels must be among the pod template's
 * labels; the API server rejects the object at apply time otherwise, so say it before.
 */
function workloadSelectorProblem(obj: KubeObject): string | undefined {
  if (obj.apiVersion !== 'apps/v1' || !SELECTOR_KINDS.has(obj.kind)) return undefined;
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const selector = isPlainObject(spec.selector) ? spec.selector : undefined;
  if (!selector) return 'apps/v1 requires spec.selector';
  const matchLabels = isPlainObject(selector.matchLabels) ? selector.matchLabels : {};
  if (Object.keys(matchLabels).length === 0 && !Array.isArray(selector.matchExpressions))
    return 'spec.selector selects nothing (no matchLabels or matchExpressions)';
  const template = isPlainObject(spec.template) ? spec.template : {};
  const metadata = isPlainObject(template.metadata) ? template.metadata : {};
  const labels = isPlainObject(metadata.labels) ? metadata.labels : {};
  const missing = Object.entries(matchLabels).filter(([k, v]) => labels[k] !== v);
  if (missing.length > 0)
    return `spec.selector.matchLabels ${missing.map(([k, v]) => `${k}=${String(v)}`).join(', ')} not in spec.template.metadata.labels`;
  return undefined;
}

/** Splits one manifest into objects, reporting YAML errors and malformed objects. */
/** Whether netpack reads the map under these keys of a manifest object. */
function readByNetpack(parents: readonly string[]): boolean {
  const [a, b, c] = parents;
  return (
    a === undefined ||
    a === 'metadata' ||
    (a === 'spec' &&
      (b === undefined || b === 'selector' || (b === 'template' && (c === undefined || c === 'metadata'))))
  );
}

function parseManifest(
  source: Source,
  objects: { obj: KubeObject; where: ReturnType<typeof at> }[],
  diagnostics: Diagnostic[],
): void {
  // YAML 1.1, as kubectl and Pharos (Psych) read manifests: `on` and `yes` are booleans.
  const docs = parseAllDocuments(source.text, { version: '1.1', prettyErrors: false, uniqueKeys: true });
  for (const doc of Array.isArray(docs) ? docs : []) {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        diagnostics.push({
          code: 'YamlSyntax',
          severity: 'error',
          path: '',
          message: `YAML syntax error: ${err.message}`,
          ...at(source, err.pos[0]),
        });
      }
      continue;
    }
    for (const warning of doc.warnings) {
      diagnostics.push({
        code: 'YamlSyntax',
        severity: 'warning',
        path: '',
        message: `YAML: ${warning.message}`,
        ...at(source, warning.pos[0]),
      });
    }
    // In the maps netpack reads (the object's top level, metadata, selectors and the pod
    // template's metadata), before they become objects.
    const forbidden = forbiddenKeys(doc, readByNetpack);
    for (const f of forbidden)
      diagnostics.push({
        code: 'ForbiddenKey',
        severity: 'error',
        path: [...f.parents, f.key].join('.'),
        message: forbiddenKeyMessage(f.key),
        hint: 'remove the key (or rename it)',
        ...at(source, f.offset),
      });
    if (forbidden.length > 0) continue;
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (e) {
      diagnostics.push({
        code: 'YamlAlias',
        severity: 'error',
        path: '',
        message: `YAML document cannot be read: ${(e as Error).message}`,
        ...at(source, doc.range[0]),
      });
      continue;
    }
    if (value === null || value === undefined) continue;
    collectObject(value, doc.contents as Node | null, source, objects, diagnostics);
  }
}

/**
 * Renders the custom provider: every manifest in `inputs.customManifests` (already read and
 * sorted by the shell). `.erb` files go through the template engine; plain `.yml`/`.yaml` files
 * are taken literally, as Pharos did.
 */
export function renderCustom(config: ClusterConfig, inputs: RenderInputs): ProviderOutput {
  const diagnostics: Diagnostic[] = [];
  const collected: { obj: KubeObject; where: { file: string; line: number; col: number } }[] = [];
  const manifests = inputs.customManifests ?? [];
  if (manifests.length === 0) {
    diagnostics.push({
      code: 'NoManifests',
      severity: 'error',
      path: 'network.custom.manifest_path',
      message: `no manifests (*.yml, *.yaml, *.yml.erb, *.yaml.erb) found${config.network.custom ? ` in ${config.network.custom.manifest_path}` : ''}`,
      hint: 'point network.custom.manifest_path at a manifest file or a directory of them',
    });
  }
  for (const manifest of manifests) {
    let source: Source;
    if (manifest.path.endsWith('.erb')) {
      const result = renderErb(manifest.text, templateVariables(config, manifestName(manifest.path)));
      if (result.errors.length > 0) {
        for (const err of result.errors) {
          diagnostics.push({
            code: err.code,
            severity: 'error',
            path: '',
            message: err.message,
            file: manifest.path,
            line: err.line,
            col: err.col,
          });
        }
        continue;
      }
      source = {
        file: manifest.path,
        position: textPositions(manifest.text),
        text: result.output,
        sourceOffset: result.sourceOffset,
      };
    } else {
      source = {
        file: manifest.path,
        position: textPositions(manifest.text),
        text: manifest.text,
        sourceOffset: (o) => o,
      };
      const tag = manifest.text.search(/<%[=\s-]/);
      if (tag !== -1) {
        diagnostics.push({
          code: 'ErbTagInPlainFile',
          severity: 'warning',
          path: '',
          message: 'this file contains an ERB tag but is not a template, so the tag is kept as text',
          hint: `rename it to ${manifest.path.slice(manifest.path.lastIndexOf('/') + 1)}.erb to evaluate it`,
          file: manifest.path,
          ...source.position(tag),
        });
      }
    }
    parseManifest(source, collected, diagnostics);
  }

  // A second object with the same identity would silently replace the first on apply.
  const seen = new Map<string, { file: string; line: number; col: number }>();
  const objects: KubeObject[] = [];
  for (const { obj, where } of collected) {
    const ref = objectRef(obj);
    const first = seen.get(ref);
    if (first) {
      diagnostics.push({
        code: 'DuplicateObject',
        severity: 'error',
        path: '',
        message: `${ref} is defined twice; the first is at ${first.file}:${first.line}:${first.col}`,
        hint: 'remove one of them or give them different names',
        ...where,
      });
      continue;
    }
    seen.set(ref, where);
    objects.push(obj);
  }
  return { objects, pendingSecrets: [], diagnostics };
}
