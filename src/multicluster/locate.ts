/**
 * Positions for diagnostics about one file of a set come from the positions service
 * (config/positions.ts, the loader's own parse); this adds the paths the operator wrote the
 * options at, from the loader's origins. Pure.
 */
import { type PathSegment, parsePath } from '../config/positions.ts';
import type { Origin } from '../config/types.ts';

export { parsePath } from '../config/positions.ts';

/** `written(canonical)` from the loader's origins: the path the file set the option at. */
export function writtenPaths(
  origins: Record<string, Origin>,
): (canonical: string) => PathSegment[] | undefined {
  return (canonical) => {
    const o = origins[canonical];
    return o && o.from === 'file' ? parsePath(o.path) : undefined;
  };
}
