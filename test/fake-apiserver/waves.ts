// Request waves from the server's timeline: how many round trips a client made one after the
// other. A request's wave is one more than the latest wave among the requests answered before it
// arrived (it may have waited for them); requests in flight together share a wave. With latency
// injected on every request, the count is the client's sequential round trips, whatever the
// machine's speed, as long as the latency is well above the client's own work between requests.
import type { RequestRecord } from './http.ts';

export interface WaveOptions {
  /**
   * A watch stays open, but what the client waits for is its first answer: a watch counts as
   * answered this long after it arrived (the injected latency). Default 0.
   */
  watchAnswerMs?: number;
}

/** The wave (1, 2, ...) of each request, in the order given. */
export function requestWaves(requests: readonly RequestRecord[], opts: WaveOptions = {}): number[] {
  const answered = (r: RequestRecord) =>
    r.verb === 'watch'
      ? Math.min(r.endedAt ?? Number.POSITIVE_INFINITY, r.startedAt + (opts.watchAnswerMs ?? 0))
      : (r.endedAt ?? Number.POSITIVE_INFINITY);
  const order = requests.map((_, i) => i).sort((a, b) => requests[a]!.startedAt - requests[b]!.startedAt);
  const wave = new Array<number>(requests.length).fill(0);
  for (const i of order) {
    let before = 0;
    for (const j of order) {
      if (requests[j]!.startedAt >= requests[i]!.startedAt) break;
      if (answered(requests[j]!) <= requests[i]!.startedAt) before = Math.max(before, wave[j]!);
    }
    wave[i] = before + 1;
  }
  return wave;
}

/** How many waves the requests took (0 for none). */
export function waveCount(requests: readonly RequestRecord[], opts: WaveOptions = {}): number {
  return Math.max(0, ...requestWaves(requests, opts));
}

/** Each wave's requests as `VERB resource/name`, for messages. */
export function describeWaves(requests: readonly RequestRecord[], opts: WaveOptions = {}): string {
  const waves = requestWaves(requests, opts);
  const lines: string[] = [];
  waves.forEach((w, i) => {
    const r = requests[i]!;
    lines[w - 1] =
      `${lines[w - 1] ?? `wave ${w}:`} ${r.verb} ${r.resource ?? r.path}${r.name ? `/${r.name}` : ''}${r.dryRun ? ' (dry run)' : ''}`;
  });
  return lines.join('\n');
}
