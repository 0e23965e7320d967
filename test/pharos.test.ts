/**
 * Pharos compatibility: whole Pharos-style cluster.yml files, taken as they are, validate,
 * explain and render as described, with every diagnostic at its position.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { runCli as netpack } from './support/cli.ts';

const DIR = new URL('./fixtures/pharos/', import.meta.url).pathname;
const rel = (name: string) => relative(process.cwd(), `${DIR}${name}`);

/**
 * `line:col` of the `nth` occurrence of `needle` in a fixture, found independently of netpack so
 * that positions are asserted against the file itself.
 */
function at(name: string, needle: string, nth = 1): string {
  const text = readFileSync(`${DIR}${name}`, 'utf8');
  let index = -1;
  for (let i = 0; i < nth; i++) {
    index = text.indexOf(needle, index + 1);
    assert.ok(index >= 0, `${needle} not found ${nth} times in ${name}`);
  }
  const before = text.slice(0, index).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

function diagnosticsOf(lines: string[], file: string) {
  return lines
    .filter((l) => l.startsWith(`${file}:`))
    .map((l) => l.slice(file.length + 1))
    .filter((l) => /^\d+:\d+: /.test(l));
}

describe('a whole Pharos 3.x file (hosts, addons, authentication, audit, cloud, kube_proxy, ...)', () => {
  const file = rel('full.yml');

  it('validates: every Pharos key accepted silently; two warnings: the IPVS caveat at kube_proxy.mode, dns_replicas without effect', async () => {
    const r = await netpack('validate', '-f', file);
    assert.equal(r.code, 0, r.stderr);
    const found = diagnosticsOf(r.lines, file);
    assert.equal(found.length, 2, r.stderr);
    const ipvs = found.find((l) => l.includes('kube_proxy.mode:'))!;
    assert.ok(ipvs.startsWith(`${at('full.yml', 'ipvs')}: warning: kube_proxy.mode:`), ipvs);
    assert.match(ipvs, /clusterDNS must be 169\.254\.20\.10/);
    // Pharos scaled CoreDNS with it; netpack deploys no CoreDNS, and says so where it is written.
    const dns = found.find((l) => l.includes('network.dns_replicas:'))!;
    assert.ok(dns.startsWith(`${at('full.yml', '2\n  service_cidr')}: warning:`), dns);
    assert.match(dns, /warning: network\.dns_replicas: has no effect: netpack does not deploy CoreDNS/);
  });

  it('explain shows the cloud from cloud.provider (gce → gcp), the kubelet clusterDNS note and derived facts', async () => {
    const r = await netpack('explain', '-f', file, '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout);
    const cloud = e.entries.find((x: { path: string }) => x.path === 'network.cloud');
    assert.equal(cloud.value, 'gcp');
    assert.equal(cloud.origin.path, 'cloud.provider');
    assert.equal(`${cloud.origin.line}:${cloud.origin.col}`, at('full.yml', 'gce'));
    const repo = e.entries.find((x: { path: string }) => x.path === 'network.image_repository');
    assert.equal(repo.value, 'registry.example.com/pharos');
    assert.equal(repo.origin.path, 'image_repository');
    assert.equal(e.derived.dns_service_ip, '172.30.0.10');
    assert.ok(
      e.notes.some((n: string) => /clusterDNS must be 169\.254\.20\.10/.test(n)),
      e.notes.join('\n'),
    );
    assert.ok(e.notes.some((n: string) => /cloud: gcp/.test(n)));
  });

  it('renders node-local-dns in its IPVS variant and every image from the Pharos-style mirror', async () => {
    const r = await netpack('render', '-f', file);
    assert.equal(r.code, 0, r.stderr);
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS());
    const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'node-local-dns');
    const args: string[] = ds.spec.template.spec.containers[0].args;
    assert.equal(args[args.indexOf('-localip') + 1], '169.254.20.10', 'binds only the link-local address');
    const images = objects.flatMap((o) =>
      [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.template?.spec?.initContainers ?? [])].map(
        (c: { image: string }) => c.image,
      ),
    );
    assert.ok(images.length > 0);
    for (const image of images) assert.match(image, /^registry\.example\.com\/pharos\/[^/]+:[^/]+$/);
    assert.ok(images.includes('registry.example.com/pharos/weave-kube:2.9.0'));
  });

  it('images --upstream prints "upstream mirrored" pairs by Pharos\' naming rule', async () => {
    const r = await netpack('images', '-f', file, '--upstream');
    assert.equal(r.code, 0, r.stderr);
    const pairs = r.stdout.trim().split('\n');
    assert.ok(
      pairs.includes('rajchaudhuri/weave-kube:2.9.0 registry.example.com/pharos/weave-kube:2.9.0'),
      r.stdout,
    );
    assert.ok(
      pairs.includes(
        'registry.k8s.io/dns/k8s-dns-node-cache:1.26.4 registry.example.com/pharos/k8s-dns-node-cache:1.26.4',
      ),
    );
    const plain = await netpack('images', '-f', file);
    assert.deepEqual(
      plain.stdout.trim().split('\n'),
      pairs.map((p) => p.split(' ')[1]),
    );
  });
});

describe('Vagrant hosts: one address, different ssh ports, host names as private addresses', () => {
  const file = rel('vagrant.yml');

  it('validates: address:ssh_port is what must be unique', async () => {
    const r = await netpack('validate', '-f', file);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(diagnosticsOf(r.lines, file), []);
  });

  it('explain says the host names were skipped in the overlap checks', async () => {
    const r = await netpack('explain', '-f', file);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /host names \(host-01\.local, host-02\.local, host-03\.local\) .* skipped in the CIDR overlap checks/,
    );
  });

  it("renders Calico with Pharos' ipip_mode spelling and mtu", async () => {
    const r = await netpack('render', '-f', file, '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout);
    const pool = list.items.find((o: { kind: string }) => o.kind === 'IPPool');
    assert.equal(pool.spec.ipipMode, 'CrossSubnet');
    assert.equal(pool.spec.vxlanMode, 'Never');
    const cm = list.items.find((o: { metadata: { name: string } }) => o.metadata.name === 'calico-config');
    assert.equal(cm.data.veth_mtu, '1430', '1450 host MTU − 20 for IP-in-IP');
  });

  it('the same address and ssh port twice is an error at the second host', async () => {
    const text = readFileSync(`${DIR}vagrant.yml`, 'utf8').replace('ssh_port: 2200', 'ssh_port: 2222');
    const { loadConfig } = await import('../src/config/load.ts');
    const result = loadConfig(text, { file: 'v.yml', baseDir: DIR, probe: { kind: () => 'file' } });
    const d = result.diagnostics.filter((x) => x.severity === 'error');
    assert.equal(d.length, 1);
    assert.equal(d[0]!.path, 'hosts[1].address');
    assert.equal(`${d[0]!.line}:${d[0]!.col}`, at('vagrant.yml', '127.0.0.1', 2));
    assert.match(d[0]!.message, /ssh port 2222 is already hosts\[0\]/);
  });
});

describe('a Terraform-style file (no hosts) with Pharos 1.x network.trusted_subnets', () => {
  const file = rel('terraform.yml');

  it('validates with a warning at the legacy key that names the new one', async () => {
    const r = await netpack('validate', '-f', file);
    assert.equal(r.code, 0, r.stderr);
    const found = diagnosticsOf(r.lines, file);
    assert.deepEqual(found, [
      `${at('terraform.yml', 'trusted_subnets')}: warning: network.trusted_subnets: is deprecated (Pharos 1.x); move it to network.weave.trusted_subnets`,
    ]);
  });

  it('honours it as weave.trusted_subnets in the render', async () => {
    const r = await netpack('render', '-f', file, '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const ds = JSON.parse(r.stdout).items.find(
      (o: { kind: string; metadata: { name: string } }) =>
        o.kind === 'DaemonSet' && o.metadata.name === 'weave-net',
    );
    const env = ds.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    assert.match(env.find((e) => e.name === 'EXTRA_ARGS')?.value ?? '', /--trusted-subnets=10\.0\.0\.0\/16/);
  });

  it('both spellings with different subnets are an error', async () => {
    const r = await netpack('validate', '-f', rel('legacy-both.yml'));
    assert.equal(r.code, 1);
    const found = diagnosticsOf(r.lines, rel('legacy-both.yml'));
    assert.ok(
      found.some((l) =>
        l.startsWith(
          `${at('legacy-both.yml', '- 10.0.0.0/16')}: error: network.trusted_subnets: is ["10.0.0.0/16"], which conflicts with network.weave.trusted_subnets (["10.1.0.0/16"])`,
        ),
      ),
      found.join('\n'),
    );
  });
});

describe('a CI file whose $VARIABLES were never expanded', () => {
  const file = rel('ci.yml');

  it('reports each with its normal error plus the envsubst hint, all at once', async () => {
    const r = await netpack('validate', '-f', file);
    assert.equal(r.code, 1);
    const found = diagnosticsOf(r.lines, file);
    const expected: [string, string][] = [
      ['$MASTER_IP', 'hosts[0].address'],
      ['$NETWORK_PROVIDER', 'network.provider'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the fixture holds a literal shell variable
      ['${POD_CIDR}', 'network.pod_network_cidr'],
      ['$NO_MASQ', 'network.weave.no_masq_local'],
    ];
    assert.equal(found.length, expected.length, found.join('\n'));
    for (const [needle, path] of expected) {
      const line = found.find((l) => l.startsWith(`${at('ci.yml', needle)}: error: ${path}:`));
      assert.ok(line, `${path} at ${at('ci.yml', needle)} in\n${found.join('\n')}`);
      assert.ok(line.includes(`"${needle}" looks like an unexpanded environment variable`), line);
    }
  });
});

describe('typos and contradictions in the rest of the file', () => {
  it('an unknown top-level key close to a known one is an error with "did you mean", so a typo never drops a section', async () => {
    const file = rel('typo.yml');
    const r = await netpack('validate', '-f', file);
    assert.equal(r.code, 1);
    assert.deepEqual(diagnosticsOf(r.lines, file), [
      `${at('typo.yml', 'netwrok')}: error: netwrok: unknown top-level key "netwrok"; did you mean "network"?`,
      `${at('typo.yml', 'adons')}: error: adons: unknown top-level key "adons"; did you mean "addons"?`,
    ]);
  });

  it('top-level image_repository and network.image_repository that differ are an error', async () => {
    const file = rel('repo-conflict.yml');
    const r = await netpack('validate', '-f', file);
    assert.equal(r.code, 1);
    const found = diagnosticsOf(r.lines, file);
    assert.equal(found.length, 1);
    assert.ok(
      found[0]!.startsWith(
        `${at('repo-conflict.yml', 'mirror.example.com')}: error: network.image_repository: is "mirror.example.com/other", which conflicts with image_repository ("registry.example.com/pharos")`,
      ),
    );
  });
});

describe('a custom flannel directory as Pharos used it', () => {
  it('renders *.yml and *.yml.erb in name order, the ERB filled from cluster_config', async () => {
    const r = await netpack('render', '-f', rel('custom-flannel.yml'), '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const items = JSON.parse(r.stdout).items as {
      kind: string;
      metadata: { name: string };
      data?: Record<string, string>;
    }[];
    const names = items
      .filter((o) => !o.metadata.name.startsWith('node-local-dns') && !o.metadata.name.startsWith('kube-dns'))
      .map((o) => `${o.kind}/${o.metadata.name}`);
    assert.deepEqual(names.sort(), [
      'ClusterRole/flannel',
      'ConfigMap/kube-flannel-cfg',
      'DaemonSet/kube-flannel-ds',
      'ServiceAccount/flannel',
    ]);
    const cfg = JSON.parse(
      items.find((o) => o.metadata.name === 'kube-flannel-cfg')!.data!['net-conf.json']!,
    );
    assert.deepEqual(cfg, { Network: '10.244.0.0/16', Backend: { Type: 'vxlan' } });
  });

  it('takes the firewalld_enabled branch when network.firewalld.enabled is true', async () => {
    const { loadConfig } = await import('../src/config/load.ts');
    const { renderCluster } = await import('../src/render/index.ts');
    const { readRenderInputs } = await import('../src/cli/io.ts');
    const text = readFileSync(`${DIR}custom-flannel.yml`, 'utf8').replace(
      '  provider: custom\n',
      '  provider: custom\n  firewalld:\n    enabled: true\n',
    );
    const loaded = loadConfig(text, { file: 'c.yml', baseDir: DIR, probe: { kind: () => 'directory' } });
    assert.ok(loaded.config, JSON.stringify(loaded.diagnostics));
    const out = renderCluster(loaded.config, readRenderInputs(loaded.config), { includeSecrets: false });
    const cm = out.objects.find((o) => o.metadata.name === 'kube-flannel-cfg') as unknown as {
      data: Record<string, string>;
    };
    assert.equal(parse(cm.data['net-conf.json']!).Backend.Type, 'host-gw');
  });

  it('old API versions and Ruby are errors at file:line:col with the replacement, all reported at once', async () => {
    const r = await netpack('render', '-f', rel('custom-flannel-legacy.yml'));
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '', 'nothing is rendered');
    const dir = 'flannel-legacy/';
    const rbac = r.lines.find((l) =>
      l.startsWith(
        `${rel(`${dir}01-rbac.yml`)}:${at(`${dir}01-rbac.yml`, 'rbac.authorization.k8s.io/v1beta1')}: error:`,
      ),
    );
    assert.ok(rbac, r.stderr);
    assert.match(rbac, /use apiVersion: rbac\.authorization\.k8s\.io\/v1/);
    const ds = r.lines.find((l) =>
      l.startsWith(
        `${rel(`${dir}03-daemonset.yml`)}:${at(`${dir}03-daemonset.yml`, 'extensions/v1beta1')}: error:`,
      ),
    );
    assert.ok(ds, r.stderr);
    assert.match(ds, /use apiVersion: apps\/v1/);
    assert.match(ds, /spec\.selector/);
    const ruby = r.lines.find((l) =>
      l.startsWith(`${rel(`${dir}04-bad-ruby.yml.erb`)}:${at(`${dir}04-bad-ruby.yml.erb`, '<%=')}: error:`),
    );
    assert.ok(ruby, r.stderr);
    assert.match(ruby, /Ruby/);
  });

  it('validate reports the same manifest problems render would, so nothing passes validation that render refuses', async () => {
    const r = await netpack('validate', '-f', rel('custom-flannel-legacy.yml'));
    assert.equal(r.code, 1);
    const dir = 'flannel-legacy/';
    for (const [file, needle] of [
      ['01-rbac.yml', 'rbac.authorization.k8s.io/v1beta1'],
      ['03-daemonset.yml', 'extensions/v1beta1'],
      ['04-bad-ruby.yml.erb', '<%='],
    ] as const) {
      const where = `${rel(`${dir}${file}`)}:${at(`${dir}${file}`, needle)}: error:`;
      assert.ok(
        r.lines.some((l) => l.startsWith(where)),
        `${where} in\n${r.stderr}`,
      );
    }
    assert.match(r.stderr, /invalid \(3 errors, 0 warnings\)/);
  });
});
