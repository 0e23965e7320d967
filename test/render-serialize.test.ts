import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { defaultClusterConfig } from '../src/config/resolve.ts';
import type { Provider } from '../src/config/types.ts';
import { renderCluster } from '../src/render/index.ts';
import { outDirFiles, toJsonList, toYamlStream } from '../src/render/serialize.ts';
import type { KubeObject } from '../src/render/types.ts';

function rendered(provider: Provider): KubeObject[] {
  const c = defaultClusterConfig();
  c.network.provider = provider;
  return renderCluster(c, {}, { includeSecrets: false }).objects;
}

const cm = (name: string, data: Record<string, string>, namespace?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: namespace ? { name, namespace } : { name },
  data,
});

describe('YAML stream', () => {
  test('one document per object, each starting with ---, parsing back to the same objects', () => {
    for (const provider of ['weave', 'calico'] as const) {
      const objects = rendered(provider);
      const text = toYamlStream(objects);
      assert.equal(text.split(/^---$/m).length - 1, objects.length);
      const back = parseAllDocuments(text, { version: '1.1' }) as unknown as { toJS(): unknown }[];
      assert.deepEqual(
        back.map((d) => d.toJS()),
        objects,
      );
      assert.equal(toYamlStream(objects), text, 'same input, same bytes');
    }
  });

  test('long strings are not folded; multi-line strings are block literals; YAML 1.1 lookalikes are quoted', () => {
    const long = 'x'.repeat(300);
    const text = toYamlStream([
      cm('c', { long, multi: 'a\nb\n', on: 'on', yes: 'yes', octal: '0755', t: 'true' }),
    ]);
    assert.ok(text.includes(`long: ${long}\n`));
    assert.ok(text.includes('multi: |\n    a\n    b\n'));
    for (const quoted of ['"on"', '"yes"', '"0755"', '"true"'])
      assert.ok(text.includes(quoted), `${quoted} in\n${text}`);
  });

  test('an object shared twice is written out twice, not as an anchor and alias', () => {
    const shared = { app: 'x' };
    const text = toYamlStream([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's', labels: shared },
        spec: { selector: shared },
      },
    ]);
    assert.ok(!text.includes('&') && !text.includes('*'), text);
  });

  test('no objects is an empty stream', () => {
    assert.equal(toYamlStream([]), '');
  });
});

describe('JSON list', () => {
  test('a v1 List of the objects, stable and parseable', () => {
    const objects = rendered('weave');
    const text = toJsonList(objects);
    const list = JSON.parse(text);
    assert.equal(list.apiVersion, 'v1');
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items, objects);
    assert.equal(toJsonList(rendered('weave')), text);
    assert.ok(text.endsWith('}\n'));
  });
});

describe('out-dir files', () => {
  test('names: NNN-kind[-namespace]-name.yaml, lowercase, safe characters only', () => {
    const files = outDirFiles([
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'ippools.crd.projectcalico.org' },
      },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'weave-net', namespace: 'kube-system' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'we!rd/Name:x', namespace: 'ns' } },
    ]);
    assert.deepEqual(
      files.map((f) => f.name),
      [
        '000-customresourcedefinition-ippools.crd.projectcalico.org.yaml',
        '001-daemonset-kube-system-weave-net.yaml',
        '002-configmap-ns-we_rd_name_x.yaml',
      ],
    );
  });

  test('sorting the names gives the apply order, also past 1000 objects', () => {
    for (const count of [3, 13, 1001]) {
      const objects = Array.from({ length: count }, (_, i) => cm(`z${count - i}`, {}, 'ns'));
      const files = outDirFiles(objects);
      const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : 1));
      assert.deepEqual(sorted, files);
      assert.equal(files[0]?.name.split('-')[0]?.length, Math.max(3, String(count - 1).length));
    }
  });

  test('for a real render: apply order preserved, contents are the single documents', () => {
    const objects = rendered('calico');
    const files = outDirFiles(objects);
    const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : 1));
    assert.deepEqual(
      sorted
        .map((f) => parseAllDocuments(f.content, { version: '1.1' }) as unknown as { toJS(): unknown }[])
        .map((d) => d[0]!.toJS()),
      objects,
    );
    assert.equal(new Set(files.map((f) => f.name)).size, files.length, 'names are unique');
    assert.ok(files.every((f) => /^[0-9]{3}-[a-z0-9._-]+\.yaml$/.test(f.name)));
  });
});
