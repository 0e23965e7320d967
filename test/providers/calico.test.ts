/** What each `network.calico` option does to the Calico render. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import type { CalicoConfig, ClusterConfig } from '../../src/config/types.ts';
import { ENCAPSULATION_MODES, ENCAPSULATIONS } from '../../src/config/types.ts';
import { CALICO_IMAGES, renderCalico } from '../../src/providers/calico/index.ts';
import {
  COMPONENT_LABEL,
  type KubeObject,
  MANAGED_BY_LABEL,
  type ProviderOutput,
  type RenderInputs,
} from '../../src/render/types.ts';
import { at, expectClean, expectOnly, load, yml } from '../config/helpers.ts';
import { validateCustomResource, validateK8sObject } from '../support/k8s-schema.ts';

function calicoConfig(calico: Partial<CalicoConfig> = {}, podCidr = '10.32.0.0/12'): ClusterConfig {
  const config = defaultClusterConfig();
  config.network.provider = 'calico';
  config.network.pod_network_cidr = podCidr;
  Object.assign(config.network.calico, calico);
  return config;
}

function render(calico: Partial<CalicoConfig> = {}, inputs: RenderInputs = {}, includeSecrets = false) {
  return renderCalico(calicoConfig(calico), inputs, { includeSecrets });
}

function find(out: ProviderOutput, kind: string, name: string): KubeObject {
  const hits = out.objects.filter((o) => o.kind === kind && o.metadata.name === name);
  assert.equal(hits.length, 1, `one ${kind} ${name}`);
  return hits[0] as KubeObject;
}

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  livenessProbe?: { exec: { command: string[] } };
  readinessProbe?: { exec: { command: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string; defaultMode: number } }[];
  hostNetwork?: boolean;
}

function podSpec(o: KubeObject): PodSpec {
  return (o.spec as { template: { spec: PodSpec } }).template.spec;
}

function nodeContainer(out: ProviderOutput): Container {
  return podSpec(find(out, 'DaemonSet', 'calico-node')).containers[0] as Container;
}

/** calico-node's env as name → value (literal values only; valueFrom shows as `<from>`). */
function nodeEnv(out: ProviderOutput): Map<string, string> {
  const env = nodeContainer(out).env ?? [];
  assert.equal(new Set(env.map((e) => e.name)).size, env.length, 'no duplicate env names');
  return new Map(env.map((e) => [e.name, e.value ?? '<from>']));
}

function configData(out: ProviderOutput): Record<string, string> {
  return find(out, 'ConfigMap', 'calico-config').data as Record<string, string>;
}

function pool(out: ProviderOutput): Record<string, unknown> {
  return find(out, 'IPPool', 'default-ipv4-ippool').spec as Record<string, unknown>;
}

function errors(out: ProviderOutput) {
  return (out.diagnostics ?? []).filter((d) => d.severity === 'error');
}

describe('encapsulation and mode', () => {
  for (const encapsulation of ENCAPSULATIONS) {
    for (const mode of ENCAPSULATION_MODES) {
      test(`${encapsulation} ${mode}`, () => {
        const out = render({ encapsulation, mode });
        assert.deepEqual(errors(out), []);
        const env = nodeEnv(out);
        const ipip = encapsulation === 'ipip' ? mode : 'Never';
        const vxlan = encapsulation === 'vxlan' ? mode : 'Never';
        assert.equal(env.get('CALICO_IPV4POOL_IPIP'), ipip);
        assert.equal(env.get('CALICO_IPV4POOL_VXLAN'), vxlan);
        assert.equal(env.get('CALICO_IPV6POOL_VXLAN'), vxlan);
        assert.equal(env.get('CALICO_NETWORKING_BACKEND'), '<from>', 'backend comes from calico-config');
        assert.equal(pool(out).ipipMode, ipip);
        assert.equal(pool(out).vxlanMode, vxlan);

        // VXLAN runs without BGP (calico-vxlan.yaml); IP-in-IP and unencapsulated pools need BIRD.
        const bird = !(encapsulation === 'vxlan' && mode !== 'Never');
        assert.equal(configData(out).calico_backend, bird ? 'bird' : 'vxlan');
        const c = nodeContainer(out);
        assert.deepEqual(
          c.livenessProbe?.exec.command,
          bird ? ['/bin/calico-node', '-felix-live', '-bird-live'] : ['/bin/calico-node', '-felix-live'],
        );
        assert.deepEqual(
          c.readinessProbe?.exec.command,
          bird ? ['/bin/calico-node', '-felix-ready', '-bird-ready'] : ['/bin/calico-node', '-felix-ready'],
        );

        // Default mtu auto: "0", Calico subtracts the overhead itself; a host MTU of 1500 gives
        // 1500 minus the overhead of the encapsulation in use.
        assert.equal(configData(out).veth_mtu, '0');
        const overhead = mode === 'Never' ? 0 : encapsulation === 'ipip' ? 20 : 50;
        assert.equal(
          configData(render({ encapsulation, mode, mtu: 1500 })).veth_mtu,
          String(1500 - overhead),
        );
      });
    }
  }

  test('the pool carries the pod CIDR, block size 26 and all nodes', () => {
    const out = renderCalico(calicoConfig({}, '172.31.0.0/16'), {}, { includeSecrets: false });
    assert.deepEqual(pool(out), {
      cidr: '172.31.0.0/16',
      ipipMode: 'Always',
      vxlanMode: 'Never',
      natOutgoing: true,
      blockSize: 26,
      nodeSelector: 'all()',
      allowedUses: ['Workload', 'Tunnel'],
      assignmentMode: 'Automatic',
    });
    assert.equal(find(out, 'IPPool', 'default-ipv4-ippool').apiVersion, 'crd.projectcalico.org/v1');
    assert.equal(nodeEnv(out).get('CALICO_IPV4POOL_CIDR'), '172.31.0.0/16');
    assert.equal(nodeEnv(out).get('IP_AUTODETECTION_METHOD'), 'kubernetes-internal-ip');
    assert.equal(
      nodeEnv(render({ ip_autodetection_method: 'interface=eth1' })).get('IP_AUTODETECTION_METHOD'),
      'interface=eth1',
    );
  });

  test('an IPv6 pod CIDR is refused before render, at its value', () => {
    const text = yml`
      network:
        provider: calico
        pod_network_cidr: fd00::/48
    `;
    expectOnly(load(text), [{ code: 'InvalidCidr', path: 'network.pod_network_cidr', ...at(text, 'fd00') }]);
  });
});

describe('nat_outgoing', () => {
  for (const nat of [true, false]) {
    test(`${nat}`, () => {
      const out = render({ nat_outgoing: nat });
      assert.equal(nodeEnv(out).get('CALICO_IPV4POOL_NAT_OUTGOING'), String(nat));
      assert.equal(pool(out).natOutgoing, nat);
    });
  }
});

describe('mtu', () => {
  test('a number is the host MTU: veth_mtu subtracts the encapsulation overhead', () => {
    assert.equal(configData(render({ mtu: 9000 })).veth_mtu, '8980');
    assert.equal(configData(render({ mtu: 9000, encapsulation: 'vxlan' })).veth_mtu, '8950');
    assert.equal(configData(render({ mtu: 9000, mode: 'Never' })).veth_mtu, '9000');
    assert.equal(
      configData(render({ mtu: 1450, encapsulation: 'vxlan', mode: 'CrossSubnet' })).veth_mtu,
      '1400',
    );
  });

  test('auto leaves veth_mtu "0" so Calico detects it', () => {
    assert.equal(configData(render({ mtu: 'auto' })).veth_mtu, '0');
    assert.equal(configData(render({ mtu: 'auto', encapsulation: 'vxlan' })).veth_mtu, '0');
  });

  test('CNI and every Felix tunnel MTU read veth_mtu from calico-config', () => {
    const out = render({ mtu: 9000 });
    const ds = podSpec(find(out, 'DaemonSet', 'calico-node'));
    const ref = { configMapKeyRef: { name: 'calico-config', key: 'veth_mtu' } };
    const env = nodeContainer(out).env ?? [];
    for (const name of ['FELIX_IPINIPMTU', 'FELIX_VXLANMTU', 'FELIX_WIREGUARDMTU']) {
      assert.deepEqual(env.find((e) => e.name === name)?.valueFrom, ref, name);
    }
    const installCni = ds.initContainers?.find((c) => c.name === 'install-cni');
    assert.deepEqual(installCni?.env?.find((e) => e.name === 'CNI_MTU')?.valueFrom, ref);
  });
});

describe('environment', () => {
  test('overrides same-named env, appends the rest sorted by name, after upstream’s', () => {
    const out = render({
      environment: {
        ZZ_LAST: 'z',
        FELIX_IPV6SUPPORT: 'true',
        FELIX_LOGSEVERITYSCREEN: 'debug',
        AA_FIRST: 'a',
      },
    });
    const env = nodeContainer(out).env ?? [];
    const names = env.map((e) => e.name);
    assert.deepEqual(names.slice(-4), [
      'AA_FIRST',
      'FELIX_IPV6SUPPORT',
      'FELIX_LOGSEVERITYSCREEN',
      'ZZ_LAST',
    ]);
    assert.equal(names.filter((n) => n === 'FELIX_IPV6SUPPORT').length, 1);
    assert.equal(nodeEnv(out).get('FELIX_IPV6SUPPORT'), 'true');
    assert.equal(nodeEnv(out).get('FELIX_LOGSEVERITYSCREEN'), 'debug');
    assert.equal(nodeEnv(out).get('FELIX_HEALTHENABLED'), 'true', 'the others stay');
  });

  test('an override of a valueFrom entry becomes a literal', () => {
    const out = render({ environment: { FELIX_VXLANMTU: '1400' } });
    const entry = (nodeContainer(out).env ?? []).find((e) => e.name === 'FELIX_VXLANMTU');
    assert.deepEqual(entry, { name: 'FELIX_VXLANMTU', value: '1400' });
  });

  test('the order of the environment map does not change the output', () => {
    const a = render({ environment: { B: '2', A: '1', C: '3' } });
    const b = render({ environment: { C: '3', A: '1', B: '2' } });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
  });

  test('CALICO_NETWORKING_BACKEND picks the backend, and the probes follow it', () => {
    const out = render({ environment: { CALICO_NETWORKING_BACKEND: 'none' } });
    assert.equal(configData(out).calico_backend, 'none');
    assert.deepEqual(nodeContainer(out).livenessProbe?.exec.command, ['/bin/calico-node', '-felix-live']);
    assert.equal(nodeEnv(out).get('CALICO_NETWORKING_BACKEND'), 'none');
    // A name calico-config does not know is refused by the loader (test/config/calico-node-network.test.ts).
  });

  test('pool env vars are warned about in the kubernetes datastore (the IPPool wins), at load', () => {
    const text = yml`
      network:
        provider: calico
        calico:
          environment:
            CALICO_IPV4POOL_IPIP: Never
    `;
    expectOnly(load(text), [
      {
        code: 'IgnoredOption',
        severity: 'warning',
        path: 'network.calico.environment.CALICO_IPV4POOL_IPIP',
        ...at(text, 'Never'),
      },
    ]);
    const etcd = yml`
      network:
        provider: calico
        calico:
          datastore: etcd
          etcd:
            endpoints: [https://e:2379]
          environment:
            CALICO_IPV4POOL_IPIP: Never
    `;
    expectClean(load(etcd));
    // The render of either has no diagnostics of its own.
    assert.deepEqual(render({ environment: { CALICO_IPV4POOL_IPIP: 'Never' } }).diagnostics, []);
  });
});

describe('Prometheus metrics Service', () => {
  const service = (out: ProviderOutput) =>
    out.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'calico-node-metrics');

  test('absent when FELIX_PROMETHEUSMETRICSENABLED is unset or false', () => {
    assert.equal(service(render()), undefined);
    assert.equal(service(render({ environment: { FELIX_PROMETHEUSMETRICSENABLED: 'false' } })), undefined);
    assert.equal(service(render({ environment: { FELIX_PROMETHEUSMETRICSENABLED: 'False' } })), undefined);
    assert.equal(service(render({ environment: { FELIX_PROMETHEUSMETRICSPORT: '9999' } })), undefined);
  });

  test('a headless Service on port 9091 selecting calico-node when "true" (any case)', () => {
    for (const value of ['true', 'TRUE', 'True']) {
      const svc = service(render({ environment: { FELIX_PROMETHEUSMETRICSENABLED: value } }));
      assert.ok(svc, value);
      assert.equal(svc.metadata.namespace, 'kube-system');
      assert.deepEqual(svc.spec, {
        clusterIP: 'None',
        selector: { 'k8s-app': 'calico-node' },
        ports: [{ name: 'metrics', port: 9091, targetPort: 9091, protocol: 'TCP' }],
      });
    }
  });

  test('FELIX_PROMETHEUSMETRICSPORT sets the port; a bad one is refused at load, at its value', () => {
    const svc = service(
      render({
        environment: { FELIX_PROMETHEUSMETRICSENABLED: 'true', FELIX_PROMETHEUSMETRICSPORT: '9999' },
      }),
    );
    assert.ok(svc);
    const ports = (svc.spec as { ports: { port: number; targetPort: number }[] }).ports;
    assert.deepEqual([ports[0]?.port, ports[0]?.targetPort], [9999, 9999]);
    const text = yml`
      network:
        provider: calico
        calico:
          environment:
            FELIX_PROMETHEUSMETRICSENABLED: "true"
            FELIX_PROMETHEUSMETRICSPORT: "99999"
    `;
    expectOnly(load(text), [
      {
        code: 'InvalidPort',
        path: 'network.calico.environment.FELIX_PROMETHEUSMETRICSPORT',
        ...at(text, '"99999"'),
      },
    ]);
  });

  test('the Service selects the pods of the DaemonSet', () => {
    const out = render({ environment: { FELIX_PROMETHEUSMETRICSENABLED: 'true' } });
    const svc = service(out);
    assert.ok(svc);
    const selector = (svc.spec as { selector: Record<string, string> }).selector;
    const labels = (
      find(out, 'DaemonSet', 'calico-node').spec as { template: { metadata: { labels: object } } }
    ).template.metadata.labels;
    assert.deepEqual(labels, { ...labels, ...selector });
  });
});

describe('etcd datastore', () => {
  const tlsFiles = {
    endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'],
    ca_file: '/srv/etcd/ca.pem',
    cert_file: '/srv/etcd/client.pem',
    key_file: '/srv/etcd/client-key.pem',
  };
  const inputs: RenderInputs = {
    etcdTls: { ca: 'CA-CERT-BODY', cert: 'CLIENT-CERT-BODY', key: 'TOP-SECRET-KEY-BODY' },
  };
  const etcd = (includeSecrets: boolean, files: CalicoConfig['etcd'] = tlsFiles) =>
    render({ datastore: 'etcd', etcd: files }, inputs, includeSecrets);

  test('without includeSecrets: no Secret, a PendingSecret naming the files, no value anywhere', () => {
    const out = etcd(false);
    assert.equal(
      out.objects.find((o) => o.kind === 'Secret'),
      undefined,
    );
    assert.deepEqual(out.pendingSecrets, [
      {
        namespace: 'kube-system',
        name: 'calico-etcd-secrets',
        source:
          'etcd-ca from /srv/etcd/ca.pem, etcd-cert from /srv/etcd/client.pem, etcd-key from /srv/etcd/client-key.pem',
        createOnly: false,
      },
    ]);
    const text = JSON.stringify(out);
    for (const value of Object.values(inputs.etcdTls ?? {})) {
      assert.ok(!text.includes(value), 'plain value absent');
      assert.ok(!text.includes(Buffer.from(value).toString('base64')), 'base64 value absent');
    }
  });

  test('with includeSecrets: the Secret holds the base64 file contents', () => {
    const out = etcd(true);
    assert.deepEqual(out.pendingSecrets, []);
    const secret = find(out, 'Secret', 'calico-etcd-secrets');
    assert.equal(secret.metadata.namespace, 'kube-system');
    assert.equal(secret.type, 'Opaque');
    assert.deepEqual(secret.data, {
      'etcd-ca': Buffer.from('CA-CERT-BODY').toString('base64'),
      'etcd-cert': Buffer.from('CLIENT-CERT-BODY').toString('base64'),
      'etcd-key': Buffer.from('TOP-SECRET-KEY-BODY').toString('base64'),
    });
  });

  test('with includeSecrets but a file not read: an error, no half Secret', () => {
    const out = render({ datastore: 'etcd', etcd: tlsFiles }, { etcdTls: { ca: 'x', cert: 'y' } }, true);
    assert.equal(
      out.objects.find((o) => o.kind === 'Secret'),
      undefined,
    );
    assert.deepEqual(
      errors(out).map((d) => d.path),
      ['network.calico.etcd.key_file'],
    );
  });

  test('only the configured TLS files get a path in calico-config and a key in the Secret', () => {
    const out = etcd(true, { endpoints: ['https://e:2379'], ca_file: '/srv/ca.pem' });
    const data = configData(out);
    assert.deepEqual([data.etcd_ca, data.etcd_cert, data.etcd_key], ['/calico-secrets/etcd-ca', '', '']);
    assert.deepEqual(Object.keys(find(out, 'Secret', 'calico-etcd-secrets').data as object), ['etcd-ca']);
  });

  test('without TLS the Secret is rendered empty, since the pods mount it', () => {
    const out = etcd(false, { endpoints: ['http://e:2379'] });
    assert.deepEqual(out.pendingSecrets, []);
    assert.equal(find(out, 'Secret', 'calico-etcd-secrets').data, undefined);
  });

  test('no CRDs, no IPPool: the pool comes from CALICO_IPV4POOL_* env', () => {
    const out = etcd(false);
    assert.equal(
      out.objects.filter((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'IPPool').length,
      0,
    );
    const env = nodeEnv(out);
    assert.equal(env.get('CALICO_IPV4POOL_CIDR'), '10.32.0.0/12');
    assert.equal(env.get('CALICO_IPV4POOL_IPIP'), 'Always');
    assert.equal(env.get('DATASTORE_TYPE'), undefined, 'etcd is calico-node’s default datastore');
    assert.equal(configData(out).etcd_endpoints, 'https://10.0.0.1:2379,https://10.0.0.2:2379');
  });

  test('the etcd Secret is mounted 0400 in calico-node and 0440 in kube-controllers', () => {
    const out = etcd(false);
    const mode = (o: KubeObject) =>
      podSpec(o).volumes?.find((v) => v.name === 'etcd-certs')?.secret?.defaultMode;
    assert.equal(mode(find(out, 'DaemonSet', 'calico-node')), 0o400);
    assert.equal(mode(find(out, 'Deployment', 'calico-kube-controllers')), 0o440);
    assert.equal(podSpec(find(out, 'Deployment', 'calico-kube-controllers')).hostNetwork, true);
  });

  // No endpoints is refused by the loader, at the list (test/config/calico.test.ts).
});

describe('whole render', () => {
  const variants: Partial<CalicoConfig>[] = [
    {},
    { encapsulation: 'vxlan', mode: 'CrossSubnet', mtu: 'auto', nat_outgoing: false },
    { environment: { FELIX_PROMETHEUSMETRICSENABLED: 'true' } },
    { datastore: 'etcd', etcd: { endpoints: ['http://e:2379'], ca_file: '/ca' } },
  ];

  test('is deterministic and does not change its input', () => {
    for (const calico of variants) {
      const config = calicoConfig(calico);
      const before = JSON.stringify(config);
      const a = renderCalico(config, { etcdTls: { ca: 'c' } }, { includeSecrets: true });
      const b = renderCalico(config, { etcdTls: { ca: 'c' } }, { includeSecrets: true });
      assert.equal(JSON.stringify(a), JSON.stringify(b));
      assert.equal(JSON.stringify(config), before);
      // Separate calls share no objects: changing one output leaves the next one alone.
      for (const o of a.objects) {
        o.metadata.name = 'changed';
        if (o.spec) (o.spec as Record<string, unknown>).changed = true;
        if (Array.isArray(o.rules)) o.rules.length = 0;
      }
      const c = renderCalico(config, { etcdTls: { ca: 'c' } }, { includeSecrets: true });
      assert.equal(JSON.stringify(b), JSON.stringify(c));
    }
  });

  test('images are upstream’s, and only the three Calico images', () => {
    for (const calico of variants) {
      const images = new Set<string>();
      for (const o of render(calico).objects) {
        if (o.kind !== 'DaemonSet' && o.kind !== 'Deployment') continue;
        for (const c of [...(podSpec(o).initContainers ?? []), ...podSpec(o).containers]) images.add(c.image);
      }
      assert.deepEqual([...images].sort(), Object.values(CALICO_IMAGES).sort());
      assert.deepEqual(Object.values(CALICO_IMAGES).sort(), [
        'quay.io/calico/cni:v3.32.1',
        'quay.io/calico/kube-controllers:v3.32.1',
        'quay.io/calico/node:v3.32.1',
      ]);
    }
  });

  test('leaves the common labels to the orchestrator', () => {
    for (const calico of variants) {
      const text = JSON.stringify(render(calico).objects);
      assert.ok(!text.includes(MANAGED_BY_LABEL));
      assert.ok(!text.includes(COMPONENT_LABEL));
    }
  });

  test('init containers per datastore follow upstream', () => {
    const names = (out: ProviderOutput) =>
      podSpec(find(out, 'DaemonSet', 'calico-node')).initContainers?.map((c) => c.name);
    assert.deepEqual(names(render()), ['upgrade-ipam', 'install-cni', 'ebpf-bootstrap']);
    assert.deepEqual(names(render(variants[3])), ['install-cni', 'ebpf-bootstrap']);
  });

  test('every object names a namespace only when namespaced, and kube-system at that', () => {
    const clusterScoped = new Set([
      'CustomResourceDefinition',
      'ClusterRole',
      'ClusterRoleBinding',
      'IPPool',
    ]);
    for (const calico of variants) {
      for (const o of render(calico).objects) {
        assert.equal(
          o.metadata.namespace,
          clusterScoped.has(o.kind) ? undefined : 'kube-system',
          `${o.kind}`,
        );
      }
    }
  });
});

describe('schema', () => {
  test('every rendered object is valid for its kind, with no unknown fields', () => {
    for (const calico of [
      { environment: { FELIX_PROMETHEUSMETRICSENABLED: 'true' } },
      { encapsulation: 'vxlan' as const },
      { datastore: 'etcd' as const, etcd: { endpoints: ['https://e:2379'], ca_file: '/ca' } },
    ]) {
      const { objects } = render(calico, { etcdTls: { ca: 'c' } }, true);
      const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
      for (const o of objects) {
        const problems = o.kind === 'IPPool' ? validateCustomResource(o, crds) : validateK8sObject(o);
        assert.deepEqual(problems, [], `${o.kind} ${o.metadata.name}`);
      }
    }
  });

  test('the check sees a misspelt field (so it is really checking)', () => {
    const ds = structuredClone(find(render(), 'DaemonSet', 'calico-node'));
    const c = nodeContainer({ objects: [ds], pendingSecrets: [] }) as unknown as Record<string, unknown>;
    c.imagePullPolicyy = 'Always';
    assert.ok(validateK8sObject(ds).some((p) => p.includes('imagePullPolicyy')));
  });
});
