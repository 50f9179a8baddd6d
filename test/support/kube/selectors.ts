/**
 * labelSelector and fieldSelector query parameters (k8s.io/apimachinery
 * labels.Parse and fields.ParseSelector).
 */
import { badRequest } from './errors.ts';
import type { Obj } from './meta.ts';
import { labelsOf, metaOf } from './meta.ts';
import { isObj } from './schema.ts';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Selector = (obj: Obj) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

export function parseLabelSelector(s: string | null): Selector {
  if (s === null || s.trim() === '') return () => true;
  const reqs: Requirement[] = [];
  for (const term of splitTerms(s)) {
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(term))) {
      reqs.push({ op: m[2] === '!=' ? 'neq' : 'eq', key: m[1] ?? '', value: m[3] ?? '' });
    } else if ((m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const values = (m[3] ?? '').split(',').map((v) => v.trim());
      reqs.push({ op: m[2] === 'in' ? 'in' : 'notin', key: m[1] ?? '', values });
    } else if ((m = /^!\s*([^\s!=]+)$/.exec(term))) {
      reqs.push({ op: 'notexists', key: m[1] ?? '' });
    } else if ((m = /^([^\s!=(),]+)$/.exec(term))) {
      reqs.push({ op: 'exists', key: m[1] ?? '' });
    } else {
      throw badRequest(`unable to parse requirement: found '${term}', expected: valid label selector`);
    }
  }
  return (obj) => {
    const labels = labelsOf(obj);
    return reqs.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case 'eq':
          return has && v === r.value;
        case 'neq':
          return !has || v !== r.value;
        case 'in':
          return has && r.values.includes(v ?? '');
        case 'notin':
          return !has || !r.values.includes(v ?? '');
        case 'exists':
          return has;
        case 'notexists':
          return !has;
      }
    });
  };
}

function lookup(obj: Obj, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[part];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

/** Field selectors: metadata.name, metadata.namespace, plus the type's selectable fields. */
export function parseFieldSelector(s: string | null, extraFields: string[]): Selector {
  if (s === null || s.trim() === '') return () => true;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...extraFields]);
  const reqs: Array<{ key: string; value: string; neq: boolean }> = [];
  for (const term of splitTerms(s)) {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const key = m[1] ?? '';
    if (!allowed.has(key)) throw badRequest(`field label not supported: ${key}`);
    reqs.push({ key, value: m[3] ?? '', neq: m[2] === '!=' });
  }
  return (obj) =>
    reqs.every((r) => {
      const v =
        r.key === 'metadata.name' || r.key === 'metadata.namespace'
          ? (lookup(metaOf(obj), r.key.slice('metadata.'.length)) ?? '')
          : (lookup(obj, r.key) ?? '');
      return r.neq ? v !== r.value : v === r.value;
    });
}
