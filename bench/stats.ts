/** The middle value (upper middle for an even count): robust against one slow run. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * The environment every benchmarked process runs with: PATH, HOME and a locale, nothing else, so
 * that settings of the machine running the bench do not land in the figures. The machine this
 * was written on sets NODE_EXTRA_CA_CERTS, which makes every Node start (not Go's kubectl) load a
 * CA bundle: ~40 ms of a ~65 ms bare start. Neither tool needs it against a plain-HTTP server.
 */
export function benchEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LANG: 'C.UTF-8' };
  for (const key of ['PATH', 'HOME'] as const)
    if (process.env[key] !== undefined) env[key] = process.env[key];
  return env;
}

/** How `benchEnv` ran the processes, for the figures: its variables and what it left out here. */
export function benchEnvDescription(): string {
  const dropped = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'].filter((k) => process.env[k] !== undefined);
  return `PATH, HOME and LANG only${dropped.length ? ` (left out here: ${dropped.join(', ')})` : ''}`;
}
