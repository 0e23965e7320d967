/**
 * A large cluster file for scale tests and the scale benchmark: `hosts` hosts in regions of
 * `perRegion`, each with a private address (172.16.0.0/12) and a public one (198.18.0.0/15, the
 * benchmarking range), Weave with region-aware peering and firewalld on. Addresses are only
 * written into files: nothing is ever sent to them.
 */
export function bigClusterYaml(hosts: number, perRegion = 100): string {
  const lines = [
    'network:',
    '  provider: weave',
    '  weave:',
    '    known_peers: [192.0.2.50]',
    '    peering:',
    '      enabled: true',
    '  firewalld:',
    '    enabled: true',
    'hosts:',
  ];
  for (let i = 1; i <= hosts; i++) {
    const region = `region-${String(Math.floor((i - 1) / perRegion)).padStart(3, '0')}`;
    lines.push(
      `  - address: 198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
      `    private_address: 172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
      `    role: ${i <= 3 ? 'master' : 'worker'}`,
      `    labels: {topology.kubernetes.io/region: ${region}, kubernetes.io/hostname: node-${i}}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
