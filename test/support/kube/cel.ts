/**
 * A small subset of CEL, enough for the `x-kubernetes-validations` rules CRDs
 * usually carry: `has(self.a) || self.b == 'x'`, ternaries, comparisons,
 * arithmetic, `size()`, string methods, `in`, list literals and the
 * `all`/`exists`/`exists_one`/`map`/`filter` macros. Anything else throws
 * `CelUnsupported` at parse time, and the caller skips the rule (and says so)
 * instead of guessing.
 */

export class CelUnsupported extends Error {}
/** A runtime error, reported like the apiserver's "... evaluating rule: ...". */
export class CelError extends Error {}

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'id'; name: string }
  | { k: 'member'; obj: Node; name: string }
  | { k: 'index'; obj: Node; idx: Node }
  | { k: 'call'; fn: string; target?: Node; args: Node[] }
  | { k: 'unary'; op: string; arg: Node }
  | { k: 'binary'; op: string; l: Node; r: Node }
  | { k: 'cond'; c: Node; t: Node; f: Node }
  | { k: 'list'; items: Node[] }
  | { k: 'map'; entries: Array<[Node, Node]> };

interface Token {
  t: 'num' | 'str' | 'id' | 'op' | 'eof';
  v: string;
  n?: number;
}

const OPS = ['||', '&&', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '!', '?', ':', '.', ',', '(', ')', '[', ']', '{', '}'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(0x[0-9a-fA-F]+|\d+(\.\d+)?([eE][-+]?\d+)?)[uU]?/.exec(src.slice(i));
      const text = m?.[0] ?? c;
      out.push({ t: 'num', v: text, n: Number(text.replace(/[uU]$/, '')) });
      i += text.length;
      continue;
    }
    if (c === '"' || c === "'") {
      if (src.startsWith(c.repeat(3), i)) throw new CelUnsupported('triple-quoted strings');
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') {
          const e = src[j + 1] ?? '';
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          j += 2;
        } else {
          s += src[j];
          j++;
        }
      }
      if (j >= src.length) throw new CelUnsupported('unterminated string');
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
      const text = m?.[0] ?? c;
      out.push({ t: 'id', v: text });
      i += text.length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw new CelUnsupported(`unexpected character ${JSON.stringify(c)}`);
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  out.push({ t: 'eof', v: '' });
  return out;
}

const BINARY_PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 3,
  '<=': 3,
  '>': 3,
  '>=': 3,
  in: 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
};

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.pos] ?? { t: 'eof', v: '' };
  }
  private next(): Token {
    const t = this.peek();
    this.pos++;
    return t;
  }
  private expect(v: string): void {
    const t = this.next();
    if (t.v !== v || (t.t !== 'op' && t.t !== 'id')) throw new CelUnsupported(`expected ${v}, got ${t.v || 'end'}`);
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }

  parse(): Node {
    const n = this.expr();
    if (this.peek().t !== 'eof') throw new CelUnsupported(`unexpected ${this.peek().v}`);
    return n;
  }

  private expr(): Node {
    const c = this.binary(1);
    if (this.isOp('?')) {
      this.next();
      const t = this.expr();
      this.expect(':');
      const f = this.expr();
      return { k: 'cond', c, t, f };
    }
    return c;
  }

  private binary(minPrec: number): Node {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const op = t.t === 'op' || (t.t === 'id' && t.v === 'in') ? t.v : '';
      const prec = BINARY_PRECEDENCE[op];
      if (prec === undefined || prec < minPrec) return left;
      this.next();
      const right = this.binary(prec + 1);
      left = { k: 'binary', op, l: left, r: right };
    }
  }

  private unary(): Node {
    if (this.isOp('!')) {
      this.next();
      return { k: 'unary', op: '!', arg: this.unary() };
    }
    if (this.isOp('-')) {
      this.next();
      return { k: 'unary', op: '-', arg: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(node: Node): Node {
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const id = this.next();
        if (id.t !== 'id') throw new CelUnsupported('expected a field name');
        if (this.isOp('(')) {
          node = { k: 'call', fn: id.v, target: node, args: this.args() };
        } else {
          node = { k: 'member', obj: node, name: id.v };
        }
      } else if (this.isOp('[')) {
        this.next();
        const idx = this.expr();
        this.expect(']');
        node = { k: 'index', obj: node, idx };
      } else {
        return node;
      }
    }
  }

  private args(): Node[] {
    this.expect('(');
    const args: Node[] = [];
    if (!this.isOp(')')) {
      args.push(this.expr());
      while (this.isOp(',')) {
        this.next();
        args.push(this.expr());
      }
    }
    this.expect(')');
    return args;
  }

  private primary(): Node {
    const t = this.next();
    if (t.t === 'num') return { k: 'lit', v: t.n };
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
      if (t.v === 'null') return { k: 'lit', v: null };
      if (this.isOp('(')) return { k: 'call', fn: t.v, args: this.args() };
      return { k: 'id', name: t.v };
    }
    if (t.t === 'op' && t.v === '(') {
      const e = this.expr();
      this.expect(')');
      return e;
    }
    if (t.t === 'op' && t.v === '[') {
      const items: Node[] = [];
      if (!this.isOp(']')) {
        items.push(this.expr());
        while (this.isOp(',')) {
          this.next();
          if (this.isOp(']')) break;
          items.push(this.expr());
        }
      }
      this.expect(']');
      return { k: 'list', items };
    }
    if (t.t === 'op' && t.v === '{') {
      const entries: Array<[Node, Node]> = [];
      if (!this.isOp('}')) {
        do {
          if (this.isOp(',')) this.next();
          if (this.isOp('}')) break;
          const key = this.expr();
          this.expect(':');
          entries.push([key, this.expr()]);
        } while (this.isOp(','));
      }
      this.expect('}');
      return { k: 'map', entries };
    }
    throw new CelUnsupported(`unexpected ${t.v || 'end of rule'}`);
  }
}

const cache = new Map<string, Node | CelUnsupported>();

/** Parses a rule (cached). Throws CelUnsupported for syntax outside the subset. */
export function compileCel(src: string): Node {
  let hit = cache.get(src);
  if (hit === undefined) {
    try {
      hit = new Parser(tokenize(src)).parse();
      checkSupported(hit);
    } catch (err) {
      hit = err instanceof CelUnsupported ? err : new CelUnsupported(String(err));
    }
    cache.set(src, hit);
  }
  if (hit instanceof CelUnsupported) throw hit;
  return hit;
}

const FUNCTIONS = new Set([
  'has',
  'size',
  'startsWith',
  'endsWith',
  'contains',
  'matches',
  'lowerAscii',
  'upperAscii',
  'int',
  'uint',
  'double',
  'string',
  'all',
  'exists',
  'exists_one',
  'map',
  'filter',
]);

function checkSupported(n: Node): void {
  switch (n.k) {
    case 'call':
      if (!FUNCTIONS.has(n.fn)) throw new CelUnsupported(`function ${n.fn}() is not supported by the test server`);
      if (n.target) checkSupported(n.target);
      n.args.forEach(checkSupported);
      return;
    case 'member':
      return checkSupported(n.obj);
    case 'index':
      checkSupported(n.obj);
      return checkSupported(n.idx);
    case 'unary':
      return checkSupported(n.arg);
    case 'binary':
      checkSupported(n.l);
      return checkSupported(n.r);
    case 'cond':
      checkSupported(n.c);
      checkSupported(n.t);
      return checkSupported(n.f);
    case 'list':
      return n.items.forEach(checkSupported);
    case 'map':
      return n.entries.forEach(([a, b]) => {
        checkSupported(a);
        checkSupported(b);
      });
    default:
      return;
  }
}

/** True if the compiled rule mentions `oldSelf` (a transition rule). */
export function mentionsOldSelf(n: Node): boolean {
  switch (n.k) {
    case 'id':
      return n.name === 'oldSelf';
    case 'member':
      return mentionsOldSelf(n.obj);
    case 'index':
      return mentionsOldSelf(n.obj) || mentionsOldSelf(n.idx);
    case 'call':
      return (n.target !== undefined && mentionsOldSelf(n.target)) || n.args.some(mentionsOldSelf);
    case 'unary':
      return mentionsOldSelf(n.arg);
    case 'binary':
      return mentionsOldSelf(n.l) || mentionsOldSelf(n.r);
    case 'cond':
      return mentionsOldSelf(n.c) || mentionsOldSelf(n.t) || mentionsOldSelf(n.f);
    case 'list':
      return n.items.some(mentionsOldSelf);
    case 'map':
      return n.entries.some(([a, b]) => mentionsOldSelf(a) || mentionsOldSelf(b));
    default:
      return false;
  }
}

type Scope = Record<string, unknown>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && equal(a[k], b[k]));
  }
  return false;
}

function truthy(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new CelError(`no such overload: ${what} applied to a non-bool`);
  return v;
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) {
    throw new CelError(`no such overload: ${typeof a} ${op} ${typeof b}`);
  }
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

function size(v: unknown): number {
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (isObj(v)) return Object.keys(v).length;
  throw new CelError('no such overload: size');
}

function evalNode(n: Node, scope: Scope): unknown {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'id':
      if (!(n.name in scope)) throw new CelError(`undeclared reference to '${n.name}'`);
      return scope[n.name];
    case 'member': {
      const o = evalNode(n.obj, scope);
      if (!isObj(o) || !(n.name in o)) throw new CelError(`no such key: ${n.name}`);
      return o[n.name];
    }
    case 'index': {
      const o = evalNode(n.obj, scope);
      const i = evalNode(n.idx, scope);
      if (Array.isArray(o) && typeof i === 'number') {
        if (i < 0 || i >= o.length) throw new CelError(`index out of bounds: ${i}`);
        return o[i];
      }
      if (isObj(o) && typeof i === 'string') {
        if (!(i in o)) throw new CelError(`no such key: ${i}`);
        return o[i];
      }
      throw new CelError('no such overload: index');
    }
    case 'unary': {
      const v = evalNode(n.arg, scope);
      if (n.op === '!') return !truthy(v, '!');
      if (typeof v !== 'number') throw new CelError('no such overload: -');
      return -v;
    }
    case 'cond':
      return truthy(evalNode(n.c, scope), '?:') ? evalNode(n.t, scope) : evalNode(n.f, scope);
    case 'list':
      return n.items.map((x) => evalNode(x, scope));
    case 'map':
      return Object.fromEntries(n.entries.map(([k, v]) => [String(evalNode(k, scope)), evalNode(v, scope)]));
    case 'binary':
      return evalBinary(n.op, n.l, n.r, scope);
    case 'call':
      return evalCall(n, scope);
  }
}

function evalBinary(op: string, l: Node, r: Node, scope: Scope): unknown {
  if (op === '||' || op === '&&') {
    // CEL's logical operators are commutative with respect to errors.
    let le: Error | undefined;
    let lv: boolean | undefined;
    try {
      lv = truthy(evalNode(l, scope), op);
    } catch (err) {
      le = err instanceof Error ? err : new CelError(String(err));
    }
    if (op === '||' && lv === true) return true;
    if (op === '&&' && lv === false) return false;
    const rv = truthy(evalNode(r, scope), op);
    if (op === '||' && rv) return true;
    if (op === '&&' && !rv) return false;
    if (le !== undefined) throw le;
    return rv;
  }
  const a = evalNode(l, scope);
  const b = evalNode(r, scope);
  switch (op) {
    case '==':
      return equal(a, b);
    case '!=':
      return !equal(a, b);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compare(op, a, b);
    case 'in':
      if (Array.isArray(b)) return b.some((x) => equal(x, a));
      if (isObj(b) && typeof a === 'string') return a in b;
      throw new CelError('no such overload: in');
    case '+':
      if (typeof a === 'number' && typeof b === 'number') return a + b;
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (Array.isArray(a) && Array.isArray(b)) return [...(a as unknown[]), ...(b as unknown[])];
      throw new CelError('no such overload: +');
    default: {
      if (typeof a !== 'number' || typeof b !== 'number') throw new CelError(`no such overload: ${op}`);
      if ((op === '/' || op === '%') && b === 0) throw new CelError(op === '/' ? 'division by zero' : 'modulus by zero');
      if (op === '-') return a - b;
      if (op === '*') return a * b;
      if (op === '/') return Number.isInteger(a) && Number.isInteger(b) ? Math.trunc(a / b) : a / b;
      return a % b;
    }
  }
}

function evalCall(n: Extract<Node, { k: 'call' }>, scope: Scope): unknown {
  if (n.fn === 'has') {
    const arg = n.args[0];
    if (n.target || n.args.length !== 1 || arg?.k !== 'member') throw new CelError('invalid argument to has() macro');
    const o = evalNode(arg.obj, scope);
    return isObj(o) && arg.name in o;
  }
  if (['all', 'exists', 'exists_one', 'map', 'filter'].includes(n.fn)) {
    const varNode = n.args[0];
    const body = n.args[1];
    if (!n.target || varNode?.k !== 'id' || body === undefined) throw new CelError(`invalid ${n.fn} macro`);
    const coll = evalNode(n.target, scope);
    const items = Array.isArray(coll) ? coll : isObj(coll) ? Object.keys(coll) : undefined;
    if (items === undefined) throw new CelError(`no such overload: ${n.fn}`);
    const run = (x: unknown): unknown => evalNode(body, { ...scope, [varNode.name]: x });
    switch (n.fn) {
      case 'all':
        return items.every((x) => truthy(run(x), 'all'));
      case 'exists':
        return items.some((x) => truthy(run(x), 'exists'));
      case 'exists_one':
        return items.filter((x) => truthy(run(x), 'exists_one')).length === 1;
      case 'map':
        return items.map(run);
      default:
        return items.filter((x) => truthy(run(x), 'filter'));
    }
  }
  const args = n.args.map((a) => evalNode(a, scope));
  const target = n.target ? evalNode(n.target, scope) : undefined;
  const str = (v: unknown): string => {
    if (typeof v !== 'string') throw new CelError(`no such overload: ${n.fn}`);
    return v;
  };
  switch (n.fn) {
    case 'size':
      return size(n.target ? target : args[0]);
    case 'startsWith':
      return str(target).startsWith(str(args[0]));
    case 'endsWith':
      return str(target).endsWith(str(args[0]));
    case 'contains':
      return str(target).includes(str(args[0]));
    case 'matches':
      return new RegExp(n.target ? str(args[0]) : str(args[1]), 'u').test(n.target ? str(target) : str(args[0]));
    case 'lowerAscii':
      return str(target).replace(/[A-Z]/g, (c) => c.toLowerCase());
    case 'upperAscii':
      return str(target).replace(/[a-z]/g, (c) => c.toUpperCase());
    case 'int':
    case 'uint': {
      const v = Number(args[0]);
      if (!Number.isFinite(v)) throw new CelError(`cannot convert to ${n.fn}`);
      return Math.trunc(v);
    }
    case 'double':
      return Number(args[0]);
    case 'string':
      return typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
    default:
      throw new CelError(`unsupported function ${n.fn}`);
  }
}

/** Evaluates a compiled rule with `self` (and `oldSelf`) bound. */
export function evalCel(n: Node, self: unknown, oldSelf?: unknown): unknown {
  const scope: Scope = { self };
  if (oldSelf !== undefined) scope.oldSelf = oldSelf;
  return evalNode(n, scope);
}
