/**
 * Patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902). The
 * apiserver refuses strategic merge patch for custom resources; for built-in
 * kinds the test server applies it as a merge patch (no $patch directives,
 * lists replaced), which is what the few built-ins here need.
 */
import { isObj } from './schema.ts';

export class PatchError extends Error {}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split('/').map(unescape);
}

function getAt(doc: unknown, tokens: string[], op: string): unknown {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      const i = Number(t);
      if (!/^\d+$/.test(t) || i >= cur.length) throw new PatchError(`${op} operation does not apply: doc is missing path: "/${tokens.join('/')}": missing value`);
      cur = cur[i];
    } else if (isObj(cur) && Object.hasOwn(cur, t)) {
      cur = cur[t];
    } else {
      throw new PatchError(`${op} operation does not apply: doc is missing path: "/${tokens.join('/')}": missing value`);
    }
  }
  return cur;
}

function parentOf(doc: unknown, tokens: string[], op: string): { parent: unknown; last: string } {
  if (tokens.length === 0) throw new PatchError(`${op} operation does not apply to the whole document`);
  const last = tokens[tokens.length - 1] ?? '';
  return { parent: getAt(doc, tokens.slice(0, -1), op), last };
}

function add(doc: unknown, tokens: string[], value: unknown): unknown {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, 'add');
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!/^(\d+|-)$/.test(last) || i > parent.length) throw new PatchError(`add operation does not apply: index out of bounds: ${last}`);
    parent.splice(i, 0, value);
  } else if (isObj(parent)) {
    parent[last] = value;
  } else {
    throw new PatchError(`add operation does not apply: doc is missing path: "/${tokens.join('/')}"`);
  }
  return doc;
}

function remove(doc: unknown, tokens: string[], op = 'remove'): unknown {
  const { parent, last } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!/^\d+$/.test(last) || i >= parent.length) throw new PatchError(`${op} operation does not apply: doc is missing path: "/${tokens.join('/')}": missing value`);
    parent.splice(i, 1);
  } else if (isObj(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  } else {
    throw new PatchError(`${op} operation does not apply: doc is missing path: "/${tokens.join('/')}": missing value`);
  }
  return doc;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObj(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

/** Applies an RFC 6902 patch to a copy of `doc`. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let out = structuredClone(doc);
  for (const raw of ops) {
    if (!isObj(raw)) throw new PatchError('invalid JSON patch operation');
    const op = raw.op;
    const path = typeof raw.path === 'string' ? raw.path : undefined;
    if (path === undefined) throw new PatchError(`${String(op)} operation does not apply: missing path`);
    const tokens = parsePointer(path);
    switch (op) {
      case 'add':
        out = add(out, tokens, structuredClone(raw.value));
        break;
      case 'remove':
        out = remove(out, tokens);
        break;
      case 'replace': {
        getAt(out, tokens, 'replace');
        if (tokens.length === 0) out = structuredClone(raw.value);
        else out = add(remove(out, tokens, 'replace'), tokens, structuredClone(raw.value));
        break;
      }
      case 'move':
      case 'copy': {
        const from = typeof raw.from === 'string' ? parsePointer(raw.from) : undefined;
        if (from === undefined) throw new PatchError(`${op} operation does not apply: missing from`);
        const value = structuredClone(getAt(out, from, op));
        if (op === 'move') out = remove(out, from, 'move');
        out = add(out, tokens, value);
        break;
      }
      case 'test': {
        const actual = getAt(out, tokens, 'test');
        if (!equal(actual, raw.value)) throw new PatchError(`testing value ${path} failed: test failed`);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${String(op)}`);
    }
  }
  return out;
}
