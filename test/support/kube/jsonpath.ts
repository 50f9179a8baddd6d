/**
 * The part of client-go's JSONPath (k8s.io/client-go/util/jsonpath) that CRD
 * printer columns and selectable fields use: `.a.b`, `['a.b']`, `[0]`, `[*]`,
 * `.*`, and filters `[?(@.type=="Ready")]` (==, !=, <, <=, >, >=, or bare
 * existence). Missing keys yield no result (AllowMissingKeys(true)).
 */

type Step =
  | { k: 'field'; name: string }
  | { k: 'index'; i: number }
  | { k: 'wild' }
  | { k: 'filter'; path: Step[]; op?: string; value?: unknown };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class JsonPathError extends Error {}

function parseLiteral(text: string): unknown {
  const t = text.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'nil' || t === 'null') return null;
  const n = Number(t);
  if (t !== '' && !Number.isNaN(n)) return n;
  throw new JsonPathError(`unrecognized literal ${t}`);
}

function parseSteps(src: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '.') {
      if (src[i + 1] === '.') throw new JsonPathError('recursive descent is not supported');
      i++;
      if (src[i] === '*') {
        steps.push({ k: 'wild' });
        i++;
        continue;
      }
      let name = '';
      while (i < src.length && src[i] !== '.' && src[i] !== '[') {
        if (src[i] === '\\' && i + 1 < src.length) {
          name += src[i + 1];
          i += 2;
        } else {
          name += src[i];
          i++;
        }
      }
      if (name !== '') steps.push({ k: 'field', name });
      continue;
    }
    if (c === '[') {
      const close = findClose(src, i);
      const inner = src.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ k: 'wild' });
      else if (/^-?\d+$/.test(inner)) steps.push({ k: 'index', i: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ k: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1)));
      else throw new JsonPathError(`unsupported subscript [${inner}]`);
      continue;
    }
    if (c === ' ') {
      i++;
      continue;
    }
    throw new JsonPathError(`unexpected ${JSON.stringify(c)} in JSONPath`);
  }
  return steps;
}

function findClose(src: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let j = open; j < src.length; j++) {
    const ch = src[j];
    if (quote !== '') {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '(') depth++;
    else if (ch === ']' || ch === ')') {
      depth--;
      if (depth === 0) return j;
    }
  }
  throw new JsonPathError('unterminated [');
}

function parseFilter(expr: string): Step {
  const m = /^\s*@((?:\.[^\s=!<>]+|\[[^\]]*\])*)\s*(==|!=|<=|>=|<|>)?\s*(.*)$/.exec(expr);
  if (!m) throw new JsonPathError(`unsupported filter ${expr}`);
  const path = parseSteps(m[1] ?? '');
  if (m[2] === undefined) {
    if ((m[3] ?? '').trim() !== '') throw new JsonPathError(`unsupported filter ${expr}`);
    return { k: 'filter', path };
  }
  return { k: 'filter', path, op: m[2], value: parseLiteral(m[3] ?? '') };
}

function apply(steps: Step[], roots: unknown[]): unknown[] {
  let cur = roots;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (step.k) {
        case 'field':
          if (isObj(v) && step.name in v) next.push(v[step.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const idx = step.i < 0 ? v.length + step.i : step.i;
            if (idx >= 0 && idx < v.length) next.push(v[idx]);
          }
          break;
        case 'wild':
          if (Array.isArray(v)) next.push(...(v as unknown[]));
          else if (isObj(v)) next.push(...Object.values(v));
          break;
        case 'filter': {
          const items: unknown[] = Array.isArray(v) ? (v as unknown[]) : isObj(v) ? Object.values(v) : [];
          for (const item of items) if (matches(step, item)) next.push(item);
          break;
        }
      }
    }
    cur = next;
  }
  return cur;
}

function matches(step: Extract<Step, { k: 'filter' }>, item: unknown): boolean {
  const found = apply(step.path, [item]);
  if (step.op === undefined) return found.length > 0;
  if (found.length === 0) return false;
  const left = found[0];
  const right = step.value;
  switch (step.op) {
    case '==':
      return left === right || (typeof left === 'number' && typeof right === 'number' && left === right);
    case '!=':
      return left !== right;
    default: {
      if (typeof left !== typeof right || (typeof left !== 'number' && typeof left !== 'string')) return false;
      const l = left;
      const r = right as typeof left;
      return step.op === '<' ? l < r : step.op === '<=' ? l <= r : step.op === '>' ? l > r : l >= r;
    }
  }
}

export interface JsonPath {
  /** All values the path selects, in document order. */
  find(obj: unknown): unknown[];
}

/** Compiles a path such as `.status.conditions[?(@.type=="Ready")].reason` (braces optional). */
export function compileJsonPath(expr: string): JsonPath {
  let src = expr.trim();
  if (src.startsWith('{') && src.endsWith('}')) src = src.slice(1, -1).trim();
  if (src.startsWith('$')) src = src.slice(1);
  const steps = parseSteps(src);
  return { find: (obj) => apply(steps, [obj]) };
}
