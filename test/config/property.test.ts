/**
 * Property-based test of loadConfig: valid configs built from arbitraries for every option must
 * load; the same configs, mutated (keys dropped or renamed, types swapped, garbage and unicode
 * inserted, deep nesting, enum case flipped, YAML syntax broken, random character edits), must
 * never make the loader throw, and every diagnostic must carry a usable path and position.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { Diagnostic } from '../../src/config/diagnostics.ts';
import { explain } from '../../src/config/explain.ts';
import { type LoadResult, loadConfig } from '../../src/config/load.ts';
import { renderCluster } from '../../src/render/index.ts';
import { BASE, FILE, FILES, mapProbe } from './helpers.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** Pod ranges with an allocation subnet and a remote subnet inside them; none overlaps a service range. */
const PODS = [
  { cidr: '10.32.0.0/12', ipalloc: '10.32.0.0/13', remote: '10.40.0.0/13' },
  { cidr: '10.244.0.0/16', ipalloc: '10.244.0.0/17', remote: '10.244.128.0/17' },
  { cidr: '192.168.0.0/16', ipalloc: '192.168.0.0/17', remote: '192.168.128.0/17' },
  { cidr: '172.16.0.0/14', ipalloc: '172.16.0.0/15', remote: '172.18.0.0/15' },
  { cidr: '10.200.0.0/24', ipalloc: '10.200.0.0/24', remote: undefined },
];
const SERVICES = ['10.96.0.0/12', '172.31.0.0/16', '10.100.0.0/16', '10.112.0.0/20'];
/** Host addresses from the documentation ranges, outside every pod and service range above. */
const hostAddress = fc.oneof(
  fc.integer({ min: 1, max: 254 }).map((n) => `192.0.2.${n}`),
  fc.integer({ min: 1, max: 254 }).map((n) => `198.51.100.${n}`),
  fc.integer({ min: 1, max: 99 }).map((n) => `node-${n}.example.com`),
  fc.integer({ min: 1, max: 99 }).map((n) => `2001:db8::${n.toString(16)}`),
);

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Drops undefined values so that optional options are absent rather than null. */
function compact(o: Record<string, unknown>): Obj {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Obj;
}

const hostsArb = fc
  .uniqueArray(
    fc.record({
      address: hostAddress,
      ssh_port: optional(fc.integer({ min: 1, max: 65535 })),
      private_address: optional(fc.integer({ min: 1, max: 254 }).map((n) => `198.18.0.${n}`)),
      role: fc.constantFrom('master', 'worker'),
      labels: optional(
        fc.dictionary(
          fc.constantFrom('zone', 'rack', 'gpu'),
          fc.oneof(fc.string({ maxLength: 5 }), fc.boolean(), fc.nat(99)),
        ),
      ),
    }),
    { maxLength: 12, selector: (h) => `${h.address}:${h.ssh_port ?? 22}` },
  )
  .map((hosts) => hosts.map((h) => compact(h)));

const weaveArb = (pod: (typeof PODS)[number]) =>
  fc
    .record({
      trusted_subnets: optional(fc.subarray(['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'])),
      no_masq_local: optional(fc.boolean()),
      password: optional(fc.constantFrom('weave.secret', '/etc/pharos/weave.secret')),
      known_peers: optional(
        fc.uniqueArray(
          fc.integer({ min: 1, max: 254 }).map((n) => `192.0.2.${n}`),
          { maxLength: 3 },
        ),
      ),
      ipalloc_default_subnet: optional(fc.constant(pod.ipalloc)),
      remote_subnets: optional(fc.constant(pod.remote ? [pod.remote] : [])),
    })
    // Remote subnets need this cluster's own allocation subnet.
    .map((w) => compact(w.ipalloc_default_subnet ? w : { ...w, remote_subnets: undefined }));

const calicoArb = (pod: (typeof PODS)[number], azure: boolean) =>
  fc
    .record({
      // One spelling of encapsulation + mode at a time, as an operator would write it.
      encap: fc.constantFrom('netpack', 'pharos-ipip', 'pharos-vxlan', 'spectro', 'none'),
      vxlan: azure ? fc.constant(true) : fc.boolean(),
      // Azure carries only encapsulated pod traffic: VXLAN Always.
      mode: azure ? fc.constant('Always') : fc.constantFrom('Always', 'CrossSubnet', 'Never'),
      calicoNetworkCIDR: optional(fc.constant(pod.cidr)),
      mtu: optional(
        fc.oneof(
          fc.integer({ min: 626, max: 9000 }) /* 576 for pods after VXLAN's 50 bytes */,
          fc.constant('auto'),
        ),
      ),
      nat_outgoing: optional(fc.boolean()),
      ip_autodetection_method: optional(
        fc.constantFrom(
          'first-found',
          'kubernetes-internal-ip',
          'can-reach=192.0.2.1',
          'interface=eth.*,ens[0-9]+',
          'skip-interface=docker.*',
          'cidr=192.0.2.0/24',
        ),
      ),
      environment: optional(
        fc.record(
          {
            FELIX_PROMETHEUSMETRICSENABLED: fc.oneof(fc.boolean(), fc.constantFrom('true', 'false')),
            FELIX_PROMETHEUSMETRICSPORT: fc.integer({ min: 1, max: 65535 }),
            FELIX_LOGSEVERITYSCREEN: fc.constantFrom('info', 'debug', 'warning'),
          },
          { requiredKeys: [] },
        ),
      ),
      etcd: optional(
        fc.record({
          endpoints: fc.constantFrom(
            ['https://192.0.2.9:2379'],
            ['https://192.0.2.9:2379', 'https://192.0.2.10:2379'],
          ),
          tls: fc.boolean(),
        }),
      ),
    })
    .map((c) => {
      const out: Record<string, unknown> = {
        calicoNetworkCIDR: c.calicoNetworkCIDR,
        mtu: c.mtu,
        nat_outgoing: c.nat_outgoing,
        ip_autodetection_method: c.ip_autodetection_method,
        environment: c.environment,
      };
      const encapsulation = c.vxlan || (azure && c.mode !== 'Never') ? 'vxlan' : 'ipip';
      if (c.encap === 'netpack') Object.assign(out, { encapsulation, mode: c.mode });
      else if (c.encap === 'pharos-ipip' && encapsulation === 'ipip') out.ipip_mode = c.mode;
      else if (c.encap === 'pharos-vxlan' || c.encap === 'pharos-ipip') out.vxlan_mode = c.mode;
      else if (c.encap === 'spectro')
        Object.assign(out, {
          encapsulationType: encapsulation === 'vxlan' ? 'CALICO_IPV4POOL_VXLAN' : 'CALICO_IPV4POOL_IPIP',
          encapsulationMode: c.mode,
        });
      else if (azure) out.encapsulation = 'vxlan';
      if (c.etcd) {
        out.datastore = 'etcd';
        out.etcd = compact({
          endpoints: c.etcd.endpoints,
          ca_file: c.etcd.tls ? 'etcd/ca.pem' : undefined,
          cert_file: c.etcd.tls ? 'etcd/client.pem' : undefined,
          key_file: c.etcd.tls ? 'etcd/client-key.pem' : undefined,
        });
      }
      return compact(out);
    });

/** A valid cluster file, as plain data. */
const validConfig: fc.Arbitrary<Obj> = fc
  .record({
    provider: fc.constantFrom('weave', 'calico', 'custom', undefined),
    pod: fc.constantFrom(...PODS),
    service: fc.constantFrom(...SERVICES),
    writeRanges: fc.boolean(),
    hosts: hostsArb,
    replicasSlack: optional(fc.nat(5)),
    dnsCache: optional(
      fc.oneof(
        fc.boolean(),
        fc.boolean().map((enabled) => ({ enabled })),
      ),
    ),
    cloud: optional(fc.constantFrom('aws', 'azure', 'gcp', 'vmware', 'baremetal')),
    cloudWhere: fc.constantFrom('network', 'top', 'both'),
    imageRepository: optional(
      fc.constantFrom('registry.example.com/mirror', 'quay.example.com:5000', 'mirror.local/a/b'),
    ),
    imageWhere: fc.constantFrom('network', 'top', 'both'),
    kubeProxy: optional(fc.constantFrom('iptables', 'ipvs')),
    pharosExtras: fc.boolean(),
    custom: fc.record({
      manifest_path: fc.constantFrom('manifests', 'manifest.yml', '/clusters/prod/manifests'),
      options: optional(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 6 }),
          fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
          { maxKeys: 3 },
        ),
      ),
    }),
    seed: fc.nat(),
  })
  .chain((g) =>
    fc
      .record({
        weave:
          g.provider === 'weave' || g.provider === undefined
            ? optional(weaveArb(g.pod))
            : fc.constant(undefined),
        calico:
          g.provider === 'calico' ? optional(calicoArb(g.pod, g.cloud === 'azure')) : fc.constant(undefined),
      })
      .map(({ weave, calico }) => {
        const network: Record<string, unknown> = { provider: g.provider };
        if (g.writeRanges) Object.assign(network, { pod_network_cidr: g.pod.cidr, service_cidr: g.service });
        else if (g.pod.cidr !== '10.32.0.0/12' || g.service !== '10.96.0.0/12') {
          // Without written ranges the defaults apply; only the default pod range fits them.
          Object.assign(network, { pod_network_cidr: g.pod.cidr, service_cidr: g.service });
        }
        if (g.replicasSlack !== undefined)
          network.dns_replicas =
            g.hosts.length > 0 ? Math.max(1, g.hosts.length - g.replicasSlack) : 1 + g.replicasSlack;
        network.node_local_dns_cache = g.dnsCache;
        const top: Record<string, unknown> = {};
        if (g.cloud) {
          if (g.cloudWhere !== 'top') network.cloud = g.cloud;
          if (g.cloudWhere !== 'network') top.cloud = { provider: g.cloud };
        }
        if (g.imageRepository) {
          if (g.imageWhere !== 'top') network.image_repository = g.imageRepository;
          if (g.imageWhere !== 'network') top.image_repository = g.imageRepository;
        }
        if (g.kubeProxy) top.kube_proxy = { mode: g.kubeProxy };
        if (weave && Object.keys(weave).length) network.weave = weave;
        if (calico && Object.keys(calico).length) {
          network.calico = calico;
          if (calico.calicoNetworkCIDR) network.pod_network_cidr = g.pod.cidr;
        }
        if (g.provider === 'custom') network.custom = compact(g.custom);
        if (g.pharosExtras)
          Object.assign(top, { name: 'prod', api: { endpoint: 'api.example.com' }, addons: {} });
        const doc: Record<string, unknown> = { ...top, network: compact(network) };
        if (g.hosts.length) doc.hosts = g.hosts;
        return JSON.parse(JSON.stringify(doc)) as Obj;
      }),
  );

// ---------------------------------------------------------------------------------------------
// Mutations

type Path = (string | number)[];

function allPaths(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...allPaths(v, [...prefix, i]));
  } else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...allPaths(v, [...prefix, k]));
  return out;
}

function parentOf(root: Json, path: Path): { parent: Json[] | Obj; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let cur: Json = root;
  for (const seg of path.slice(0, -1)) cur = (cur as Record<string | number, Json>)[seg] as Json;
  return { parent: cur as Json[] | Obj, key: path[path.length - 1]! };
}

const flipCase = (s: string) =>
  [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');

const garbage: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    '',
    ' ',
    '~',
    'yes',
    'no',
    'on',
    'NaN',
    '.inf',
    '-1',
    '0x1F',
    '1e309',
    '$HOME',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an unexpanded variable is the input under test
    '${X}',
    '10.0.0.0/8',
    '::',
    '/',
  ),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant<Json>([]),
  fc.constant<Json>({}),
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('rename' as const),
    at: fc.nat(),
    to: fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
      fc.constantFrom('Provider', 'service-cidr', 'weav', '0', 'true', 'null'),
    ),
  }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: garbage }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    key: fc.string({ minLength: 1, maxLength: 8 }),
    value: garbage,
  }),
  fc.record({
    kind: fc.constant('nest' as const),
    at: fc.nat(),
    depth: fc.integer({ min: 1, max: 60 }),
    list: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('flipCase' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('wrap' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(doc: Obj, m: Mutation): Json {
  const root = structuredClone(doc) as Json;
  const paths = allPaths(root);
  const path = paths[m.at % paths.length]!;
  const where = parentOf(root, path);
  const get = (): Json => (where ? (where.parent as Record<string | number, Json>)[where.key]! : root);
  const set = (v: Json): Json => {
    if (!where) return v;
    (where.parent as Record<string | number, Json>)[where.key] = v;
    return root;
  };
  switch (m.kind) {
    case 'drop':
      if (!where) return {};
      if (Array.isArray(where.parent)) where.parent.splice(where.key as number, 1);
      else delete where.parent[where.key as string];
      return root;
    case 'rename':
      if (!where || Array.isArray(where.parent)) return root;
      {
        const v = where.parent[where.key as string]!;
        delete where.parent[where.key as string];
        where.parent[m.to] = v;
      }
      return root;
    case 'replace':
      return set(m.value);
    case 'insert': {
      const v = get();
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) v[m.key] = m.value;
      else if (Array.isArray(v)) v.push(m.value);
      return root;
    }
    case 'nest': {
      let v = get();
      for (let i = 0; i < m.depth; i++) v = m.list ? [v] : { a: v };
      return set(v);
    }
    case 'flipCase': {
      const v = get();
      return typeof v === 'string' ? set(flipCase(v)) : root;
    }
    case 'wrap':
      return set([get()]);
  }
}

const textEdit = fc.record({
  at: fc.nat(),
  del: fc.nat(4),
  insert: fc.oneof(
    fc.constantFrom(
      '',
      ':',
      ': ',
      '- ',
      '[',
      ']',
      '{',
      '}',
      '"',
      "'",
      '\t',
      '\n',
      '  ',
      '#',
      '&a ',
      '*a',
      '!!str ',
      '? ',
      '|',
      '>',
      '%',
      '@',
      '`',
      ',',
      '---\n',
      '...',
    ),
    fc.string({ unit: 'grapheme', maxLength: 3 }),
    fc.string({ unit: 'binary', maxLength: 3 }),
  ),
});

function editText(text: string, edits: { at: number; del: number; insert: string }[]): string {
  let t = text;
  for (const e of edits) {
    const i = t.length === 0 ? 0 : e.at % (t.length + 1);
    t = t.slice(0, i) + e.insert + t.slice(i + e.del);
  }
  return t;
}

/** YAML styles, so positions are checked in block, flow and quoted layouts. */
const style = fc.record({
  indent: fc.constantFrom(2, 4),
  flow: fc.boolean(),
  quote: fc.boolean(),
});

function toYaml(value: Json, s: { indent: number; flow: boolean; quote: boolean }): string {
  return stringify(value, {
    indent: s.indent,
    collectionStyle: s.flow ? 'flow' : 'any',
    defaultStringType: s.quote ? 'QUOTE_DOUBLE' : 'PLAIN',
    defaultKeyType: 'PLAIN',
    lineWidth: 0,
    aliasDuplicateObjects: false,
  });
}

// ---------------------------------------------------------------------------------------------
// Invariants

function tryLoad(text: string): LoadResult {
  try {
    return loadConfig(text, { file: FILE, baseDir: BASE, probe: mapProbe(FILES) });
  } catch (e) {
    throw new Error(`loadConfig threw ${(e as Error).name}: ${(e as Error).message}\n--- input ---\n${text}`);
  }
}

/** A diagnostic about the whole file rather than one option: YAML problems and "not a map". */
function isWholeFile(d: Diagnostic): boolean {
  return d.message.startsWith('YAML: ') || d.message.startsWith('the cluster file must be a map');
}

function checkInvariants(text: string, r: LoadResult): void {
  const lines = text.split(/\r\n|\r|\n/);
  for (const d of r.diagnostics) {
    const where = `${JSON.stringify(d)}\n--- input ---\n${text}`;
    assert.ok(d.severity === 'error' || d.severity === 'warning', where);
    assert.equal(d.file, FILE, where);
    assert.equal(typeof d.message, 'string', where);
    assert.ok(d.message.length > 0, `empty message: ${where}`);
    if (isWholeFile(d)) assert.equal(d.path, '', `whole-file diagnostic with a path: ${where}`);
    else assert.ok(d.path.length > 0, `diagnostic without a path: ${where}`);
    assert.ok(Number.isInteger(d.line) && d.line! >= 1, `line: ${where}`);
    assert.ok(Number.isInteger(d.col) && d.col! >= 1, `col: ${where}`);
    assert.ok(d.line! <= lines.length, `line ${d.line} beyond the ${lines.length} lines: ${where}`);
  }
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) assert.equal(r.config, undefined, 'no config with errors');
  else assert.ok(r.config, `config expected when there are no errors\n--- input ---\n${text}`);
}

/**
 * Fixed by default so a run is reproducible; NETPACK_PROPERTY_SEED=<n> replays another, and
 * NETPACK_PROPERTY_SEED=random explores (seeds 1 and 2 currently find the open bugs pinned in
 * regressions.test.ts: an unresolved alias throws, an empty top-level key has an empty path).
 */
const SEED_ENV = process.env.NETPACK_PROPERTY_SEED;
const SEED = SEED_ENV === 'random' ? undefined : Number(SEED_ENV ?? 20240611);

describe('loadConfig properties', () => {
  test('valid generated configs load without errors (1000 runs)', () => {
    fc.assert(
      fc.property(validConfig, style, (doc, s) => {
        const text = toYaml(doc, s);
        const r = tryLoad(text);
        checkInvariants(text, r);
        const errors = r.diagnostics.filter((d) => d.severity === 'error');
        assert.deepEqual(errors, [], `valid config rejected:\n${text}`);
        assert.ok(r.config);
        // Spot-check that the generated values came through.
        const net = doc.network as Obj;
        if (typeof net.provider === 'string') assert.equal(r.config.network.provider, net.provider);
        if (typeof net.service_cidr === 'string')
          assert.equal(r.config.network.service_cidr, net.service_cidr);
        assert.equal(r.config.hosts.length, Array.isArray(doc.hosts) ? doc.hosts.length : 0);
      }),
      { numRuns: 1000, seed: SEED },
    );
  });

  // Every check that can fail happens when the file is loaded, with a position: a config that
  // loads also explains and renders, with no error of render's own (render trusts it).
  test('a config that loads explains and renders without an error (300 runs)', () => {
    const inputs = {
      weavePassword: 'not-a-real-secret',
      etcdTls: { ca: 'CA', cert: 'CERT', key: 'KEY' },
      customManifests: [
        {
          path: 'manifests/a.yml',
          text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: kube-system\n',
        },
      ],
      peersScript: '// side-car',
    };
    fc.assert(
      fc.property(validConfig, style, (doc, s) => {
        const text = toYaml(doc, s);
        const r = tryLoad(text);
        assert.ok(r.config, `valid config rejected:\n${text}`);
        explain(r.config, r.origins);
        const rendered = renderCluster(r.config, inputs, { includeSecrets: false });
        const errors = rendered.diagnostics.filter((d) => d.severity === 'error');
        assert.deepEqual(errors, [], `loads, but render refuses it:\n${text}`);
        assert.ok(rendered.objects.length > 0);
      }),
      { numRuns: 300, seed: SEED, endOnFailure: true },
    );
  });

  test('mutated configs never throw and every diagnostic has a path and a position (1200 runs)', () => {
    fc.assert(
      fc.property(
        validConfig,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        style,
        (doc, mutations, s) => {
          let value: Json = doc;
          for (const m of mutations) value = mutate(value as Obj, m);
          const text = toYaml(value, s);
          checkInvariants(text, tryLoad(text));
        },
      ),
      { numRuns: 1200, seed: SEED === undefined ? undefined : SEED + 1 },
    );
  });

  test('randomly edited YAML text never throws and every diagnostic has a position (800 runs)', () => {
    fc.assert(
      fc.property(validConfig, fc.array(textEdit, { minLength: 1, maxLength: 6 }), style, (doc, edits, s) => {
        const text = editText(toYaml(doc, s), edits);
        checkInvariants(text, tryLoad(text));
      }),
      { numRuns: 800, seed: SEED === undefined ? undefined : SEED + 2 },
    );
  });
});
