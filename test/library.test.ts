/**
 * The library entry (package.json "main"): the pure core works through it alone, from cluster.yml
 * text to manifests, with no file system behind the probe.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { formatDiagnostic, hasErrors, loadConfig, renderCluster, toYamlStream } from '../src/index.ts';

const probe = { kind: () => 'file' as const };

test('text in, manifests out, through the public API only', () => {
  const text = 'network:\n  provider: calico\n  calico:\n    encapsulation: vxlan\n    mode: CrossSubnet\n';
  const { config, diagnostics } = loadConfig(text, { file: 'cluster.yml', baseDir: '/x', probe });
  assert.equal(hasErrors(diagnostics), false);
  assert.ok(config);
  const { objects } = renderCluster(config, {}, { includeSecrets: false });
  const docs = parseAllDocuments(toYamlStream(objects)).map((d) => d.toJS());
  const pool = docs.find((o) => o.kind === 'IPPool');
  assert.equal(pool.spec.vxlanMode, 'CrossSubnet');
});

test('diagnostics through the public API carry their position', () => {
  const { config, diagnostics } = loadConfig('network:\n  provider: weve\n', {
    file: 'c.yml',
    baseDir: '/x',
    probe,
  });
  assert.equal(config, undefined);
  assert.equal(
    formatDiagnostic(diagnostics[0]!),
    'c.yml:2:13: error: network.provider: must be one of weave, calico, custom (got "weve"); did you mean "weave"?',
  );
});
