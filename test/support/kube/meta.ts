/**
 * ObjectMeta validation (k8s.io/apimachinery/pkg/api/validation) with the
 * apiserver's messages, plus small helpers around `metadata`.
 */
import { randomUUID } from 'node:crypto';
import type { FieldError } from './errors.ts';
import { isObj } from './schema.ts';

export type Obj = Record<string, unknown>;

export function metaOf(obj: Obj): Obj {
  if (!isObj(obj.metadata)) obj.metadata = {};
  return obj.metadata as Obj;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function nameOf(obj: Obj): string {
  return str(metaOf(obj).name) ?? '';
}

export function finalizersOf(obj: Obj): string[] {
  const f = metaOf(obj).finalizers;
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
}

export function labelsOf(obj: Obj): Record<string, string> {
  const l = metaOf(obj).labels;
  if (!isObj(l)) return {};
  return Object.fromEntries(Object.entries(l).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** metav1.Time: RFC 3339 with second precision. */
export const nowTimestamp = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export const newUid = (): string => randomUUID();

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export function generateNameSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return s;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const QUALIFIED_WHOLE_MSG =
  "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

export function dns1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(v)) errs.push(LABEL_MSG);
  return errs;
}

export function dns1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(v)) errs.push(SUBDOMAIN_MSG);
  return errs;
}

export function qualifiedName(v: string): string[] {
  const parts = v.split('/');
  let name = v;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix = '', n = ''] = parts;
    name = n;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else if (parts.length > 2) {
    return [QUALIFIED_WHOLE_MSG];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) errs.push(QUALIFIED_NAME_MSG);
  return errs;
}

export function labelValue(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(v)) errs.push(LABEL_VALUE_MSG);
  return errs;
}

export type NameRule = 'label' | 'subdomain';

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** ValidateObjectMeta for create and update; returns errors and warnings. */
export function validateObjectMeta(
  meta: Obj,
  opts: { namespaced: boolean; nameRule: NameRule },
): { errors: FieldError[]; warnings: string[] } {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  const name = str(meta.name) ?? '';
  if (name === '') {
    errors.push({ type: 'Required', field: 'metadata.name', detail: 'name or generateName is required' });
  } else {
    const msgs = opts.nameRule === 'label' ? dns1123Label(name) : dns1123Subdomain(name);
    for (const m of msgs) errors.push({ type: 'Invalid', field: 'metadata.name', value: name, detail: m });
  }
  const ns = str(meta.namespace) ?? '';
  if (opts.namespaced && ns === '') errors.push({ type: 'Required', field: 'metadata.namespace', detail: '' });
  if (!opts.namespaced && ns !== '') {
    errors.push({ type: 'Forbidden', field: 'metadata.namespace', detail: 'not allowed on this type' });
  }
  if (meta.labels !== undefined && isObj(meta.labels)) {
    for (const [k, v] of Object.entries(meta.labels)) {
      for (const m of qualifiedName(k)) errors.push({ type: 'Invalid', field: 'metadata.labels', value: k, detail: m });
      if (typeof v === 'string') {
        for (const m of labelValue(v)) errors.push({ type: 'Invalid', field: 'metadata.labels', value: v, detail: m });
      }
    }
  }
  if (meta.annotations !== undefined && isObj(meta.annotations)) {
    let total = 0;
    for (const [k, v] of Object.entries(meta.annotations)) {
      for (const m of qualifiedName(k.toLowerCase())) {
        errors.push({ type: 'Invalid', field: 'metadata.annotations', value: k, detail: m });
      }
      total += k.length + (typeof v === 'string' ? v.length : 0);
    }
    if (total > 256 * 1024) {
      errors.push({ type: 'TooLong', field: 'metadata.annotations', detail: `may not be longer than ${256 * 1024}` });
    }
  }
  if (Array.isArray(meta.finalizers)) {
    for (const f of meta.finalizers) {
      if (typeof f !== 'string') continue;
      for (const m of qualifiedName(f)) errors.push({ type: 'Invalid', field: 'metadata.finalizers', value: f, detail: m });
      if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
        warnings.push(
          `metadata.finalizers: "${f}": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers`,
        );
      }
    }
  }
  if (Array.isArray(meta.ownerReferences)) {
    meta.ownerReferences.forEach((ref, i) => {
      if (!isObj(ref)) return;
      for (const f of ['apiVersion', 'kind', 'name', 'uid']) {
        if (typeof ref[f] !== 'string' || ref[f] === '') {
          errors.push({ type: 'Invalid', field: `metadata.ownerReferences[${i}].${f}`, value: ref[f] ?? '', detail: `${f} must not be empty` });
        }
      }
    });
  }
  return { errors, warnings };
}

/** Type checks that decoding into ObjectMeta would do (a 400 in the real server). */
export function objectMetaDecodeError(meta: unknown): string | undefined {
  if (meta === undefined) return undefined;
  if (!isObj(meta)) return 'json: cannot unmarshal into Go struct field Object.metadata of type v1.ObjectMeta';
  const strMap = (field: string): string | undefined => {
    const v = meta[field];
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) return `json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field ObjectMeta.metadata.${field} of type map[string]string`;
    for (const x of Object.values(v)) {
      if (typeof x !== 'string') {
        return `json: cannot unmarshal ${x === null ? 'null' : typeof x} into Go struct field ObjectMeta.metadata.${field} of type string`;
      }
    }
    return undefined;
  };
  for (const f of ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp']) {
    const v = meta[f];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      return `json: cannot unmarshal ${typeof v} into Go struct field ObjectMeta.metadata.${f} of type string`;
    }
  }
  return strMap('labels') ?? strMap('annotations');
}
