/**
 * firewalld files: provider needs, ipset entries, trust modes, goldens (UPDATE_GOLDEN=1 to
 * regenerate), the TS well-formedness/allowed-elements check, and firewalld's own
 * `firewall-offline-cmd --check-config` on the files and on install.sh's commands.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { contains, mustParseCidr } from '../../src/config/cidr.ts';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import { checkIpsetXml, checkServiceXml, parseXml } from '../../src/firewall/check.ts';
import {
  type FirewallPlan,
  planFirewall,
  portsFor,
  providerNeeds,
  richRule,
} from '../../src/firewall/index.ts';
import { writeFirewallCmdStandIn } from '../support/firewalld.ts';
import { host } from '../support/hosts.ts';

const here = dirname(fileURLToPath(import.meta.url));
const goldenDir = join(here, 'golden');

function weaveCluster(): ClusterConfig {
  const c = defaultClusterConfig();
  c.file = 'weave.yml';
  c.hosts = [
    host('203.0.113.10', 'master', '10.0.0.10'),
    host('203.0.113.11', 'worker', '10.0.0.11'),
    host('198.51.100.20', 'worker'),
  ];
  c.network.firewalld.enabled = true;
  c.network.firewalld.trusted_subnets = ['10.0.0.0/24'];
  c.network.weave.trusted_subnets = ['10.0.0.0/24'];
  return c;
}

function calicoCluster(): ClusterConfig {
  const c = defaultClusterConfig();
  c.file = 'calico.yml';
  c.hosts = [
    host('192.168.50.10', 'master'),
    host('192.168.50.11', 'worker'),
    host('192.168.60.12', 'worker'),
  ];
  c.network.provider = 'calico';
  c.network.firewalld.enabled = true;
  c.network.firewalld.trusted_subnets = ['192.168.50.0/24'];
  c.network.calico.environment = {
    FELIX_PROMETHEUSMETRICSENABLED: 'true',
    FELIX_PROMETHEUSMETRICSPORT: '9099',
  };
  return c;
}

const needsText = (c: ClusterConfig) =>
  providerNeeds(c).map((n) => (n.kind === 'port' ? `${n.port}/${n.protocol}` : `proto ${n.value}`));

test('weave needs 6783/tcp, 6783-6784/udp, ESP while some host is untrusted, its metrics and kubelet', () => {
  const c = weaveCluster();
  assert.deepEqual(needsText(c), ['6783/tcp', '6783-6784/udp', 'proto 50', '6781-6782/tcp', '10250/tcp']);
  c.hosts = c.hosts.slice(0, 2); // both inside weave.trusted_subnets by private address
  assert.ok(!needsText(c).includes('proto 50'), 'no encryption, so no ESP');
  c.hosts = [];
  assert.ok(needsText(c).includes('proto 50'), 'no hosts: nothing proves the peers trusted');
});

test('calico needs BGP with IP-in-IP, VXLAN without BGP, nothing encapsulated with mode Never', () => {
  const c = calicoCluster();
  c.network.calico.environment = {};
  assert.deepEqual(needsText(c), ['179/tcp', 'proto 4', '10250/tcp']);
  c.network.calico.encapsulation = 'vxlan';
  assert.deepEqual(needsText(c), ['4789/udp', '10250/tcp']);
  c.network.calico.mode = 'Never';
  assert.deepEqual(needsText(c), ['179/tcp', '10250/tcp'], 'an unencapsulated pool is routed by BGP');
});

test('calico opens the Felix metrics port only when metrics are on, and Typha only when pointed at one', () => {
  const c = calicoCluster();
  assert.ok(needsText(c).includes('9099/tcp'));
  c.network.calico.environment = { FELIX_PROMETHEUSMETRICSENABLED: 'true' };
  assert.ok(needsText(c).includes('9091/tcp'), "Felix's default port");
  c.network.calico.environment = {
    FELIX_PROMETHEUSMETRICSENABLED: 'false',
    FELIX_PROMETHEUSMETRICSPORT: '9099',
  };
  assert.ok(!needsText(c).some((n) => n.startsWith('909')));
  assert.ok(!needsText(c).includes('5473/tcp'));
  c.network.calico.environment = { FELIX_TYPHAK8SSERVICENAME: 'calico-typha' };
  assert.ok(needsText(c).includes('5473/tcp'));
});

test('custom provider: only kubelet, and a warning that its ports are unknown', () => {
  const c = weaveCluster();
  c.network.provider = 'custom';
  assert.deepEqual(needsText(c), ['10250/tcp']);
  const plan = planFirewall(c);
  assert.ok(plan.diagnostics.some((d) => d.path === 'network.provider' && d.severity === 'warning'));
});

test('the ipset holds IPv4 node addresses, pod and service networks and trusted subnets, none inside another', () => {
  const plan = planFirewall(weaveCluster());
  const ipset = plan.files.find((f) => f.path === 'ipsets/netpack.xml')!.content;
  const entries = [...ipset.matchAll(/<entry>([^<]+)<\/entry>/g)].map((m) => m[1]);
  // 10.0.0.10 and 10.0.0.11 lie in the trusted subnet 10.0.0.0/24, so they are dropped.
  assert.deepEqual(entries, [
    '203.0.113.10',
    '203.0.113.11',
    '198.51.100.20',
    '10.32.0.0/12',
    '10.96.0.0/12',
    '10.0.0.0/24',
  ]);
});

test('the ipset drops exactly the entries inside another (or equal to an earlier one), whatever the order', () => {
  // Against the rule stated pairwise, on generated hosts and subnets that nest and repeat.
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { maxLength: 12 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(22, 24, 30, 32)), { maxLength: 4 }),
      (hosts, subnets) => {
        const c = defaultClusterConfig();
        c.hosts = hosts.map(([a, b]) => host(`192.0.${a}.${b}`, 'worker'));
        c.network.firewalld.trusted_subnets = subnets.map(([a, bits]) =>
          bits === 22 ? '192.0.0.0/22' : `192.0.${a}.0/${bits}`,
        );
        const ipset = planFirewall(c).files.find((f) => f.path === 'ipsets/netpack.xml')!.content;
        const got = [...ipset.matchAll(/<entry>([^<]+)<\/entry>/g)].map((m) => m[1]!);
        const all = [
          ...c.hosts.map((h) => h.address),
          c.network.pod_network_cidr,
          c.network.service_cidr,
          ...c.network.firewalld.trusted_subnets,
        ];
        const cidrOf = (t: string) => mustParseCidr(t.includes('/') ? t : `${t}/32`);
        const expected = all.filter((t, i) =>
          all.every((o, j) => {
            if (j === i) return true;
            const [a, b] = [cidrOf(o), cidrOf(t)];
            const same = a.start === b.start && a.end === b.end;
            return !(contains(a, b) && (!same || j < i));
          }),
        );
        assert.deepEqual(got, expected);
      },
    ),
    { numRuns: 200 },
  );
});

test('host names are reported, not put into the ipset', () => {
  const c = weaveCluster();
  c.hosts.push(host('node4.example.com', 'worker'));
  const plan = planFirewall(c);
  const d = plan.diagnostics.find((x) => x.path === 'hosts[3].address');
  assert.ok(d && d.severity === 'warning' && d.code === 'HostnameInIpset');
  assert.ok(!plan.files.some((f) => f.content.includes('node4.example.com') && f.path.endsWith('.xml')));
});

test('every node in a trusted subnet: the ipset joins the trusted zone and no rich rules', () => {
  const c = weaveCluster();
  c.hosts = c.hosts.slice(0, 2).map((h) => ({ ...h, address: h.private_address! }));
  const plan = planFirewall(c);
  assert.equal(plan.trustAll, true);
  assert.deepEqual(plan.richRules, []);
  const sh = plan.files.find((f) => f.path === 'install.sh')!.content;
  assert.match(sh, /^add source ipset:netpack$/m);
  assert.doesNotMatch(sh, /^add rich-rule/m, 'no rich rule added (a re-run still removes earlier ones)');
});

test('a node outside the trusted subnets: only the provider needs, from the ipset', () => {
  const plan = planFirewall(weaveCluster());
  assert.equal(plan.trustAll, false);
  const sh = plan.files.find((f) => f.path === 'install.sh')!.content;
  assert.doesNotMatch(sh, /^add source ipset:netpack$/m, 'the ipset is not trusted wholesale');
  assert.match(sh, /^add source 10\.32\.0\.0\/12$/m);
  assert.ok(
    plan.richRules.includes(
      'rule family="ipv4" source ipset="netpack" port port="6783" protocol="tcp" accept',
    ),
  );
  assert.equal(
    richRule({ kind: 'protocol', value: 50, why: '' }),
    'rule family="ipv4" source ipset="netpack" protocol value="50" accept',
  );
});

test('weave known_peers (other clusters) are sources of the ipset too', () => {
  const c = weaveCluster();
  c.network.weave.known_peers = ['192.0.2.7'];
  const ipset = planFirewall(c).files.find((f) => f.path === 'ipsets/netpack.xml')!.content;
  assert.match(ipset, /<entry>192\.0\.2\.7<\/entry>/);
});

test('--host picks the role: one service, role baked into install.sh; an unknown host is an error', () => {
  const c = weaveCluster();
  const plan = planFirewall(c, { host: '10.0.0.11' });
  assert.deepEqual(
    plan.files.map((f) => f.path),
    ['services/netpack-worker.xml', 'ipsets/netpack.xml', 'install.sh'],
  );
  assert.match(plan.files[2]!.content, /^ROLE=worker$/m);
  c.raw = { hosts: [{ name: 'm1' }] };
  assert.match(planFirewall(c, { host: 'm1' }).files[0]!.path, /master/);
  const bad = planFirewall(c, { host: 'nope' });
  assert.deepEqual(bad.files, []);
  assert.equal(bad.diagnostics[0]?.severity, 'error');
});

test('open ports go to the services of their roles, once each', () => {
  const ports = [
    { port: '22', protocol: 'tcp' as const, roles: ['*' as const] },
    { port: '22', protocol: 'tcp' as const, roles: ['master' as const] },
    { port: '80', protocol: 'tcp' as const, roles: ['worker' as const] },
  ];
  assert.deepEqual(
    portsFor(ports, 'master').map((p) => p.port),
    ['22'],
  );
  assert.deepEqual(
    portsFor(ports, 'worker').map((p) => p.port),
    ['22', '80'],
  );
});

test('firewalld disabled: still generated, with a warning', () => {
  const c = weaveCluster();
  c.network.firewalld.enabled = false;
  const plan = planFirewall(c);
  assert.ok(plan.files.length === 4);
  assert.ok(plan.diagnostics.some((d) => d.path === 'network.firewalld.enabled'));
});

// --- goldens ---------------------------------------------------------------------------------

function compareGolden(name: string, plan: FirewallPlan): void {
  for (const f of plan.files) {
    const path = join(goldenDir, name, f.path);
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content);
    }
    assert.ok(existsSync(path), `golden ${path} is missing; run with UPDATE_GOLDEN=1 to create it`);
    assert.equal(
      f.content,
      readFileSync(path, 'utf8'),
      `${name}/${f.path} differs from its golden (UPDATE_GOLDEN=1 regenerates)`,
    );
  }
}

test('golden: weave cluster', () => compareGolden('weave', planFirewall(weaveCluster())));
test('golden: calico cluster', () => compareGolden('calico', planFirewall(calicoCluster())));

// --- XML checks ------------------------------------------------------------------------------

test('generated XML is well-formed and uses only elements firewalld allows', () => {
  for (const c of [weaveCluster(), calicoCluster()]) {
    for (const f of planFirewall(c).files) {
      if (f.path.startsWith('services/')) assert.deepEqual(checkServiceXml(f.content), [], f.path);
      if (f.path.startsWith('ipsets/')) assert.deepEqual(checkIpsetXml(f.content), [], f.path);
    }
  }
});

test('the XML checker catches what firewalld would refuse', () => {
  assert.ok(parseXml('<service><short>x</service>').problems.length > 0, 'unbalanced');
  assert.ok(parseXml('<service a=b/>').problems.length > 0, 'unquoted attribute');
  assert.ok(parseXml('<service>&nbsp;</service>').problems.length > 0, 'unknown entity');
  assert.ok(
    checkServiceXml('<service><port port="70000" protocol="tcp"/></service>').some((p) => /outside/.test(p)),
  );
  assert.ok(
    checkServiceXml('<service><port port="22" protocol="icmp"/></service>').some((p) => /protocol/.test(p)),
  );
  assert.ok(checkServiceXml('<service><rule/></service>').some((p) => /not allowed/.test(p)));
  assert.ok(
    checkServiceXml('<service><port port="22"/></service>').some((p) => /needs attribute protocol/.test(p)),
  );
  assert.ok(checkIpsetXml('<ipset type="hash:nope"></ipset>').some((p) => /type/.test(p)));
  assert.ok(
    checkIpsetXml('<ipset type="hash:net"><entry>10.0.0.0/8</entry><entry>10.1.0.0/16</entry></ipset>').some(
      (p) => /overlap/.test(p),
    ),
  );
  assert.ok(
    checkIpsetXml('<ipset type="hash:net"><entry>10.0.0.1/8</entry></ipset>').some((p) =>
      /host bits/.test(p),
    ),
  );
});

// --- firewalld's own check -------------------------------------------------------------------

function offlineTool(t: { skip(msg: string): void }): boolean {
  const found = spawnSync('sh', ['-c', 'command -v firewall-offline-cmd'], { encoding: 'utf8' }).status === 0;
  if (found) return true;
  const msg = 'firewall-offline-cmd is not installed (apt-get install firewalld): firewalld check SKIPPED';
  if (process.env.CI === 'true') assert.fail(`${msg.replace(' SKIPPED', '')} — CI must run this check`);
  console.error(`\n!!! ${msg}\n`);
  t.skip(msg);
  return false;
}

/**
 * Runs install.sh against a temporary firewalld config dir: a `firewall-cmd` shim turns
 * `--permanent` commands into `firewall-offline-cmd --system-config DIR`, so firewalld parses
 * the service, the ipset, the sources and every rich rule; then `--check-config` on the result.
 */
function firewalldAccepts(plan: FirewallPlan, role: 'master' | 'worker'): void {
  const work = mkdtempSync(join(tmpdir(), 'netpack-fw-'));
  try {
    const out = join(work, 'out');
    const etc = join(work, 'etc');
    const bin = join(work, 'bin');
    for (const d of [out, etc, bin]) mkdirSync(d, { recursive: true });
    if (existsSync('/etc/firewalld/firewalld.conf'))
      copyFileSync('/etc/firewalld/firewalld.conf', join(etc, 'firewalld.conf'));
    for (const f of plan.files) {
      mkdirSync(dirname(join(out, f.path)), { recursive: true });
      writeFileSync(join(out, f.path), f.content);
    }
    writeFirewallCmdStandIn(bin);
    const env = { ...process.env, FIREWALLD_DIR: etc, PATH: `${bin}:${process.env.PATH}` };
    const run = spawnSync('sh', [join(out, 'install.sh'), role], { env, encoding: 'utf8' });
    assert.equal(run.status, 0, `install.sh ${role} failed:\n${run.stdout}\n${run.stderr}`);
    const check = spawnSync(
      'firewall-offline-cmd',
      ['--system-config', etc, '--default-config', '/usr/lib/firewalld', '--check-config'],
      { encoding: 'utf8' },
    );
    assert.equal(
      check.status,
      0,
      `firewalld --check-config exit ${check.status} (102 = invalid):\n${check.stderr}${check.stdout}`,
    );
    const zone = readFileSync(join(etc, 'zones', 'trusted.xml'), 'utf8');
    assert.match(zone, /<source /, 'install.sh put sources into the trusted zone');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

test('firewalld accepts the weave files and install.sh (firewall-offline-cmd --check-config)', (t) => {
  if (!offlineTool(t)) return;
  firewalldAccepts(planFirewall(weaveCluster()), 'master');
  firewalldAccepts(planFirewall(weaveCluster()), 'worker');
});

test('firewalld accepts the calico files and install.sh, also when every node is trusted', (t) => {
  if (!offlineTool(t)) return;
  firewalldAccepts(planFirewall(calicoCluster()), 'worker');
  const c = calicoCluster();
  c.hosts = c.hosts.slice(0, 2);
  const plan = planFirewall(c);
  assert.equal(plan.trustAll, true);
  firewalldAccepts(plan, 'master');
});

test('firewalld check is not a rubber stamp: a bad port fails it', (t) => {
  if (!offlineTool(t)) return;
  const plan = planFirewall(weaveCluster());
  const svc = plan.files.find((f) => f.path === 'services/netpack-master.xml')!;
  svc.content = svc.content.replace('port="22"', 'port="70000"');
  assert.throws(() => firewalldAccepts(plan, 'master'), /INVALID_PORT|failed|102/);
});

test('calico opens 5473/tcp (Typha) between nodes exactly when netpack runs Typha', () => {
  const c = calicoCluster();
  c.network.calico.environment = {};
  assert.ok(!needsText(c).includes('5473/tcp'), 'Typha off (the default for three hosts)');
  c.network.calico.typha = true;
  assert.deepEqual(needsText(c), ['179/tcp', 'proto 4', '5473/tcp', '10250/tcp']);
  const typha = providerNeeds(c).find((n) => n.kind === 'port' && n.port === '5473');
  assert.match(typha?.why ?? '', /Typha/);
  // The etcd datastore never runs Typha (the loader rejects typha: true there).
  c.network.calico.datastore = 'etcd';
  c.network.calico.etcd = { endpoints: ['https://10.0.0.1:2379'] };
  assert.ok(!needsText(c).includes('5473/tcp'));
  // Typha is Calico's: another provider never opens it.
  const w = weaveCluster();
  w.network.calico.typha = true;
  assert.ok(!needsText(w).includes('5473/tcp'));
});

test('Typha on: 5473/tcp reaches the generated service and install.sh', () => {
  const c = calicoCluster();
  c.network.calico.typha = true;
  const plan = planFirewall(c);
  const text = JSON.stringify(plan);
  assert.ok(text.includes('5473'), 'the plan carries the Typha port');
  c.network.calico.typha = false;
  assert.ok(!JSON.stringify(planFirewall(c)).includes('5473'));
});
