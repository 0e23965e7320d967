/**
 * ERB templates get `cluster_config` with the network defaults filled in, as Pharos passed it:
 * a value the file leaves out has its default, a value the file writes stays as written.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { renderCustom } from '../../src/providers/custom/index.ts';

function load(text: string) {
  const result = loadConfig(text, {
    file: 'cluster.yml',
    baseDir: '/clusters/prod',
    probe: { kind: () => 'directory' },
  });
  assert.ok(result.config, JSON.stringify(result.diagnostics));
  return result.config;
}

const TEMPLATE = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: net',
  '  namespace: kube-system',
  'data:',
  '  service: "<%= cluster_config.network.service_cidr %>"',
  '  pods: "<%= cluster_config.network.pod_network_cidr %>"',
  '  cache: "<%= cluster_config.network.node_local_dns_cache %>"',
  '  proxy: "<%= cluster_config.kube_proxy.mode %>"',
  '  firewalld: "<%= cluster_config.network.firewalld.enabled %>"',
  '  mtu: "<%= cluster_config.network.custom.options.mtu %>"',
  '',
].join('\n');

function rendered(text: string): Record<string, string> {
  const out = renderCustom(load(text), { customManifests: [{ path: 'net.yml.erb', text: TEMPLATE }] });
  assert.deepEqual(out.diagnostics ?? [], []);
  return out.objects[0]?.data as Record<string, string>;
}

describe('cluster_config in templates', () => {
  test('defaults are filled in where the file says nothing', () => {
    const data = rendered(
      'network:\n  provider: custom\n  custom:\n    manifest_path: manifests\n    options:\n      mtu: 1400\n',
    );
    assert.deepEqual(data, {
      service: '10.96.0.0/12',
      pods: '10.32.0.0/12',
      cache: 'true',
      proxy: 'iptables',
      firewalld: 'false',
      mtu: '1400',
    });
  });

  test('what the file writes wins, as written', () => {
    const data = rendered(
      'network:\n  provider: custom\n  pod_network_cidr: 10.50.0.0/16\n  node_local_dns_cache: false\n  custom:\n    manifest_path: manifests\n    options:\n      mtu: 1400\nkube_proxy:\n  mode: ipvs\n',
    );
    assert.equal(data.pods, '10.50.0.0/16');
    assert.equal(data.cache, 'false');
    assert.equal(data.proxy, 'ipvs');
    assert.equal(data.service, '10.96.0.0/12');
  });
});
