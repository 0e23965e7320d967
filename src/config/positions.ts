/**
 * Maps option paths to positions in the YAML source, so that every diagnostic can say
 * FILE:LINE:COL of the value it is about.
 */
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

export type PathSegment = string | number;

export interface Position {
  line: number;
  col: number;
}

export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private pos(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  /** The node at `path`, or undefined when the path does not exist in the file. */
  node(path: readonly PathSegment[]): Node | undefined {
    let current: unknown = this.doc.contents;
    for (const segment of path) {
      if (isMap(current)) {
        const pair = current.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return undefined;
        current = pair.value;
      } else if (isSeq(current) && typeof segment === 'number') {
        current = current.items[segment];
      } else {
        return undefined;
      }
    }
    return (current ?? undefined) as Node | undefined;
  }

  /** Position of the key of the map entry at `path`, if the file has that key. */
  private keyOf(path: readonly PathSegment[]): Position | undefined {
    const parent = this.node(path.slice(0, -1));
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last),
      );
      if (pair && isScalar(pair.key) && pair.key.range) return this.pos(pair.key.range[0]);
    } else if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last] as Node | undefined;
      if (item?.range) return this.pos(item.range[0]);
    }
    return undefined;
  }

  /** Position of the key of the entry at `path` (for unknown keys), else of its value. */
  keyPosition(path: readonly PathSegment[]): Position {
    return this.keyOf(path) ?? this.valuePosition(path);
  }

  /**
   * Position of the value at `path`. When the value is absent (a missing option, or `key:` with
   * nothing after it), the key of the nearest ancestor the file has, so the operator is pointed
   * at the block that lacks it.
   */
  valuePosition(path: readonly PathSegment[]): Position {
    const node = this.node(path);
    if (node?.range) return this.pos(node.range[0]);
    for (let n = path.length; n > 0; n--) {
      const key = this.keyOf(path.slice(0, n));
      if (key) return key;
    }
    return { line: 1, col: 1 };
  }

  /** True when the operator wrote this path in the file. */
  has(path: readonly PathSegment[]): boolean {
    return this.keyOf(path) !== undefined;
  }
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}
