// The editor schema of the whole cluster.yml (schema/cluster.schema.json, `netpack schema`) as an
// editor uses it: the real yaml-language-server, driven over stdio LSP, validates every example
// and every Pharos-style fixture through a `# yaml-language-server: $schema=` line. Zero false
// errors: a file netpack accepts gets no diagnostic; and true errors are caught, at their line.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { fsProbe } from '../src/cli/io.ts';
import { loadConfig } from '../src/config/load.ts';
import { clusterJsonSchema } from '../src/config/schema.ts';
import { LspClient } from './support/lsp.ts';

const root = new URL('..', import.meta.url).pathname;
const SCHEMA = join(root, 'schema', 'cluster.schema.json');

/** The YAML files in `dir`, and in its subfolders when `deep` (not custom manifests' folders). */
function ymlFiles(dir: string, deep: boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return deep && e.name !== 'manifests' ? ymlFiles(path, deep) : [];
    return /\.ya?ml$/.test(e.name) ? [path] : [];
  });
}

/**
 * Cluster files: every example, and the Pharos-style and config fixtures of the tests (their
 * subfolders hold custom manifests, which are not cluster files).
 */
const FILES = [
  ...ymlFiles(join(root, 'examples'), true),
  ...ymlFiles(join(root, 'test', 'fixtures', 'pharos'), false),
  ...ymlFiles(join(root, 'test', 'fixtures', 'config'), false),
].sort();

/** The schema line an operator adds, relative to the file (as the README shows). */
function withSchemaLine(file: string, text: string): string {
  return `# yaml-language-server: $schema=${relative(join(file, '..'), SCHEMA)}\n${text}`;
}

describe('the editor schema of cluster.yml', () => {
  let lsp: LspClient;
  before(async () => {
    lsp = new LspClient(
      process.execPath,
      [join(root, 'node_modules/yaml-language-server/bin/yaml-language-server'), '--stdio'],
      {
        validate: true,
        // Nothing fetched from the network: no schema store, no Kubernetes schemas.
        schemaStore: { enable: false },
        kubernetesCRDStore: { enable: false },
      },
    );
    await lsp.initialize();
  });
  after(async () => {
    await lsp?.shutdown();
  });

  it('schema/cluster.schema.json is what `netpack schema` prints now', () => {
    assert.deepEqual(
      JSON.parse(readFileSync(SCHEMA, 'utf8')),
      clusterJsonSchema(),
      'regenerate it: npx tsx src/cli/main.ts schema > schema/cluster.schema.json',
    );
  });

  it('has no false errors: no diagnostic on any file netpack accepts', async () => {
    let accepted = 0;
    // All documents open at once, as in an editor with many tabs; each answer is awaited below.
    const texts = FILES.map((file) => readFileSync(file, 'utf8'));
    const answers = FILES.map((file, i) =>
      lsp.validate(pathToFileURL(file).href, withSchemaLine(file, texts[i]!)),
    );
    for (const [i, file] of FILES.entries()) {
      const text = texts[i]!;
      const netpack = loadConfig(text, { file, baseDir: join(file, '..'), probe: fsProbe });
      const found = await answers[i]!;
      if (netpack.diagnostics.some((d) => d.severity === 'error')) {
        // netpack rejects it; whatever the editor says must be among netpack's errors (by line).
        const lines = new Set(netpack.diagnostics.filter((d) => d.severity === 'error').map((d) => d.line));
        for (const d of found)
          assert.ok(
            lines.has(d.range.start.line),
            `${file}:${d.range.start.line}: ${d.message} (netpack: no error there)`,
          );
        continue;
      }
      accepted++;
      assert.deepEqual(
        found.map((d) => `${relative(root, file)}:${d.range.start.line}: ${d.message}`),
        [],
      );
    }
    assert.ok(accepted >= 15, `only ${accepted} files accepted: the test would prove little`);
  });

  it('catches true errors, at their line: a misspelt top-level key, a provider netpack lacks', async () => {
    const file = join(root, 'test', 'fixtures', 'pharos', 'typo.yml');
    const text = readFileSync(file, 'utf8');
    const found = await lsp.validate(`${pathToFileURL(file).href}?again`, withSchemaLine(file, text));
    // The schema line is line 0 of the document: the file's line N (1-based) is N there.
    const netwrok = text.split('\n').findIndex((l) => l.startsWith('netwrok:')) + 1;
    assert.ok(
      found.some((d) => d.severity === 1 && d.range.start.line === netwrok),
      JSON.stringify(found),
    );
    const bad = join(root, 'examples', 'flannel.yml');
    const wrong = await lsp.validate(
      pathToFileURL(bad).href,
      withSchemaLine(bad, 'hosts:\n  - address: 10.0.0.1\n    role: master\nnetwork:\n  provider: flannel\n'),
    );
    assert.deepEqual(
      wrong.map((d) => ({ line: d.range.start.line, severity: d.severity })),
      [{ line: 5, severity: 1 }],
      JSON.stringify(wrong),
    );
  });
});
