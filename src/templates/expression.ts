/**
 * The expressions netpack templates may use: dotted paths into the variables (with `[0]`,
 * `["key"]` and `[:key]` indexes), string/number/true/false/nil literals, `!`, `==`, `!=`,
 * `&&`, `||` and parentheses. Anything else a Ruby template might contain is rejected with a
 * message naming the construct, because netpack does not run Ruby.
 */

export type Segment = string | number;

export type Expr =
  | { type: 'path'; root: string; segments: Segment[] }
  | { type: 'literal'; value: string | number | boolean | null }
  | { type: 'not'; operand: Expr }
  | { type: 'binary'; op: '==' | '!=' | '&&' | '||'; left: Expr; right: Expr };

/** A template problem; `offset` is relative to the start of the expression text. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** Ruby the subset does not run, rather than text that does not parse. */
    readonly unsupported = false,
  ) {
    super(message);
  }
}

/** What netpack templates support, appended to every "unsupported" message. */
export const SUPPORTED =
  'netpack templates support only <%= path %>, <% if %>/<% elsif %>/<% else %>/<% end %>, ' +
  'the operators ==, !=, &&, ||, ! and string/number/true/false/nil literals';

function unsupported(construct: string, offset: number): ExpressionError {
  return new ExpressionError(`unsupported Ruby construct: ${construct}; ${SUPPORTED}`, offset, true);
}

type Token =
  | { kind: 'ident'; text: string; offset: number }
  | { kind: 'number'; value: number; text: string; offset: number }
  | { kind: 'string'; value: string; text: string; offset: number }
  | { kind: 'symbol'; value: string; text: string; offset: number }
  | { kind: 'punct'; text: string; offset: number }
  /** Something unsupported; the parser throws `error` when it reaches it. */
  | { kind: 'bad'; text: string; offset: number; error: ExpressionError }
  | { kind: 'eof'; text: ''; offset: number };

/** Ruby keywords that start constructs netpack does not run, with the name we give them. */
const RUBY_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['do', 'block (`do ... end`)'],
  ['for', '`for` loop'],
  ['while', '`while` loop'],
  ['until', '`until` loop'],
  ['case', '`case` expression'],
  ['when', '`case`/`when` expression'],
  ['def', 'method definition (`def`)'],
  ['class', 'class definition'],
  ['module', 'module definition'],
  ['begin', '`begin` block'],
  ['rescue', '`rescue`'],
  ['yield', '`yield`'],
  ['return', '`return`'],
  ['lambda', 'lambda'],
  ['proc', 'proc'],
  ['self', '`self`'],
  ['puts', 'method call `puts`'],
  ['require', 'method call `require`'],
  ['if', '`if` modifier (write <% if cond %> ... <% end %> around the text instead)'],
  ['unless', '`unless` modifier (write <% if !cond %> ... <% end %> around the text instead)'],
  ['then', '`then`'],
  ['and', 'operator `and` (use &&)'],
  ['or', 'operator `or` (use ||)'],
  ['not', 'operator `not` (use !)'],
  ['end', '`end` inside an expression'],
  ['else', '`else` inside an expression'],
  ['elsif', '`elsif` inside an expression'],
]);

/**
 * Method names a Ruby template calls on values. A path segment with one of these names that is
 * not a key of the data is a method call, and gets a message saying so instead of "not defined".
 */
export const RUBY_METHODS: ReadonlySet<string> = new Set([
  'to_s',
  'to_i',
  'to_f',
  'to_a',
  'to_h',
  'to_sym',
  'to_json',
  'to_yaml',
  'inspect',
  'each',
  'each_with_index',
  'map',
  'collect',
  'select',
  'reject',
  'find',
  'join',
  'split',
  'first',
  'last',
  'size',
  'length',
  'count',
  'keys',
  'values',
  'fetch',
  'dig',
  'upcase',
  'downcase',
  'capitalize',
  'strip',
  'gsub',
  'sub',
  'sort',
  'uniq',
  'compact',
  'flatten',
  'merge',
  'sum',
  'min',
  'max',
  'tr',
]);

export function isRubyMethodName(name: string): boolean {
  return RUBY_METHODS.has(name) || name.endsWith('?') || name.endsWith('!');
}

const PUNCTUATION = ['==', '!=', '&&', '||', '.', '[', ']', '(', ')', '!'];
const OTHER_OPERATORS = [
  '<=>',
  '===',
  '**',
  '::',
  '=~',
  '!~',
  '<=',
  '>=',
  '<<',
  '>>',
  '+=',
  '-=',
  '||=',
  '&&=',
  '..',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '?',
  ':',
  '&',
  '|',
  '^',
  '~',
  ',',
  ';',
  '{',
  '}',
  '=',
  '->',
];

function operatorConstruct(op: string): string {
  switch (op) {
    case '=':
      return 'assignment (`=`)';
    case '+=':
    case '-=':
    case '||=':
    case '&&=':
      return `assignment (\`${op}\`)`;
    case '{':
    case '}':
      return 'block or hash literal (`{ ... }`)';
    case '|':
      return 'block parameters (`|x|`) or operator `|`';
    case '::':
      return 'constant lookup (`::`)';
    case ',':
      return 'argument list (`,`)';
    case ';':
      return 'multiple statements (`;`)';
    case '?':
    case ':':
      return 'ternary operator (`? :`)';
    case '->':
      return 'lambda (`->`)';
    default:
      return `operator \`${op}\``;
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*[?!]?/.exec(text.slice(i))!;
      let word = m[0];
      // `a!=b`: the `!` belongs to `!=`, not to the name.
      if (word.endsWith('!') && text[i + word.length] === '=') word = word.slice(0, -1);
      if (/^[A-Z]/.test(word)) throw unsupported(`Ruby constant \`${word}\``, start);
      tokens.push({ kind: 'ident', text: word, offset: start });
      i += word.length;
      continue;
    }
    const last = tokens[tokens.length - 1];
    const negativeIndex =
      c === '-' && last?.kind === 'punct' && last.text === '[' && /[0-9]/.test(text[i + 1] ?? '');
    if (/[0-9]/.test(c) || negativeIndex) {
      const m = /^-?[0-9][0-9_]*(\.[0-9]+)?/.exec(text.slice(i))!;
      tokens.push({ kind: 'number', value: Number(m[0].replaceAll('_', '')), text: m[0], offset: start });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let value = '';
      let j = i + 1;
      let closed = false;
      while (j < text.length) {
        const d = text[j]!;
        if (d === c) {
          closed = true;
          j++;
          break;
        }
        if (d === '\\' && j + 1 < text.length) {
          const e = text[j + 1]!;
          if (c === "'") value += e === "'" || e === '\\' ? e : `\\${e}`;
          else value += ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[e] ?? e;
          j += 2;
          continue;
        }
        if (c === '"' && d === '#' && text[j + 1] === '{')
          throw unsupported('string interpolation (`#{...}`)', j);
        value += d;
        j++;
      }
      if (!closed) throw new ExpressionError(`unterminated string literal starting with ${c}`, start);
      tokens.push({ kind: 'string', value, text: text.slice(start, j), offset: start });
      i = j;
      continue;
    }
    if (c === ':' && /[A-Za-z_]/.test(text[i + 1] ?? '')) {
      const m = /^:[A-Za-z_][A-Za-z0-9_]*[?!]?/.exec(text.slice(i))!;
      tokens.push({ kind: 'symbol', value: m[0].slice(1), text: m[0], offset: start });
      i += m[0].length;
      continue;
    }
    if (c === '@') throw unsupported(`instance variable \`${/^@+\w*/.exec(text.slice(i))![0]}\``, start);
    if (c === '$') throw unsupported(`global variable \`${/^\$\w*/.exec(text.slice(i))![0]}\``, start);
    if (c === '`') throw unsupported('shell command (backticks)', start);
    const other = OTHER_OPERATORS.find((op) => text.startsWith(op, i));
    const punct = PUNCTUATION.find((p) => text.startsWith(p, i));
    // Longest match wins: `||=` is an assignment, not `||`; `!=` is not `!`.
    if (other && (!punct || other.length > punct.length)) {
      // Not thrown yet: `.each do |x|` should be named a block, which the parser sees first.
      tokens.push({
        kind: 'bad',
        text: other,
        offset: start,
        error: unsupported(operatorConstruct(other), start),
      });
      i += other.length;
      continue;
    }
    if (punct) {
      tokens.push({ kind: 'punct', text: punct, offset: start });
      i += punct.length;
      continue;
    }
    throw new ExpressionError(`unexpected character ${JSON.stringify(c)}`, start);
  }
  tokens.push({ kind: 'eof', text: '', offset: text.length });
  return tokens;
}

/** Parses one expression; throws `ExpressionError` at the offending construct. */
export function parseExpression(text: string): Expr {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (ahead = 0): Token => tokens[Math.min(pos + ahead, tokens.length - 1)]!;
  const next = (): Token => {
    const t = tokens[pos++] ?? tokens[tokens.length - 1]!;
    if (t.kind === 'bad') throw t.error;
    return t;
  };
  const isPunct = (t: Token, p: string) => t.kind === 'punct' && t.text === p;

  function parseOr(): Expr {
    let left = parseAnd();
    while (isPunct(peek(), '||')) {
      next();
      left = { type: 'binary', op: '||', left, right: parseAnd() };
    }
    return left;
  }
  function parseAnd(): Expr {
    let left = parseEquality();
    while (isPunct(peek(), '&&')) {
      next();
      left = { type: 'binary', op: '&&', left, right: parseEquality() };
    }
    return left;
  }
  function parseEquality(): Expr {
    let left = parseUnary();
    while (isPunct(peek(), '==') || isPunct(peek(), '!=')) {
      const op = next().text as '==' | '!=';
      left = { type: 'binary', op, left, right: parseUnary() };
    }
    return left;
  }
  function parseUnary(): Expr {
    if (isPunct(peek(), '!')) {
      next();
      return { type: 'not', operand: parseUnary() };
    }
    return parsePrimary();
  }
  function parsePrimary(): Expr {
    const t = next();
    switch (t.kind) {
      case 'number':
        return { type: 'literal', value: t.value };
      case 'string':
        return { type: 'literal', value: t.value };
      case 'symbol':
        throw unsupported(`symbol \`${t.text}\` outside an index`, t.offset);
      case 'eof':
        throw new ExpressionError('expected an expression, found the end of the tag', t.offset);
      case 'punct':
        if (t.text === '(') {
          const inner = parseOr();
          const close = next();
          if (!isPunct(close, ')'))
            throw new ExpressionError(`expected ")" but found ${describe(close)}`, close.offset);
          return inner;
        }
        throw new ExpressionError(`expected an expression but found ${describe(t)}`, t.offset);
      case 'ident':
        return parseIdent(t);
      case 'bad':
        throw t.error;
    }
  }
  function parseIdent(t: Token & { kind: 'ident' }): Expr {
    if (t.text === 'true' || t.text === 'false') return { type: 'literal', value: t.text === 'true' };
    if (t.text === 'nil') return { type: 'literal', value: null };
    const keyword = RUBY_KEYWORDS.get(t.text);
    if (keyword) throw unsupported(keyword, t.offset);
    if (isPunct(peek(), '(')) throw unsupported(`method call \`${t.text}(...)\``, t.offset);
    const segments: Segment[] = [];
    for (;;) {
      const p = peek();
      if (isPunct(p, '.')) {
        next();
        const name = next();
        if (name.kind !== 'ident')
          throw new ExpressionError(`expected a name after "." but found ${describe(name)}`, name.offset);
        if (isPunct(peek(), '(')) throw unsupported(`method call \`.${name.text}(...)\``, name.offset);
        if (peek().kind === 'ident' && peek().text === 'do')
          throw unsupported(`block \`.${name.text} do ... end\``, name.offset);
        if (peek().kind === 'punct' && peek().text === '{')
          throw unsupported(`block \`.${name.text} { ... }\``, name.offset);
        segments.push(name.text);
        continue;
      }
      if (isPunct(p, '[')) {
        next();
        const index = next();
        if (index.kind === 'number' && Number.isInteger(index.value)) segments.push(index.value);
        else if (index.kind === 'string' || index.kind === 'symbol') segments.push(index.value);
        else
          throw unsupported(`index \`[${index.text}]\` (only a number, a string or a :symbol)`, index.offset);
        const close = next();
        if (!isPunct(close, ']'))
          throw new ExpressionError(`expected "]" but found ${describe(close)}`, close.offset);
        continue;
      }
      break;
    }
    return { type: 'path', root: t.text, segments };
  }

  const expr = parseOr();
  const rest = peek();
  if (rest.kind !== 'eof') {
    if (rest.kind === 'bad') throw rest.error;
    if (rest.kind === 'ident' && RUBY_KEYWORDS.has(rest.text))
      throw unsupported(RUBY_KEYWORDS.get(rest.text)!, rest.offset);
    if (rest.kind === 'ident' || rest.kind === 'string' || rest.kind === 'number')
      throw unsupported(`method call with arguments (\`... ${rest.text}\`)`, rest.offset);
    throw new ExpressionError(`unexpected ${describe(rest)} after the expression`, rest.offset);
  }
  return expr;
}

function describe(t: Token): string {
  return t.kind === 'eof' ? 'the end of the tag' : `"${t.text}"`;
}

/** Ruby's `a.b[0].c` spelling of a path, for messages. */
export function pathText(root: string, segments: readonly Segment[]): string {
  return (
    root +
    segments
      .map((s) =>
        typeof s === 'number' ? `[${s}]` : /^[A-Za-z_]\w*[?!]?$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`,
      )
      .join('')
  );
}
