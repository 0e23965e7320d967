import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Diagnostic, formatDiagnostic } from '../../src/config/diagnostics.ts';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import { manifestName, renderCustom } from '../../src/providers/custom/index.ts';
import type { KubeObject, RenderInputs } from '../../src/render/types.ts';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'custom');

/** The manifests of fixture folders, as the shell passes them: path and text, sorted by path. */
function manifests(...dirs: string[]): NonNullable<RenderInputs['customManifests']> {
  return dirs
    .flatMap((dir) =>
      readdirSync(path.join(fixtures, dir)).map((f) => ({
        path: `${dir}/${f}`,
        text: readFileSync(path.join(fixtures, dir, f), 'utf8'),
      })),
    )
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

function customConfig(provider = 'custom', extra: Record<string, unknown> = {}): ClusterConfig {
  const config = defaultClusterConfig();
  config.network.provider = 'custom';
  config.network.custom = { manifest_path: fixtures, options: { mtu: 1400 } };
  config.raw = {
    network: {
      provider,
      pod_network_cidr: '10.50.0.0/16',
      custom: { manifest_path: './custom', options: { mtu: 1400 } },
      ...extra,
    },
  };
  return config;
}

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(
    found,
    `${kind}/${name} not rendered; got ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
  );
  return found;
}

/** `file:line:col message` of each diagnostic. */
function where(diagnostics: Diagnostic[] | undefined): string[] {
  return (diagnostics ?? []).map((d) => `${d.file}:${d.line}:${d.col} ${d.severity} ${d.code}`);
}

describe('custom provider: valid manifests', () => {
  test('plain YAML is taken literally, empty documents are skipped, .erb files are templated', () => {
    const out = renderCustom(customConfig(), { customManifests: manifests('valid') });
    assert.deepEqual(out.diagnostics, []);
    assert.deepEqual(
      out.objects.map((o) => `${o.kind}/${o.metadata.name}`),
      ['ServiceAccount/net-agent', 'DaemonSet/net-agent', 'ConfigMap/20-settings'],
    );
    const ds = find(out.objects, 'DaemonSet', 'net-agent') as KubeObject & {
      spec: { template: { spec: { containers: { env: { value: unknown }[] }[] } } };
    };
    // YAML 1.1, as kubectl reads it: the quoted "on" stays a string.
    assert.equal(ds.spec.template.spec.containers[0]?.env[0]?.value, 'on');
  });

  test('the template sees cluster_config, name, firewalld_enabled, reload_iptables, network and options', () => {
    const out = renderCustom(customConfig('custom', { firewalld: { enabled: true } }), {
      customManifests: manifests('valid'),
    });
    const cm = find(out.objects, 'ConfigMap', '20-settings');
    assert.deepEqual(cm.data, {
      pod_network_cidr: '10.50.0.0/16',
      service_cidr: '10.96.0.0/12',
      backend: 'custom',
      firewalld: 'true',
      mtu: '1400',
      literal: '<% not a tag %>',
    });
  });

  test('if/elsif/else on cluster_config.network.provider', () => {
    for (const provider of ['calico', 'weave', 'custom']) {
      const out = renderCustom(customConfig(provider), { customManifests: manifests('valid') });
      const cm = find(out.objects, 'ConfigMap', '20-settings');
      assert.equal((cm.data as Record<string, string>).backend, provider);
      assert.equal((cm.data as Record<string, string>).firewalld, undefined);
    }
  });

  test('name is the file name without its extensions', () => {
    assert.equal(manifestName('dir/sub/weave-extra.yml.erb'), 'weave-extra');
    assert.equal(manifestName('a.yaml'), 'a');
    assert.equal(manifestName('b.yaml.erb'), 'b');
  });

  test('a plain file with an ERB tag is kept as text, with a warning to rename it', () => {
    const out = renderCustom(customConfig(), {
      customManifests: [
        {
          path: 'x/cm.yaml',
          text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: kube-system\ndata:\n  a: "<%= name %>"\n',
        },
      ],
    });
    assert.equal((out.objects[0]!.data as Record<string, string>).a, '<%= name %>');
    assert.deepEqual(where(out.diagnostics), ['x/cm.yaml:7:7 warning ErbTagInPlainFile']);
    assert.match(out.diagnostics![0]!.hint!, /rename it to cm\.yaml\.erb/);
  });

  test('no manifests is an error naming manifest_path', () => {
    const out = renderCustom(customConfig(), { customManifests: [] });
    assert.equal(out.diagnostics?.[0]?.path, 'network.custom.manifest_path');
  });
});

describe('custom provider: errors at file:line:col', () => {
  test('template errors: Ruby constructs, undefined paths and maps, each at its tag', () => {
    const out = renderCustom(customConfig(), { customManifests: manifests('ruby') });
    assert.deepEqual(out.objects, []);
    const lines = (out.diagnostics ?? []).map(formatDiagnostic);
    const expected: [string, RegExp][] = [
      ['ruby/broken.yml.erb:6:7:', /method call `\.split\(\.\.\.\)`/],
      ['ruby/broken.yml.erb:7:7:', /Ruby constant `File`/],
      ['ruby/broken.yml.erb:8:1:', /block `\.each do \.\.\. end`/],
      ['ruby/broken.yml.erb:11:7:', /cluster_config\.network\.nope is not defined/],
      ['ruby/broken.yml.erb:12:7:', /cluster_config\.network is a map/],
      ['ruby/broken.yml.erb:13:1:', /assignment/],
    ];
    assert.equal(lines.length, expected.length, lines.join('\n'));
    expected.forEach(([prefix, pattern], i) => {
      assert.ok(lines[i]!.startsWith(prefix), `${lines[i]} should start with ${prefix}`);
      assert.match(lines[i]!, pattern);
    });
  });

  test('YAML syntax errors at their position in the file, also through a template', () => {
    const out = renderCustom(customConfig(), { customManifests: manifests('syntax') });
    assert.deepEqual(where(out.diagnostics), [
      'syntax/bad.yaml:7:3 error YamlSyntax',
      'syntax/bad.yaml:18:1 error MissingObjectFields',
      // Line 8 of the template, although the trimmed comment makes it line 7 of the output.
      'syntax/mapped.yml.erb:8:6 error YamlSyntax',
    ]);
    // The good document between the two bad ones still parses.
    assert.deepEqual(
      out.objects.map((o) => `${o.kind}/${o.metadata.name}`),
      ['Service/fine'],
    );
  });

  test('tab indentation is a YAML error at the tab', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndata:\n\tkey: tabbed\n';
    const out = renderCustom(customConfig(), { customManifests: [{ path: 'tabs.yaml', text }] });
    assert.deepEqual(where(out.diagnostics), ['tabs.yaml:6:1 error YamlSyntax']);
  });

  test('removed API versions at the apiVersion value, with the replacement and what else changes', () => {
    const out = renderCustom(customConfig(), { customManifests: manifests('legacy') });
    assert.deepEqual(where(out.diagnostics), [
      'legacy/old.yaml:1:13 error RemovedApiVersion',
      'legacy/old.yaml:16:13 error RemovedApiVersion',
      'legacy/old.yaml:22:13 error RemovedApiVersion',
      'legacy/old.yaml:34:13 error RemovedApiVersion',
    ]);
    const [ds, rbac, crd, psp] = out.diagnostics!;
    assert.match(ds!.message, /extensions\/v1beta1 is no longer served \(removed in Kubernetes 1\.16\)/);
    assert.match(ds!.hint!, /^use apiVersion: apps\/v1; apps\/v1 requires spec\.selector/);
    assert.match(rbac!.hint!, /use apiVersion: rbac\.authorization\.k8s\.io\/v1/);
    assert.match(crd!.hint!, /use apiVersion: apiextensions\.k8s\.io\/v1;.*structural schema/);
    assert.match(psp!.hint!, /Pod Security Admission/);
    assert.ok(out.diagnostics!.every((d) => d.path === 'apiVersion'));
  });

  test('every problem in every file is reported in one render', () => {
    const out = renderCustom(customConfig(), {
      customManifests: manifests('legacy', 'ruby', 'syntax', 'valid'),
    });
    const files = new Set((out.diagnostics ?? []).filter((d) => d.severity === 'error').map((d) => d.file));
    assert.deepEqual([...files].sort(), [
      'legacy/old.yaml',
      'ruby/broken.yml.erb',
      'syntax/bad.yaml',
      'syntax/mapped.yml.erb',
    ]);
    assert.equal(out.diagnostics?.length, 4 + 6 + 3);
  });

  test('the same object twice is an error at the second, naming the first', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: x\n';
    const out = renderCustom(customConfig(), {
      customManifests: [
        { path: 'one.yaml', text },
        { path: 'two.yaml', text: `# again\n${text}` },
      ],
    });
    assert.equal(out.objects.length, 1);
    assert.deepEqual(where(out.diagnostics), ['two.yaml:2:1 error DuplicateObject']);
    assert.match(
      out.diagnostics![0]!.message,
      /ConfigMap\/x\/a is defined twice; the first is at one\.yaml:1:1/,
    );
  });

  test('a document that is not a map, and a v1 List whose items are expanded', () => {
    const out = renderCustom(customConfig(), {
      customManifests: [
        { path: 'scalar.yaml', text: 'just a string\n' },
        {
          path: 'list.yaml',
          text: 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: in-list\n      namespace: kube-system\n  - kind: Secret\n',
        },
      ],
    });
    assert.deepEqual(
      out.objects.map((o) => o.metadata.name),
      ['in-list'],
    );
    assert.deepEqual(where(out.diagnostics), [
      'scalar.yaml:1:1 error NotAnObject',
      'list.yaml:9:5 error MissingObjectFields',
    ]);
  });
});

describe('custom provider: the scope of built-in kinds', () => {
  const render = (text: string) =>
    renderCustom(customConfig(), { customManifests: [{ path: 's/o.yml', text }] }).diagnostics ?? [];

  test('a namespaced kind without a namespace is an error at its metadata (netpack does not guess one)', () => {
    const d = render('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nons\ndata: {a: b}\n');
    assert.deepEqual(where(d), ['s/o.yml:4:3 error NamespaceScope']);
    assert.equal(d[0]!.path, 'metadata.namespace');
    assert.match(d[0]!.hint!, /set metadata.namespace/);
  });

  test('a cluster-wide kind with a namespace is an error', () => {
    const d = render(
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  namespace: x\n',
    );
    assert.deepEqual(where(d), ['s/o.yml:5:14 error NamespaceScope']);
  });

  test('kinds netpack does not know (custom resources) are left to the server', () => {
    assert.deepEqual(render('apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: t\n'), []);
  });
});

describe('custom provider: apps/v1 workloads need a selector that matches their pods', () => {
  const workload = (spec: string) =>
    `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ds\n  namespace: kube-system\n${spec}`;
  const render = (text: string) =>
    renderCustom(customConfig(), { customManifests: [{ path: 'w/ds.yml', text }] }).diagnostics ?? [];

  test('no spec.selector is an error at spec, saying what apps/v1 needs', () => {
    const d = render(workload('spec:\n  template:\n    metadata:\n      labels: {app: x}\n'));
    assert.deepEqual(where(d), ['w/ds.yml:6:1 error InvalidSelector']);
    assert.match(d[0]!.message, /DaemonSet ds: apps\/v1 requires spec\.selector/);
    assert.match(d[0]!.hint!, /spec\.template\.metadata\.labels/);
  });

  test('a selector the pod template does not carry is an error', () => {
    const d = render(
      workload(
        'spec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: x}\n',
      ),
    );
    assert.deepEqual(where(d), ['w/ds.yml:6:1 error InvalidSelector']);
  });

  test('a matching selector passes', () => {
    const d = render(
      workload(
        'spec:\n  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n      labels: {app: x, tier: net}\n',
      ),
    );
    assert.deepEqual(d, []);
  });
});
