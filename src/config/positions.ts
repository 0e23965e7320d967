/**
 * Positions as one service: FILE:LINE:COL for every diagnostic netpack makes. `SourceMap` maps
 * option paths and offsets of a parsed YAML document to line:col (the loader's parse, kept in
 * `LoadResult.source`, serves multi-cluster checks and the firewall command too: no second parse
 * of a file already parsed); `textPositions` does offsets of a text that is not YAML (ERB
 * templates, the manifests they render).
 */
import {
  type Document,
  type DocumentOptions,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type ParseOptions,
  parseDocument,
  type SchemaOptions,
} from 'yaml';
import type { Diagnostic } from './diagnostics.ts';

export type PathSegment = string | number;

export interface Position {
  line: number;
  col: number;
}

/** Line and column (1-based) of each offset of `text`, from a table of line starts built once. */
export function textPositions(text: string): (offset: number) => Position {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return (offset) => {
    const { line, col } = lines.linePos(offset);
    return { line, col };
  };
}

export class SourceMap {
  constructor(
    readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Parses `text` once, keeping the line table. */
  static parse(text: string, options: ParseOptions & DocumentOptions & SchemaOptions = {}): SourceMap {
    const lineCounter = new LineCounter();
    return new SourceMap(parseDocument(text, { ...options, lineCounter }), lineCounter);
  }

  /** Line and column of an offset of the text. */
  pos(offset: number): Position {
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

  /** Fills in line and column of diagnostics that name a path but no position. */
  place(diagnostics: readonly Diagnostic[]): Diagnostic[] {
    return diagnostics.map((d) =>
      d.line === undefined && d.path ? { ...d, ...this.valuePosition(parsePath(d.path)) } : d,
    );
  }
}

/** Splits a formatted path (`hosts[2].address`) back into segments. */
export function parsePath(formatted: string): PathSegment[] {
  const out: PathSegment[] = [];
  for (const part of formatted.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}
