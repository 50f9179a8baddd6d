/**
 * Structural-schema handling for custom resources, in the apiserver's order:
 * prune unknown fields (reporting their paths for fieldValidation), drop
 * non-nullable nulls, apply `default`s, validate with kube-openapi's rules and
 * messages, check x-kubernetes-list-type invariants, then evaluate
 * x-kubernetes-validations (CEL subset, see cel.ts).
 */
import { isIP } from 'node:net';
import { CelError, CelUnsupported, compileCel, evalCel, mentionsOldSelf } from './cel.ts';
import type { FieldError } from './errors.ts';
import { goFloat } from './errors.ts';

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export interface JSONSchemaProps {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: ValidationRule[];
}

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

export const clone = <T>(v: T): T => structuredClone(v);

const child = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** Fields of ObjectMeta; anything else under metadata is an unknown field. */
export const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

export function pruneObjectMeta(meta: unknown, path: string, unknown: string[]): void {
  if (!isObj(meta)) return;
  for (const key of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.has(key)) {
      delete meta[key];
      unknown.push(child(path, key));
    }
  }
}

/**
 * Removes fields the schema does not declare (in place) and returns their
 * paths ("spec.foo", "spec.rules[0].bar"). `root` marks a whole resource:
 * apiVersion, kind and metadata are always kept (metadata pruned to ObjectMeta).
 */
export function prune(value: unknown, schema: JSONSchemaProps | undefined, root = true): string[] {
  const unknown: string[] = [];
  pruneNode(value, schema, '', unknown, root);
  return unknown;
}

function pruneNode(value: unknown, s: JSONSchemaProps | undefined, path: string, unknown: string[], resource: boolean): void {
  if (s === undefined) return;
  if (Array.isArray(value)) {
    if (s.items) value.forEach((v, i) => pruneNode(v, s.items, `${path}[${i}]`, unknown, false));
    return;
  }
  if (!isObj(value)) return;
  const props = s.properties ?? {};
  const embedded = resource || s['x-kubernetes-embedded-resource'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const addl = s.additionalProperties;
  for (const key of Object.keys(value)) {
    const p = child(path, key);
    if (embedded && (key === 'apiVersion' || key === 'kind')) continue;
    if (embedded && key === 'metadata') {
      pruneObjectMeta(value[key], p, unknown);
      continue;
    }
    const ps = props[key];
    const sub = ps ?? (typeof addl === 'object' ? addl : undefined);
    if (sub !== undefined) {
      if (value[key] === null && sub.nullable !== true && sub.default === undefined) {
        // PruneNonNullableNullsWithoutDefaults
        delete value[key];
        continue;
      }
      pruneNode(value[key], sub, p, unknown, false);
    } else if (!(addl === true || preserve)) {
      delete value[key];
      unknown.push(p);
    }
  }
}

/** Applies schema defaults in place (structuraldefaulting.Default). */
export function applyDefaults(value: unknown, s: JSONSchemaProps | undefined): void {
  if (s === undefined) return;
  if (Array.isArray(value)) {
    if (s.items) for (const v of value) applyDefaults(v, s.items);
    return;
  }
  if (!isObj(value)) return;
  const props = s.properties ?? {};
  for (const [k, prop] of Object.entries(props)) {
    if (prop.default === undefined) continue;
    if (!(k in value) || (value[k] === null && prop.nullable !== true)) value[k] = clone(prop.default);
  }
  for (const [k, v] of Object.entries(value)) {
    const prop = props[k];
    if (prop) applyDefaults(v, prop);
    else if (typeof s.additionalProperties === 'object') applyDefaults(v, s.additionalProperties);
  }
}

// ---------------------------------------------------------------------------
// Validation (kube-openapi validate + apiextensions' error conversion)

const regexCache = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = new RegExp(pattern);
    }
    regexCache.set(pattern, re);
  }
  return re;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v; // string | boolean
}

function schemaTypes(s: JSONSchemaProps): string[] {
  if (s['x-kubernetes-int-or-string'] === true) return ['integer', 'string'];
  return s.type ? [s.type] : [];
}

const FORMATS: Record<string, (v: string) => boolean> = {
  'date-time': (v) =>
    /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/.test(v) && !Number.isNaN(Date.parse(v)),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)),
  byte: (v) => /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0,
  uuid: (v) => /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(v),
  email: (v) => /^[^@\s]+@[^@\s]+$/.test(v),
  ipv4: (v) => isIP(v) === 4,
  ipv6: (v) => isIP(v) === 6,
  cidr: (v) => {
    const [ip = '', bits = '', ...rest] = v.split('/');
    const n = Number(bits);
    return rest.length === 0 && isIP(ip) !== 0 && /^\d+$/.test(bits) && n <= (isIP(ip) === 4 ? 32 : 128);
  },
  hostname: (v) => v.length <= 255 && /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/.test(v),
  mac: (v) => /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(v),
  uri: (v) => {
    try {
      return new URL(v).protocol !== '';
    } catch {
      return false;
    }
  },
  duration: (v) => /^(\s*\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w)\s*)+$/.test(v),
};

/** `map[string]interface {}{"name":"a"}`: how Go prints a list-map key in a Duplicate error. */
function goSharpMap(m: Record<string, unknown>): string {
  const parts = Object.keys(m)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${typeof m[k] === 'string' ? JSON.stringify(m[k]) : goFloatOr(m[k])}`);
  return `map[string]interface {}{${parts.join(', ')}}`;
}
const goFloatOr = (v: unknown): string => (typeof v === 'number' ? goFloat(v) : JSON.stringify(v));

export interface ValidateContext {
  /** Called once per rule the CEL subset cannot handle; the rule is skipped. */
  onUnsupportedRule?: (rule: string, why: string) => void;
}

/** kube-openapi validation of one node; errors use apiextensions' field.Error mapping. */
export function validateSchema(value: unknown, s: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const types = schemaTypes(s);
  const inBody = (p: string): string => `${p} in body`;
  if (value === null || value === undefined) {
    if (types.length > 0 && s.nullable !== true) {
      errs.push({ type: 'TypeInvalid', field: path, value: 'null', detail: `${inBody(path)} must be of type ${types.join(',')}: "null"` });
    }
    return;
  }
  const actual = jsonType(value);
  if (types.length > 0) {
    const ok =
      types.includes(actual) || (actual === 'integer' && types.includes('number'));
    if (!ok) {
      errs.push({
        type: 'TypeInvalid',
        field: path,
        value: actual,
        detail: `${inBody(path)} must be of type ${types.join(',')}: "${actual}"`,
      });
    }
  }

  // allOf / anyOf / oneOf / not (value validations only in structural schemas)
  for (const sub of s.allOf ?? []) validateSchema(value, sub, path, errs);
  if (s.anyOf && s.anyOf.length > 0) {
    const ok = s.anyOf.some((sub) => {
      const e: FieldError[] = [];
      validateSchema(value, sub, path, e);
      return e.length === 0;
    });
    if (!ok) errs.push({ type: 'Invalid', field: path, value: '', detail: `${inBody(path)} must validate at least one schema (anyOf)` });
  }
  if (s.oneOf && s.oneOf.length > 0) {
    const n = s.oneOf.filter((sub) => {
      const e: FieldError[] = [];
      validateSchema(value, sub, path, e);
      return e.length === 0;
    }).length;
    if (n !== 1) errs.push({ type: 'Invalid', field: path, value: '', detail: `${inBody(path)} must validate one and only one schema (oneOf)` });
  }
  if (s.not) {
    const e: FieldError[] = [];
    validateSchema(value, s.not, path, e);
    if (e.length === 0) errs.push({ type: 'Invalid', field: path, value: '', detail: `${inBody(path)} must not validate the schema (not)` });
  }

  if (typeof value === 'string') {
    const len = [...value].length;
    if (s.maxLength !== undefined && len > s.maxLength) {
      errs.push({ type: 'TooLong', field: path, value, detail: `may not be longer than ${s.maxLength}` });
    }
    if (s.minLength !== undefined && len < s.minLength) {
      errs.push({ type: 'Invalid', field: path, value, detail: `${inBody(path)} should be at least ${s.minLength} chars long` });
    }
    if (s.pattern !== undefined && !regex(s.pattern).test(value)) {
      errs.push({ type: 'Invalid', field: path, value, detail: `${inBody(path)} should match '${s.pattern}'` });
    }
    const fmt = s.format ? FORMATS[s.format] : undefined;
    if (s.format && fmt && !fmt(value)) {
      errs.push({ type: 'TypeInvalid', field: path, value, detail: `${inBody(path)} must be of type ${s.format}: ${JSON.stringify(value)}` });
    }
  }

  if (typeof value === 'number') {
    if (s.multipleOf !== undefined && s.multipleOf !== 0 && !Number.isInteger(value / s.multipleOf)) {
      errs.push({ type: 'Invalid', field: path, value, detail: `${inBody(path)} should be a multiple of ${goFloat(s.multipleOf)}` });
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? value >= s.maximum : value > s.maximum)) {
      const op = s.exclusiveMaximum ? 'less than' : 'less than or equal to';
      errs.push({ type: 'Invalid', field: path, value, detail: `${inBody(path)} should be ${op} ${goFloat(s.maximum)}` });
    }
    if (s.minimum !== undefined && (s.exclusiveMinimum ? value <= s.minimum : value < s.minimum)) {
      const op = s.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
      errs.push({ type: 'Invalid', field: path, value, detail: `${inBody(path)} should be ${op} ${goFloat(s.minimum)}` });
    }
  }

  if (Array.isArray(value)) {
    if (s.items) value.forEach((v, i) => validateSchema(v, s.items as JSONSchemaProps, `${path}[${i}]`, errs));
    if (s.minItems !== undefined && value.length < s.minItems) {
      errs.push({ type: 'Invalid', field: path, value: value.length, detail: `${inBody(path)} should have at least ${s.minItems} items` });
    }
    if (s.maxItems !== undefined && value.length > s.maxItems) {
      errs.push({ type: 'TooMany', field: path, value: value.length, detail: `must have at most ${s.maxItems} ${s.maxItems === 1 ? 'item' : 'items'}` });
    }
    if (s.uniqueItems === true && value.some((v, i) => value.findIndex((w) => deepEqual(v, w)) !== i)) {
      errs.push({ type: 'Invalid', field: path, value: '', detail: `${inBody(path)} shouldn't contain duplicates` });
    }
  }

  if (s.enum !== undefined && !s.enum.some((e) => deepEqual(e, value))) {
    const supported = s.enum.map((e) => JSON.stringify(typeof e === 'string' ? e : JSON.stringify(e)));
    errs.push({ type: 'NotSupported', field: path, value, detail: supported.length ? `supported values: ${supported.join(', ')}` : '' });
  }

  if (isObj(value)) {
    const n = Object.keys(value).length;
    if (s.maxProperties !== undefined && n > s.maxProperties) {
      errs.push({ type: 'TooMany', field: path, value: n, detail: `must have at most ${s.maxProperties} ${s.maxProperties === 1 ? 'item' : 'items'}` });
    }
    if (s.minProperties !== undefined && n < s.minProperties) {
      errs.push({ type: 'Invalid', field: path, value: n, detail: `${inBody(path)} should have at least ${s.minProperties} properties` });
    }
    for (const r of s.required ?? []) {
      if (!(r in value)) errs.push({ type: 'Required', field: child(path, r), detail: '' });
    }
    const props = s.properties ?? {};
    for (const [k, ps] of Object.entries(props)) {
      if (k in value) validateSchema(value[k], ps, child(path, k), errs);
    }
    for (const [k, v] of Object.entries(value)) {
      if (k in props) continue;
      if (s.additionalProperties === false) {
        errs.push({ type: 'Invalid', field: child(path, k), value: '', detail: `${path}.${k} in body is a forbidden property` });
      } else if (typeof s.additionalProperties === 'object') {
        validateSchema(v, s.additionalProperties, child(path, k), errs);
      }
    }
  }
}

/** x-kubernetes-list-type set/map invariants (structurallisttype.ValidateListSetsAndMaps). */
export function validateListTypes(value: unknown, s: JSONSchemaProps | undefined, path: string, errs: FieldError[]): void {
  if (s === undefined) return;
  if (Array.isArray(value)) {
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'set') {
      value.forEach((v, i) => {
        if (value.findIndex((w) => deepEqual(v, w)) !== i) errs.push({ type: 'Duplicate', field: `${path}[${i}]`, value: v });
      });
    } else if (listType === 'map') {
      const keys = s['x-kubernetes-list-map-keys'] ?? [];
      const seen: Array<Record<string, unknown>> = [];
      value.forEach((v, i) => {
        if (!isObj(v)) return;
        const key = Object.fromEntries(keys.filter((k) => k in v).map((k) => [k, v[k]]));
        if (seen.some((k) => deepEqual(k, key))) {
          errs.push({ type: 'Duplicate', field: `${path}[${i}]`, value: { __goRaw: goSharpMap(key) } });
        }
        seen.push(key);
      });
    }
    if (s.items) value.forEach((v, i) => validateListTypes(v, s.items, `${path}[${i}]`, errs));
    return;
  }
  if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      const ps = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      validateListTypes(v, ps, child(path, k), errs);
    }
  }
}

const RULE_REASONS: Record<string, FieldError['type']> = {
  FieldValueInvalid: 'Invalid',
  FieldValueForbidden: 'Forbidden',
  FieldValueRequired: 'Required',
  FieldValueDuplicate: 'Duplicate',
};

/** Evaluates x-kubernetes-validations rules bottom-up, like the CEL validator. */
export function validateRules(
  value: unknown,
  old: unknown,
  s: JSONSchemaProps | undefined,
  path: string,
  errs: FieldError[],
  ctx: ValidateContext,
): void {
  if (s === undefined || value === undefined || value === null) return;
  for (const rule of s['x-kubernetes-validations'] ?? []) {
    let compiled;
    try {
      compiled = compileCel(rule.rule);
    } catch (err) {
      if (err instanceof CelUnsupported) ctx.onUnsupportedRule?.(rule.rule, err.message);
      continue;
    }
    const transition = mentionsOldSelf(compiled);
    if (transition && old === undefined) continue;
    const schemaType = s.type ?? '';
    const fieldPath = rule.fieldPath ? child(path, rule.fieldPath.replace(/^\./, '')) : path;
    try {
      const ok = evalCel(compiled, value, transition ? old : undefined);
      if (ok === true) continue;
      let message = rule.message ?? `failed rule: ${rule.rule}`;
      if (rule.messageExpression) {
        try {
          const m = evalCel(compileCel(rule.messageExpression), value, transition ? old : undefined);
          if (typeof m === 'string' && m.trim() !== '') message = m;
        } catch {
          // fall back to message
        }
      }
      const type = RULE_REASONS[rule.reason ?? 'FieldValueInvalid'] ?? 'Invalid';
      if (type === 'Invalid') errs.push({ type, field: fieldPath, value: schemaType, detail: message });
      else if (type === 'Duplicate') errs.push({ type, field: fieldPath, value: schemaType });
      else errs.push({ type, field: fieldPath, detail: message });
    } catch (err) {
      if (err instanceof CelError) {
        errs.push({ type: 'Invalid', field: fieldPath, value: schemaType, detail: `${err.message} evaluating rule: ${rule.rule}` });
      } else if (err instanceof CelUnsupported) {
        ctx.onUnsupportedRule?.(rule.rule, err.message);
      } else {
        throw err;
      }
    }
  }
  if (Array.isArray(value)) {
    const items = s.items;
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    value.forEach((v, i) => {
      let o: unknown;
      if (Array.isArray(old) && s['x-kubernetes-list-type'] === 'map' && isObj(v)) {
        o = old.find((w) => isObj(w) && keys.every((k) => deepEqual(w[k], v[k])));
      }
      validateRules(v, o, items, `${path}[${i}]`, errs, ctx);
    });
    return;
  }
  if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (path === '' && (k === 'metadata' || k === 'apiVersion' || k === 'kind')) continue;
      const ps = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      validateRules(v, isObj(old) ? old[k] : undefined, ps, child(path, k), errs, ctx);
    }
  }
}

/** Whether any node has x-kubernetes-validations (else there is no CEL validator at all). */
function hasRules(s: JSONSchemaProps | undefined): boolean {
  if (s === undefined) return false;
  if ((s['x-kubernetes-validations'] ?? []).length > 0) return true;
  if (Object.values(s.properties ?? {}).some(hasRules)) return true;
  if (typeof s.additionalProperties === 'object' && hasRules(s.additionalProperties)) return true;
  return hasRules(s.items) || [...(s.allOf ?? []), ...(s.anyOf ?? []), ...(s.oneOf ?? [])].some(hasRules);
}

/**
 * Full custom-resource validation: schema, list types, then CEL rules unless a
 * type, required, enum or size error blocks them (as the apiserver does).
 */
export function validateResource(obj: unknown, old: unknown, schema: JSONSchemaProps | undefined, ctx: ValidateContext): FieldError[] {
  if (schema === undefined) return [];
  const errs: FieldError[] = [];
  validateSchema(obj, schema, '', errs);
  validateListTypes(obj, schema, '', errs);
  // strategy.go's hasBlockingErr: the object lacks the shape the rules were written for.
  const blocking = new Set<FieldError['type']>(['NotSupported', 'Required', 'TooLong', 'TooMany', 'TypeInvalid']);
  if (!hasRules(schema)) return errs;
  if (errs.some((e) => blocking.has(e.type))) {
    errs.push({
      type: 'Invalid',
      field: '<nil>',
      value: null,
      detail: 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    });
  } else {
    validateRules(obj, old, schema, '', errs, ctx);
  }
  return errs;
}
