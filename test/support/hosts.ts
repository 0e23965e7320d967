import type { Host } from '../../src/config/types.ts';

/** A `hosts:` entry as the loader would give it: no labels, ssh port 22. */
export const host = (address: string, role: Host['role'], private_address?: string): Host => ({
  address,
  role,
  labels: {},
  ssh_port: 22,
  ...(private_address ? { private_address } : {}),
});
