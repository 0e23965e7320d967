/**
 * The examples an operator starts from: each validates without a problem, and each renders to
 * exactly the golden manifest checked in beside the tests (byte for byte, run after run).
 * Regenerate the goldens after an intended change with `UPDATE_GOLDEN=1 npm test`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { PEERS_SCRIPT_KEY } from '../src/providers/weave/index.ts';
import { runCli as netpack } from './support/cli.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const GOLDEN = join(ROOT, 'test', 'golden', 'render');
const EXAMPLES = readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'examples', d.name, 'cluster.yml')))
  .map((d) => d.name)
  .sort();

/**
 * The render with what the build produces taken out: the peering side-car script (ConfigMap
 * weave-net-peers, a minified bundle of a few hundred KB) and its digest on the pod template
 * become placeholders, so the golden shows where they go without changing on every build. The
 * script's own behaviour is tested by running it (test/peers/sidecar-script.test.ts).
 */
function withoutBuildOutput(yaml: string): string {
  const out: string[] = [];
  let blockIndent = -1; // inside the script's block scalar: lines indented deeper than this
  for (const line of yaml.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0 && (line.trim() === '' || indent > blockIndent)) continue;
    blockIndent = -1;
    if (line.trimStart().startsWith(`${PEERS_SCRIPT_KEY}:`)) {
      out.push(`${' '.repeat(indent)}${PEERS_SCRIPT_KEY}: <dist/netpack-sidecar.cjs>`);
      blockIndent = indent;
      continue;
    }
    out.push(
      line.replace(/(netpack\.io\/peers-script-sha256: )"?[0-9a-f]{64}"?/, '$1<sha256 of the script>'),
    );
  }
  return out.join('\n');
}

describe('examples/', () => {
  it('has one commented cluster.yml per provider', () => {
    const providers = new Set<string>();
    for (const name of EXAMPLES) {
      const text = readFileSync(join(ROOT, 'examples', name, 'cluster.yml'), 'utf8');
      assert.match(text, /^#/m, `${name}/cluster.yml explains itself in comments`);
      const provider = /^\s+provider:\s*(\w+)/m.exec(text)?.[1];
      if (provider) providers.add(provider);
    }
    assert.deepEqual([...providers].sort(), ['calico', 'custom', 'weave']);
  });

  for (const name of EXAMPLES) {
    const file = relative(process.cwd(), join(ROOT, 'examples', name, 'cluster.yml'));

    it(`${name}: validates with no errors and no warnings`, async () => {
      const r = await netpack('validate', '-f', file);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /valid \(0 errors, 0 warnings\)/, r.stderr);
    });

    it(`${name}: renders exactly its golden manifest, the same bytes every time`, async () => {
      const first = await netpack('render', '-f', file);
      assert.equal(first.code, 0, first.stderr);
      const second = await netpack('render', '-f', file);
      assert.equal(second.stdout, first.stdout, 'render is deterministic');
      const golden = join(GOLDEN, `${name}.yaml`);
      const got = withoutBuildOutput(first.stdout);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(golden, got);
      }
      assert.ok(existsSync(golden), `${golden} is missing: run UPDATE_GOLDEN=1 npm test`);
      // Compared as text, so a failure shows the first differing line.
      const want = readFileSync(golden, 'utf8');
      if (got !== want) {
        const a = got.split('\n');
        const b = want.split('\n');
        const i = a.findIndex((line, n) => line !== b[n]);
        assert.fail(
          `render differs from ${relative(ROOT, golden)} at line ${i + 1}:\n  got:  ${a[i]}\n  want: ${b[i]}`,
        );
      }
    });
  }
});
