/**
 * `netpack peers plan` in-process, and its HTML page in headless Chromium.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { renderPeersHtml } from '../../src/peers/html.ts';
import type { PeerNode } from '../../src/peers/node.ts';
import { bigClusterYaml } from '../support/big-cluster.ts';
import { runCli } from '../support/cli.ts';

const CHROMIUM = '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'netpack-peers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => runCli(...args);

const CLUSTER = `hosts:
  - address: 198.51.100.1
    private_address: 10.0.0.1
    role: master
    labels:
      topology.kubernetes.io/region: eu
  - address: 198.51.100.2
    private_address: 10.0.0.2
    role: worker
    labels:
      topology.kubernetes.io/region: eu
  - address: 203.0.113.1
    private_address: 10.1.0.1
    role: worker
    labels:
      topology.kubernetes.io/region: us
      kubernetes.io/hostname: us-1
network:
  provider: weave
  weave:
    known_peers: [192.0.2.50]
    trusted_subnets: [10.0.0.0/16]
`;

function nodesJson(): string {
  const node = (name: string, region: string | undefined, addresses: [string, string][]) => ({
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name, labels: region ? { 'topology.kubernetes.io/region': region } : {} },
    status: { addresses: addresses.map(([type, address]) => ({ type, address })), conditions: [] },
  });
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      node('a', 'eu', [
        ['InternalIP', '10.0.0.1'],
        ['ExternalIP', '198.51.100.1'],
      ]),
      node('b', 'us', [['InternalIP', '10.1.0.1']]),
      node('c', undefined, [
        ['InternalIP', '10.2.0.1'],
        ['ExternalIP', '192.0.2.3'],
      ]),
    ],
  });
}

describe('netpack peers plan', () => {
  test('-f cluster.yml: a table of regions and one of nodes, then the rule; known_peers named once', async () => {
    const file = join(dir, 'cluster.yml');
    writeFileSync(file, CLUSTER);
    const r = await cli(['peers', 'plan', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 8), [
      'REGION  NODES  PRIVATE  PUBLIC',
      'eu      2      2        2',
      'us      1      1        1',
      '',
      'NODE          REGION  PRIVATE   PUBLIC',
      '198.51.100.1  eu      10.0.0.1  198.51.100.1',
      '198.51.100.2  eu      10.0.0.2  198.51.100.2',
      'us-1          us      10.1.0.1  203.0.113.1',
    ]);
    assert.match(lines.at(-1)!, /known peers \(192\.0\.2\.50\)/);
  });

  test("--nodes nodes.json -o json: {knownPeers, regions, findings}; each node's peers follow from it", async () => {
    const file = join(dir, 'nodes.json');
    writeFileSync(file, nodesJson());
    const r = await cli(['peers', 'plan', '--nodes', file, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), ['knownPeers', 'regions', 'findings']);
    assert.deepEqual(out.regions, [
      {
        region: '',
        private: ['10.2.0.1'],
        public: ['192.0.2.3'],
        nodes: [{ name: 'c', private: '10.2.0.1', public: '192.0.2.3' }],
      },
      {
        region: 'eu',
        private: ['10.0.0.1'],
        public: ['198.51.100.1'],
        nodes: [{ name: 'a', private: '10.0.0.1', public: '198.51.100.1' }],
      },
      { region: 'us', private: ['10.1.0.1'], public: [], nodes: [{ name: 'b', private: '10.1.0.1' }] },
    ]);
    assert.deepEqual(
      out.findings.map((f: { kind: string; node: string }) => [f.kind, f.node]),
      [
        ['no-public-address', 'b'],
        ['no-region', 'c'],
      ],
    );
    // The per-node lists (the former output) are what --node gives, one node at a time.
    const lists: Record<string, string[]> = {};
    for (const name of ['a', 'b', 'c']) {
      const one = await cli(['peers', 'plan', '--nodes', file, '--node', name, '-o', 'json']);
      Object.assign(lists, JSON.parse(one.stdout).peers);
    }
    assert.deepEqual(lists, { a: ['192.0.2.3'], b: ['192.0.2.3', '198.51.100.1'], c: ['198.51.100.1'] });
  });

  test('--node limits to one node; an unknown node is a usage error (exit 2), as firewall --host', async () => {
    const file = join(dir, 'nodes.json');
    writeFileSync(file, nodesJson());
    const one = await cli(['peers', 'plan', '--nodes', file, '--node', 'a', '-o', 'json']);
    assert.deepEqual(Object.keys(JSON.parse(one.stdout).peers), ['a']);
    const none = await cli(['peers', 'plan', '--nodes', file, '--node', 'zz', '-o', 'json']);
    assert.equal(none.code, 2);
  });

  test('no nodes: the message names where netpack looked', async () => {
    const empty = join(dir, 'empty-nodes.json');
    writeFileSync(empty, '{"apiVersion":"v1","kind":"List","items":[]}');
    const cluster = join(dir, 'cluster.yml');
    writeFileSync(cluster, CLUSTER);
    const fromNodes = await cli(['peers', 'plan', '-f', cluster, '--nodes', empty]);
    assert.equal(fromNodes.code, 0, fromNodes.stderr);
    assert.equal(fromNodes.stdout, `no nodes in ${empty}\n`);
    const noHosts = join(dir, 'no-hosts.yml');
    writeFileSync(noHosts, 'network:\n  provider: weave\n');
    const fromFile = await cli(['peers', 'plan', '-f', noHosts]);
    assert.equal(fromFile.stdout, `no nodes (${noHosts} has no hosts; try --nodes nodes.json)\n`);
  });

  test('-f with provider calico or custom: a warning that plans are for Weave only; the plan still shows', async () => {
    const weave = join(dir, 'cluster.yml');
    writeFileSync(weave, CLUSTER);
    assert.doesNotMatch((await cli(['peers', 'plan', '-f', weave])).stderr, /Weave only/);
    mkdirSync(join(dir, 'manifests'), { recursive: true });
    writeFileSync(
      join(dir, 'manifests', 'a.yml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n',
    );
    const providers = {
      calico: 'provider: calico',
      custom: `provider: custom\n  custom:\n    manifest_path: ${join(dir, 'manifests')}`,
    };
    for (const [provider, block] of Object.entries(providers)) {
      const file = join(dir, `${provider}.yml`);
      writeFileSync(file, CLUSTER.replace(/network:[\s\S]*$/, `network:\n  ${block}\n`));
      for (const output of ['table', 'json']) {
        const r = await cli(['peers', 'plan', '-f', file, '-o', output]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(
          r.lines.includes(
            `netpack: warning: peering plans apply to Weave only; ${file} uses provider ${provider}`,
          ),
          r.stderr,
        );
        assert.match(r.stdout, /198\.51\.100\.2/);
      }
    }
  });

  test('usage errors: bad --output, unreadable --nodes', async () => {
    assert.equal((await cli(['peers', 'plan', '--nodes', join(dir, 'nope.json')])).code, 2);
    writeFileSync(join(dir, 'n.json'), nodesJson());
    assert.equal((await cli(['peers', 'plan', '--nodes', join(dir, 'n.json'), '-o', 'xml'])).code, 2);
  });

  test('--nodes a missing, unreadable or non-JSON file: exit 2, worded like -f, no errno or stack', async () => {
    const missing = join(dir, 'missing.json');
    const gone = await cli(['peers', 'plan', '--nodes', missing]);
    assert.equal(gone.code, 2);
    assert.equal(gone.stderr, `netpack: cannot read ${missing}: no such file\n`);
    const isDir = await cli(['peers', 'plan', '--nodes', dir]);
    assert.equal(isDir.code, 2);
    assert.match(
      isDir.stderr,
      /^netpack: cannot read .*: is a directory; give the output of `kubectl get nodes -o json`\n$/,
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, 'items:\n  - kind: Node\n');
    const notJson = await cli(['peers', 'plan', '--nodes', bad]);
    assert.equal(notJson.code, 2);
    assert.match(
      notJson.stderr,
      /^netpack: .*bad\.json: not JSON \(.+\); give the output of `kubectl get nodes -o json`\n$/,
    );
    for (const r of [gone, isDir, notJson]) {
      assert.doesNotMatch(r.stderr, /ENOENT|EISDIR|\n\s+at /);
      assert.equal(r.stdout, '');
    }
  });
});

describe('peers plan at 5,000 hosts in 50 regions', () => {
  test('every output form is within a constant factor of the input (the per-node form would be ~n times it)', async () => {
    const file = join(dir, 'big.yml');
    const input = bigClusterYaml(5000);
    writeFileSync(file, input);
    const html = join(dir, 'big.html');
    const json = await cli(['peers', 'plan', '-f', file, '-o', 'json', '--html', html]);
    assert.equal(json.code, 0, json.stderr);
    const table = await cli(['peers', 'plan', '-f', file]);
    assert.equal(table.code, 0, table.stderr);
    const sizes = {
      json: Buffer.byteLength(json.stdout),
      table: Buffer.byteLength(table.stdout),
      html: readFileSync(html).length,
    };
    for (const [form, size] of Object.entries(sizes))
      assert.ok(size <= 4 * input.length, `${form}: ${size} bytes for ${input.length} bytes of input`);
    const plan = JSON.parse(json.stdout);
    assert.equal(plan.regions.length, 50);
    assert.equal(
      plan.regions.reduce((k: number, r: { nodes: unknown[] }) => k + r.nodes.length, 0),
      5000,
    );
    // One node's list is still there, computed alone: its region's 99 others, 4,900 public, 1 known.
    const one = await cli(['peers', 'plan', '-f', file, '--node', 'node-1', '-o', 'json']);
    assert.equal(JSON.parse(one.stdout).peers['node-1'].length, 99 + 4900 + 1);
  });
});

/** Regions of nodes named `<region>-<i>`; one node of the last region lacks a public address. */
function manyNodes(regions: number, perRegion: number): PeerNode[] {
  const out: PeerNode[] = [];
  for (let r = 0; r < regions; r++) {
    for (let i = 0; i < perRegion; i++) {
      const n: PeerNode = { name: `r${r}-n${i}`, region: `region-${r}`, internalIp: `10.${r}.0.${i + 1}` };
      if (!(r === regions - 1 && i === 0)) n.externalIp = `172.16.${r}.${i + 1}`;
      out.push(n);
    }
  }
  return out;
}

function chromiumOrSkip(t: { skip(msg: string): void }): boolean {
  if (existsSync(CHROMIUM)) return true;
  const msg = `${CHROMIUM} is missing: the HTML page is NOT checked (install Debian's chromium)`;
  if (process.env.CI === 'true') assert.fail(`${msg}; CI must have it (.ci/run installs it)`);
  console.error(`\n!!! ${msg}\n`);
  t.skip(msg);
  return false;
}

function dumpDom(file: string): { dom: string; stderr: string } {
  const profile = mkdtempSync(join(tmpdir(), 'netpack-chromium-'));
  try {
    const r = spawnSync(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--enable-logging=stderr',
        `--user-data-dir=${profile}`,
        '--dump-dom',
        pathToFileURL(file).href,
      ],
      { encoding: 'utf8', timeout: 90_000 },
    );
    assert.equal(r.status, 0, `chromium failed: ${r.stderr}`);
    return { dom: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

describe('peers HTML page in headless Chromium', () => {
  for (const [label, nodes] of [
    ['node-level links (12 nodes, 3 regions)', manyNodes(3, 4)],
    ['region-level links (120 nodes, 6 regions)', manyNodes(6, 20)],
  ] as const) {
    test(`${label}: loads without errors and shows every node`, (t) => {
      if (!chromiumOrSkip(t)) return;
      const html = renderPeersHtml({
        title: 'test <mesh>',
        nodes,
        knownPeers: ['192.0.2.50'],
        trustedSubnets: ['10.0.0.0/8'],
      });
      // Self-contained: nothing fetched from elsewhere.
      assert.doesNotMatch(html, /\s(src|href)=["']?(https?:)?\/\//i);
      assert.doesNotMatch(html, /<link\b|@import|url\(/i);
      const file = join(dir, `mesh-${nodes.length}.html`);
      writeFileSync(file, html);
      const { dom, stderr } = dumpDom(file);
      assert.doesNotMatch(stderr, /Uncaught|SyntaxError|TypeError|ReferenceError/, stderr);
      const body = /<body([^>]*)>/.exec(dom)?.[1] ?? '';
      assert.doesNotMatch(body, /data-error/, `script failed: ${body}`);
      assert.match(body, new RegExp(`data-ready="${nodes.length}"`), 'the script ran to the end');
      assert.match(body, new RegExp(`data-nodes-drawn="${nodes.length}"`));
      for (const n of nodes) {
        assert.match(
          dom,
          new RegExp(`<g class="node( flagged)?" data-node="${n.name}"`),
          `node ${n.name} drawn`,
        );
      }
      // The node without a public address is flagged and its finding listed.
      const flagged = nodes.find((n) => !n.externalIp)!.name;
      assert.match(dom, new RegExp(`<g class="node flagged" data-node="${flagged}"`));
      assert.match(dom, /class="finding no-public-address"/);
      assert.match(dom, /<title>test &lt;mesh&gt;<\/title>/);
    });
  }

  test('netpack peers plan --html writes the page', async (t) => {
    const file = join(dir, 'cluster.yml');
    writeFileSync(file, CLUSTER);
    const out = join(dir, 'cli.html');
    const r = await cli(['peers', 'plan', '-f', file, '--html', out]);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /class="link private trusted" data-a="198\.51\.100\.1" data-b="198\.51\.100\.2"/);
    assert.match(html, /class="link public" data-a="198\.51\.100\.1" data-b="us-1"/);
    if (!chromiumOrSkip(t)) return;
    const { dom } = dumpDom(out);
    assert.match(dom, /data-ready="3"/);
  });
});
