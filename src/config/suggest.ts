import { distance } from 'fastest-levenshtein';

/**
 * The closest candidate to `word`, for "did you mean" hints: an exact match ignoring case wins,
 * else the nearest by edit distance when it is close enough to be a plausible typo.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const sameCase = candidates.find((c) => c.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const normalized = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const sameShape = candidates.find((c) => normalized(c) === normalized(word));
  if (sameShape) return sameShape;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const allowed = Math.max(1, Math.floor(Math.max(word.length, 3) / 3));
  return bestDistance <= allowed ? best : undefined;
}

export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const c = closest(word, candidates);
  return c === undefined ? undefined : `did you mean "${c}"?`;
}

/** `$VAR` or `${VAR}` left in a value: the file was not run through envsubst. */
export function looksLikeUnexpandedVariable(value: unknown): boolean {
  return typeof value === 'string' && /\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/.test(value);
}
