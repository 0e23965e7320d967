/**
 * The ERB subset that Pharos custom network manifests use, evaluated without Ruby:
 * `<%= expr %>`, `<% if expr %>` / `<% elsif expr %>` / `<% else %>` / `<% end %>` (and
 * `<% unless expr %>`), `<%# comment %>`, `-%>` (drops the newline after the tag), `<%-`
 * (drops the indentation before it) and `<%%` (a literal `<%`). Expressions are described in
 * `expression.ts`. Every problem is reported, each at the position of its `<%` tag; nothing
 * unsupported is silently printed as blank.
 */
import { FORBIDDEN_KEYS } from '../config/keys.ts';
import { type Position, textPositions } from '../config/positions.ts';
import {
  type Expr,
  ExpressionError,
  isRubyMethodName,
  parseExpression,
  pathText,
  type Segment,
  SUPPORTED,
} from './expression.ts';

/**
 * What kind of template problem: the tags do not nest or parse (`TemplateSyntax`), Ruby the
 * subset does not run (`TemplateUnsupported`), a variable or path that is not there
 * (`TemplateUndefined`), a value `<%= %>` cannot print (`TemplateNotPrintable`).
 */
export type TemplateCode =
  | 'TemplateSyntax'
  | 'TemplateUnsupported'
  | 'TemplateUndefined'
  | 'TemplateNotPrintable';

/** A template problem at a 1-based line and column of the template source. */
export interface TemplateError {
  code: TemplateCode;
  message: string;
  line: number;
  col: number;
  /** 0-based offset into the template source. */
  offset: number;
}

export interface TemplateResult {
  /** The rendered text; meaningful only when `errors` is empty. */
  output: string;
  errors: TemplateError[];
  /** The offset in the template source that produced the given offset of `output`. */
  sourceOffset(outputOffset: number): number;
}

type Node =
  | { type: 'text'; text: string; offset: number }
  | { type: 'output'; expr: Expr; offset: number }
  | {
      type: 'if';
      /** A branch whose condition failed to parse has no `cond`; evaluation stops there. */
      branches: { cond?: Expr; body: Node[]; offset: number }[];
      elseBody?: Node[];
      offset: number;
    };

interface Tag {
  kind: 'code' | 'output' | 'comment';
  code: string;
  /** Offset of `<%`. */
  offset: number;
  /** Offset of the first character of `code`. */
  codeOffset: number;
}

/** A marker for a value that failed to evaluate; the error is already recorded. */
const FAILED = Symbol('failed');
type Value = unknown;

class Renderer {
  readonly errors: TemplateError[] = [];
  private out = '';
  /** Output start, source start, and whether the source maps character by character. */
  private readonly segments: { out: number; src: number; linear: boolean }[] = [];

  /** Line and column of a source offset (the positions service, one line table per template). */
  private readonly position: (offset: number) => Position;

  constructor(
    private readonly source: string,
    private readonly vars: Readonly<Record<string, unknown>>,
  ) {
    this.position = textPositions(source);
  }

  error(code: TemplateCode, message: string, offset: number): void {
    this.errors.push({ code, message, offset, ...this.position(offset) });
  }

  // ---- parsing -------------------------------------------------------------------------

  /** Splits the source into text and tags, applying `<%%`, `<%-` and `-%>`. */
  private scan(): (Tag | { kind: 'text'; text: string; offset: number })[] {
    const src = this.source;
    const items: (Tag | { kind: 'text'; text: string; offset: number })[] = [];
    let i = 0;
    let textStart = 0;
    let text = '';
    const flushText = () => {
      if (text) items.push({ kind: 'text', text, offset: textStart });
      text = '';
    };
    while (i < src.length) {
      const open = src.indexOf('<%', i);
      if (open === -1) {
        if (!text) textStart = i;
        text += src.slice(i);
        break;
      }
      if (!text) textStart = i;
      text += src.slice(i, open);
      if (src[open + 2] === '%') {
        // `<%%` is a literal `<%`; flush so the output maps back to the right columns.
        flushText();
        items.push({ kind: 'text', text: '<%', offset: open });
        i = open + 3;
        continue;
      }
      const close = src.indexOf('%>', open + 2);
      if (close === -1) {
        this.error('TemplateSyntax', 'unclosed tag: "<%" has no matching "%>"', open);
        break;
      }
      let codeStart = open + 2;
      let kind: Tag['kind'] = 'code';
      const marker = src[codeStart];
      if (marker === '=') {
        kind = 'output';
        codeStart++;
      } else if (marker === '#') {
        kind = 'comment';
        codeStart++;
      } else if (marker === '-') {
        codeStart++;
        // `<%-` drops the indentation before the tag when only blanks precede it on its line.
        const m = /(^|\n)([ \t]*)$/.exec(text);
        if (m) text = text.slice(0, text.length - m[2]!.length);
        if (src[codeStart] === '=') {
          kind = 'output';
          codeStart++;
        }
      }
      let codeEnd = close;
      let after = close + 2;
      if (src[close - 1] === '-' && close - 1 >= codeStart) {
        codeEnd = close - 1;
        if (src.startsWith('\r\n', after)) after += 2;
        else if (src[after] === '\n') after += 1;
      }
      flushText();
      items.push({ kind, code: src.slice(codeStart, codeEnd), offset: open, codeOffset: codeStart });
      i = after;
      textStart = i;
    }
    flushText();
    return items;
  }

  /** Parses the expression of a tag, recording an error at the tag when it is not supported. */
  private expr(code: string, tag: Tag): Expr | undefined {
    try {
      return parseExpression(code);
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      this.error(e.unsupported ? 'TemplateUnsupported' : 'TemplateSyntax', e.message, tag.offset);
      return undefined;
    }
  }

  /**
   * The template as a tree of text, outputs and conditionals; undefined when its if/end
   * structure is broken. Tags whose expression failed to parse are left out (their errors are
   * recorded), so the rest can still be evaluated and report its own problems.
   */
  parse(): Node[] | undefined {
    const root: Node[] = [];
    type Frame = { node: Node & { type: 'if' }; body: Node[]; sawElse: boolean; keyword: string };
    const stack: Frame[] = [];
    const current = () => stack[stack.length - 1]?.body ?? root;
    let ok = true;
    for (const item of this.scan()) {
      if (item.kind === 'text') {
        current().push({ type: 'text', text: item.text, offset: item.offset });
        continue;
      }
      if (item.kind === 'comment') continue;
      if (item.kind === 'output') {
        const expr = this.expr(item.code, item);
        if (expr) current().push({ type: 'output', expr, offset: item.offset });
        continue;
      }
      const code = item.code.trim();
      const m = /^(if|unless|elsif|else|end)\b\s*([\s\S]*)$/.exec(code);
      const keyword = m?.[1];
      const rest = (m?.[2] ?? '').replace(/\s+then$/, '').trim();
      const top = stack[stack.length - 1];
      if (keyword === 'if' || keyword === 'unless') {
        const cond = this.expr(rest, item);
        const body: Node[] = [];
        const node: Node & { type: 'if' } = {
          type: 'if',
          branches: [
            {
              cond: cond && keyword === 'unless' ? { type: 'not', operand: cond } : cond,
              body,
              offset: item.offset,
            },
          ],
          offset: item.offset,
        };
        current().push(node);
        stack.push({ node, body, sawElse: false, keyword });
      } else if (keyword === 'elsif') {
        if (!top) {
          this.error('TemplateSyntax', '"<% elsif %>" without an open "<% if %>"', item.offset);
          ok = false;
          continue;
        }
        if (top.sawElse || top.keyword === 'unless') {
          this.error(
            'TemplateSyntax',
            `"<% elsif %>" after "<% ${top.sawElse ? 'else' : 'unless'} %>"`,
            item.offset,
          );
          ok = false;
        }
        const cond = this.expr(rest, item);
        const body: Node[] = [];
        top.node.branches.push({ cond, body, offset: item.offset });
        top.body = body;
      } else if (keyword === 'else') {
        if (rest) {
          this.error('TemplateSyntax', `unexpected "${rest}" after "else"`, item.offset);
          ok = false;
        }
        if (!top) {
          this.error('TemplateSyntax', '"<% else %>" without an open "<% if %>"', item.offset);
          ok = false;
          continue;
        }
        if (top.sawElse) {
          this.error('TemplateSyntax', 'second "<% else %>" for the same "<% if %>"', item.offset);
          ok = false;
        }
        top.sawElse = true;
        top.node.elseBody = [];
        top.body = top.node.elseBody;
      } else if (keyword === 'end') {
        if (rest) {
          this.error('TemplateSyntax', `unexpected "${rest}" after "end"`, item.offset);
          ok = false;
        }
        if (!stack.pop()) {
          this.error('TemplateSyntax', '"<% end %>" without an open "<% if %>"', item.offset);
          ok = false;
        }
      } else {
        const why = this.describeCode(code);
        this.error(why.code, why.message, item.offset);
        if (/\bdo\s*(\|[^|]*\|)?\s*$/.test(code) || /^(while|until|for|case|begin)\b/.test(code)) {
          // A rejected Ruby block still owns the `<% end %>` that closes it: match that `end`
          // here, and drop the body, so the one error is not followed by "end without if".
          const node: Node & { type: 'if' } = { type: 'if', branches: [], offset: item.offset };
          stack.push({ node, body: [], sawElse: false, keyword: 'block' });
        }
      }
    }
    for (const frame of stack) {
      const opener = frame.keyword === 'block' ? 'Ruby block' : `"<% ${frame.keyword} %>"`;
      this.error('TemplateSyntax', `${opener} is never closed with "<% end %>"`, frame.node.offset);
      ok = false;
    }
    return ok ? root : undefined;
  }

  /** Why a `<% code %>` tag (not if/elsif/else/end) is rejected. */
  private describeCode(code: string): { code: TemplateCode; message: string } {
    if (code === '') return { code: 'TemplateSyntax', message: `empty "<% %>" tag; ${SUPPORTED}` };
    try {
      parseExpression(code);
    } catch (e) {
      if (e instanceof ExpressionError)
        return { code: e.unsupported ? 'TemplateUnsupported' : 'TemplateSyntax', message: e.message };
      throw e;
    }
    return {
      code: 'TemplateUnsupported',
      message: `"<% ${code} %>" runs code and prints nothing; only if/elsif/else/end may appear in "<% %>" (did you mean "<%= ${code} %>"?)`,
    };
  }

  // ---- evaluation ----------------------------------------------------------------------

  private emit(text: string, src: number, linear: boolean): void {
    if (!text) return;
    this.segments.push({ out: this.out.length, src, linear });
    this.out += text;
  }

  run(nodes: Node[]): void {
    for (const node of nodes) {
      switch (node.type) {
        case 'text':
          this.emit(node.text, node.offset, node.text !== '<%');
          break;
        case 'output': {
          const value = this.evaluate(node.expr, node.offset, false);
          if (value === FAILED) break;
          const text = this.printable(value, node.expr, node.offset);
          if (text !== undefined) this.emit(text, node.offset, false);
          break;
        }
        case 'if': {
          let taken: Node[] | undefined = node.elseBody;
          for (const branch of node.branches) {
            const value = branch.cond ? this.evaluate(branch.cond, branch.offset, true) : FAILED;
            if (value === FAILED) {
              taken = undefined;
              break;
            }
            if (truthy(value)) {
              taken = branch.body;
              break;
            }
          }
          if (taken) this.run(taken);
          break;
        }
      }
    }
  }

  /** What `<%= %>` prints for a value, or undefined (with an error) when it is not a scalar. */
  private printable(value: Value, expr: Expr, offset: number): string | undefined {
    const what = expr.type === 'path' ? pathText(expr.root, expr.segments) : 'the expression';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (value === null || value === undefined) {
      this.error(
        'TemplateNotPrintable',
        `${what} is nil, and "<%= %>" would print nothing; guard it with "<% if ${what} %>"`,
        offset,
      );
      return undefined;
    }
    const shape = Array.isArray(value) ? 'a list' : 'a map';
    this.error(
      'TemplateNotPrintable',
      `${what} is ${shape}; "<%= %>" prints only a string, number or boolean (name one of its fields)`,
      offset,
    );
    return undefined;
  }

  /**
   * The value of an expression. In a condition (`lenient`) an undefined path is nil, as the
   * Ruby original's optional config fields were; elsewhere it is an error.
   */
  private evaluate(expr: Expr, offset: number, lenient: boolean): Value | typeof FAILED {
    switch (expr.type) {
      case 'literal':
        return expr.value;
      case 'not': {
        const v = this.evaluate(expr.operand, offset, lenient);
        return v === FAILED ? FAILED : !truthy(v);
      }
      case 'binary': {
        const left = this.evaluate(expr.left, offset, lenient);
        if (left === FAILED) return FAILED;
        if (expr.op === '&&' && !truthy(left)) return left;
        if (expr.op === '||' && truthy(left)) return left;
        const right = this.evaluate(expr.right, offset, lenient);
        if (right === FAILED) return FAILED;
        if (expr.op === '==') return equal(left, right);
        if (expr.op === '!=') return !equal(left, right);
        return right;
      }
      case 'path':
        return this.lookup(expr.root, expr.segments, offset, lenient);
    }
  }

  private lookup(
    root: string,
    segments: readonly Segment[],
    offset: number,
    lenient: boolean,
  ): Value | typeof FAILED {
    if (!Object.hasOwn(this.vars, root)) {
      const known = Object.keys(this.vars).sort().join(', ');
      this.error('TemplateUndefined', `${root} is not defined; templates can use ${known}`, offset);
      return FAILED;
    }
    let value: Value = this.vars[root];
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const here = pathText(root, segments.slice(0, i + 1));
      if (value === null || value === undefined) {
        if (lenient) return null;
        this.error(
          'TemplateUndefined',
          `${pathText(root, segments.slice(0, i))} is nil, so ${here} is not defined`,
          offset,
        );
        return FAILED;
      }
      if (typeof segment === 'number') {
        if (!Array.isArray(value)) {
          this.error(
            'TemplateUndefined',
            `${pathText(root, segments.slice(0, i))} is not a list, so it has no index [${segment}]`,
            offset,
          );
          return FAILED;
        }
        const item = value.at(segment);
        if (item === undefined && !lenient) {
          this.error(
            'TemplateUndefined',
            `${here} is not defined (the list has ${value.length} items)`,
            offset,
          );
          return FAILED;
        }
        value = item ?? null;
        continue;
      }
      if (FORBIDDEN_KEYS.has(segment)) {
        this.error(
          'TemplateUndefined',
          `${here}: ${segment} is not a variable (it names a property of every object)`,
          offset,
        );
        return FAILED;
      }
      const isMap = typeof value === 'object' && !Array.isArray(value);
      if (isMap && Object.hasOwn(value as object, segment)) {
        value = (value as Record<string, unknown>)[segment];
        continue;
      }
      if (isRubyMethodName(segment)) {
        this.error(
          'TemplateUnsupported',
          `unsupported Ruby construct: method call \`.${segment}\` on ${pathText(root, segments.slice(0, i))}; ${SUPPORTED}`,
          offset,
        );
        return FAILED;
      }
      if (lenient) return null;
      this.error('TemplateUndefined', `${here} is not defined${this.effectiveHint(root, segments)}`, offset);
      return FAILED;
    }
    return value;
  }

  /**
   * `cluster_config` is cluster.yml as written, so a value left to its default is missing there;
   * when the effective `network` variable has it, say so.
   */
  private effectiveHint(root: string, segments: readonly Segment[]): string {
    if (root !== 'cluster_config' || segments[0] !== 'network' || !Object.hasOwn(this.vars, 'network'))
      return '';
    let value: unknown = this.vars.network;
    for (const segment of segments.slice(1)) {
      if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return '';
      value = (value as Record<string | number, unknown>)[segment];
    }
    if (value === undefined) return '';
    const effective = pathText('network', segments.slice(1));
    return ` (cluster_config is cluster.yml as written, without defaults; use ${effective} for the effective value)`;
  }

  result(): TemplateResult {
    const segments = this.segments;
    return {
      output: this.out,
      errors: [...this.errors].sort((a, b) => a.offset - b.offset),
      sourceOffset(outputOffset: number): number {
        let lo = 0;
        let hi = segments.length - 1;
        let found = -1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          if (segments[mid]!.out <= outputOffset) {
            found = mid;
            lo = mid + 1;
          } else hi = mid - 1;
        }
        if (found === -1) return 0;
        const seg = segments[found]!;
        return seg.linear ? seg.src + (outputOffset - seg.out) : seg.src;
      },
    };
  }
}

/** Ruby truthiness: only nil and false are false (0 and "" are true). */
function truthy(value: Value): boolean {
  return value !== null && value !== undefined && value !== false;
}

function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return false;
}

/**
 * Renders an ERB template with the given variables. Parse problems are reported for every tag;
 * evaluation problems for every tag that runs. `output` is only meaningful without errors.
 */
export function renderErb(source: string, vars: Readonly<Record<string, unknown>>): TemplateResult {
  const renderer = new Renderer(source, vars);
  const tree = renderer.parse();
  if (tree) renderer.run(tree);
  return renderer.result();
}
