import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import type { ClusterConfig, KubeProxyMode } from '../../src/config/types.ts';
import { clusterDnsIp, renderNodeLocalDns } from '../../src/providers/nodelocaldns/index.ts';
import type { KubeObject, ProviderOutput } from '../../src/render/types.ts';
import { MANAGED_BY_LABEL } from '../../src/render/types.ts';
import {
  type AllowedDifference,
  diffObjects,
  findObject,
  unexplained,
  upstreamOrSkip,
} from '../support/upstream.ts';

const UPSTREAM = 'nodelocaldns/nodelocaldns.yaml';
const NS = 'kube-system';
const LOCAL = '169.254.20.10';

function config(mode: KubeProxyMode = 'iptables', serviceCidr?: string): ClusterConfig {
  const c = defaultClusterConfig();
  c.network.kube_proxy_mode = mode;
  if (serviceCidr) c.network.service_cidr = serviceCidr;
  return c;
}

/** Replaces text in every string of the objects, as the docs' `sed` does to the file. */
function sed(objects: KubeObject[], pairs: [string, string][]): KubeObject[] {
  let json = JSON.stringify(objects);
  for (const [from, to] of pairs) json = json.split(from).join(to);
  return JSON.parse(json) as KubeObject[];
}

/** The NodeLocal DNSCache docs' recipe for each kube-proxy mode, with our values. */
function upstreamFilled(objects: KubeObject[], mode: KubeProxyMode, dnsIp: string): KubeObject[] {
  const common: [string, string][] = [
    ['__PILLAR__LOCAL__DNS__', LOCAL],
    ['__PILLAR__DNS__DOMAIN__', 'cluster.local'],
  ];
  if (mode === 'iptables') return sed(objects, [...common, ['__PILLAR__DNS__SERVER__', dnsIp]]);
  return sed(objects, [...common, [',__PILLAR__DNS__SERVER__', ''], ['__PILLAR__CLUSTER__DNS__', dnsIp]]);
}

const ADDON_MANAGER = 'addonmanager.kubernetes.io/mode';

function allowedDifferences(mode: KubeProxyMode): AllowedDifference[] {
  const allowed: AllowedDifference[] = [
    {
      path: /^metadata\.labels\["addonmanager\.kubernetes\.io\/mode"\]$/,
      change: 'removed',
      reason: 'addon-manager would prune objects carrying this label; our own labels replace it',
      check: (d) => d.upstream === 'Reconcile',
    },
    {
      path: 'metadata.labels',
      change: 'removed',
      reason: 'the ConfigMap had only the addon-manager label',
      check: (d) => JSON.stringify(d.upstream) === JSON.stringify({ [ADDON_MANAGER]: 'Reconcile' }),
    },
  ];
  if (mode === 'ipvs')
    allowed.push({
      path: 'data.Corefile',
      change: 'changed',
      reason:
        'IPVS: the docs leave `bind <local> __PILLAR__DNS__SERVER__` for node-cache to blank at start-up; we write `bind <local>`',
      check: (d) =>
        typeof d.upstream === 'string' &&
        d.upstream.includes(' __PILLAR__DNS__SERVER__') &&
        d.ours === d.upstream.split(' __PILLAR__DNS__SERVER__').join(''),
    });
  return allowed;
}

const ref = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function get(out: ProviderOutput, kind: string, name: string): KubeObject {
  const o = findObject(out.objects, kind, name, NS);
  assert.ok(o, `${kind} ${name} is rendered`);
  return o;
}

interface NodeCache {
  args: string[];
  image: string;
  livenessProbe: { httpGet: { host: string; port: number } };
}

function nodeCache(out: ProviderOutput): NodeCache {
  const ds = get(out, 'DaemonSet', 'node-local-dns') as unknown as {
    spec: { template: { spec: { containers: NodeCache[] } } };
  };
  return ds.spec.template.spec.containers[0]!;
}

function corefile(out: ProviderOutput): string {
  return (get(out, 'ConfigMap', 'node-local-dns').data as { Corefile: string }).Corefile;
}

function localIps(out: ProviderOutput): string | undefined {
  const args = nodeCache(out).args;
  return args[args.indexOf('-localip') + 1];
}

function binds(out: ProviderOutput): string[] {
  return corefile(out)
    .split('\n')
    .filter((l) => l.trim().startsWith('bind '))
    .map((l) => l.trim());
}

describe('nodelocaldns: conformance with upstream nodelocaldns.yaml', () => {
  for (const mode of ['iptables', 'ipvs'] as const) {
    test(`${mode}: same objects as the docs' recipe, every difference explained`, (t) => {
      const raw = upstreamOrSkip(t, UPSTREAM);
      if (!raw) return;
      const c = config(mode, '172.31.0.0/16');
      const upstream = upstreamFilled(raw, mode, '172.31.0.10');
      const out = renderNodeLocalDns(c);
      assert.deepEqual(out.objects.map(ref).sort(), upstream.map(ref).sort());
      for (const u of upstream) {
        const ours = findObject(out.objects, u.kind, u.metadata.name, u.metadata.namespace)!;
        assert.deepEqual(
          unexplained(diffObjects(u, ours), allowedDifferences(mode)),
          [],
          `${ref(u)}: differences the kube-proxy mode does not explain`,
        );
      }
    });
  }

  test('the allow-list is not a blanket: a changed image or Corefile line is caught', (t) => {
    const raw = upstreamOrSkip(t, UPSTREAM);
    if (!raw) return;
    const upstream = upstreamFilled(raw, 'iptables', '10.96.0.10');
    const out = structuredClone(renderNodeLocalDns(config()));
    const cm = get(out, 'ConfigMap', 'node-local-dns') as KubeObject & { data: { Corefile: string } };
    cm.data.Corefile = cm.data.Corefile.replace('cache 30', 'cache 31');
    nodeCache(out).image = 'registry.k8s.io/dns/k8s-dns-node-cache:1.26.3';
    const paths = upstream.flatMap((u) =>
      unexplained(
        diffObjects(u, findObject(out.objects, u.kind, u.metadata.name, u.metadata.namespace)),
        allowedDifferences('iptables'),
      ).map((d) => d.path),
    );
    assert.deepEqual(paths.sort(), ['data.Corefile', 'spec.template.spec.containers[name=node-cache].image']);
  });
});

describe('nodelocaldns: options', () => {
  test('disabled: no objects', () => {
    const c = config();
    c.network.node_local_dns_cache.enabled = false;
    assert.deepEqual(renderNodeLocalDns(c), { objects: [], pendingSecrets: [] });
  });

  test('cluster DNS IP is the 10th address of service_cidr', () => {
    assert.equal(clusterDnsIp('10.96.0.0/12'), '10.96.0.10');
    assert.equal(clusterDnsIp('172.31.0.0/16'), '172.31.0.10');
    assert.equal(clusterDnsIp('fd00:10:96::/108'), 'fd00:10:96::a');
    const out = renderNodeLocalDns(config('iptables', '172.31.0.0/16'));
    assert.equal(localIps(out), '169.254.20.10,172.31.0.10');
  });

  test('iptables: binds the link-local address and the cluster DNS IP; node-cache fills the rest', () => {
    const out = renderNodeLocalDns(config('iptables', '172.31.0.0/16'));
    assert.equal(localIps(out), `${LOCAL},172.31.0.10`);
    assert.deepEqual(binds(out), Array(4).fill(`bind ${LOCAL} 172.31.0.10`));
    const cf = corefile(out);
    assert.ok(cf.startsWith('cluster.local:53 {\n'));
    assert.match(cf, /forward \. __PILLAR__CLUSTER__DNS__ \{/);
    assert.match(cf, /forward \. __PILLAR__UPSTREAM__SERVERS__\n/);
    assert.match(cf, new RegExp(`health ${LOCAL.replaceAll('.', '\\.')}:8080`));
    assert.equal(out.diagnostics, undefined, 'kubelet needs no change, so no warning');
  });

  test('ipvs: binds only the link-local address, forwards to the cluster DNS IP, leaves the kubelet caveat to the config check', () => {
    const out = renderNodeLocalDns(config('ipvs', '172.31.0.0/16'));
    assert.equal(localIps(out), LOCAL);
    assert.deepEqual(binds(out), Array(4).fill(`bind ${LOCAL}`));
    const cf = corefile(out);
    assert.ok(!cf.includes('__PILLAR__CLUSTER__DNS__'));
    assert.equal(cf.split('forward . 172.31.0.10 {').length - 1, 3, 'cluster domain and both reverse zones');
    assert.match(cf, /forward \. __PILLAR__UPSTREAM__SERVERS__\n/);
    assert.equal(
      out.diagnostics,
      undefined,
      "the clusterDNS caveat is the config check's, at kube_proxy.mode",
    );
  });

  test('the liveness probe and health endpoint use the link-local address in both modes', () => {
    for (const mode of ['iptables', 'ipvs'] as const) {
      const out = renderNodeLocalDns(config(mode));
      assert.equal(nodeCache(out).livenessProbe.httpGet.host, LOCAL);
      assert.equal(nodeCache(out).livenessProbe.httpGet.port, 8080);
    }
  });

  test('IPv6 service CIDR: the cluster DNS IP is IPv6 and is bound next to the link-local address', () => {
    const out = renderNodeLocalDns(config('iptables', 'fd00:10:96::/108'));
    assert.equal(localIps(out), `${LOCAL},fd00:10:96::a`);
    assert.deepEqual(binds(out), Array(4).fill(`bind ${LOCAL} fd00:10:96::a`));
  });

  test('only the pillars node-cache fills at run time are left', () => {
    for (const mode of ['iptables', 'ipvs'] as const) {
      const pillars = [
        ...JSON.stringify(renderNodeLocalDns(config(mode))).matchAll(/__PILLAR__[A-Z_]+?__(?=[^A-Z_])/g),
      ];
      const names = [...new Set(pillars.map((m) => m[0]))].sort();
      assert.deepEqual(
        names,
        mode === 'iptables'
          ? ['__PILLAR__CLUSTER__DNS__', '__PILLAR__UPSTREAM__SERVERS__']
          : ['__PILLAR__UPSTREAM__SERVERS__'],
      );
    }
  });
});

describe('nodelocaldns: output hygiene', () => {
  test('deterministic: rendering twice gives identical JSON', () => {
    for (const mode of ['iptables', 'ipvs'] as const) {
      assert.equal(
        JSON.stringify(renderNodeLocalDns(config(mode))),
        JSON.stringify(renderNodeLocalDns(config(mode))),
      );
    }
  });

  test('upstream image, no common labels, everything in kube-system', () => {
    const out = renderNodeLocalDns(config());
    assert.equal(nodeCache(out).image, 'registry.k8s.io/dns/k8s-dns-node-cache:1.26.4');
    assert.ok(!JSON.stringify(out).includes(MANAGED_BY_LABEL));
    assert.ok(!JSON.stringify(out).includes(ADDON_MANAGER));
    for (const o of out.objects) assert.equal(o.metadata.namespace, NS);
  });
});

describe('nodelocaldns: schema', () => {
  test('every object validates against the Kubernetes OpenAPI schema of its kind', () => {
    const models: Record<string, new (data: never) => { validate(): void }> = {
      ServiceAccount,
      Service,
      ConfigMap,
      DaemonSet,
    };
    for (const mode of ['iptables', 'ipvs'] as const) {
      for (const o of renderNodeLocalDns(config(mode)).objects) {
        const Model = models[o.kind];
        assert.ok(Model, `no schema model for ${o.kind}`);
        assert.doesNotThrow(() => new Model(structuredClone(o) as never).validate(), `${mode}: ${ref(o)}`);
      }
    }
  });
});
