/**
 * The REST verbs with the apiserver's semantics: create / get / list /
 * update / patch / delete / deletecollection, status subresource, generation,
 * finalizers and deletionTimestamp, namespace lifecycle, CRD registration,
 * structural pruning + defaulting + validation and fieldValidation.
 */
import { CelUnsupported, compileCel } from './cel.ts';
import { crdStatus, crdToType, defaultCrd, validateCrd } from './crd.ts';
import type { FieldError, Status } from './errors.ts';
import type { ApiError } from './errors.ts';
import {
  OBJECT_MODIFIED,
  alreadyExists,
  badRequest,
  conflict,
  failure,
  forbidden,
  invalid,
  notFound,
  patchRejected,
  successStatus,
  unsupportedMediaType,
} from './errors.ts';
import type { Obj } from './meta.ts';
import {
  finalizersOf,
  generateNameSuffix,
  metaOf,
  newUid,
  nowTimestamp,
  objectMetaDecodeError,
  str,
  validateObjectMeta,
} from './meta.ts';
import { PatchError, jsonPatch, mergePatch } from './patch.ts';
import type { Registry, ResourceType, VersionDef } from './resources.ts';
import { groupVersion, typeKey } from './resources.ts';
import { deepEqual, isObj, prune, pruneObjectMeta, validateResource, validateSchema } from './schema.ts';
import { applyDefaults } from './schema.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { ObjectStore } from './store.ts';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface Target {
  type: ResourceType;
  version: VersionDef;
  /** Request namespace (namespaced types); undefined for cluster-wide lists. */
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface Call {
  query: URLSearchParams;
  /** Warning headers to send (text only; the HTTP layer formats them). */
  warnings: string[];
}

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';
const NS_KEY = '/namespaces';

const gr = (t: ResourceType): { group: string; name: string } => ({ group: t.group, name: t.plural });
const gk = (t: ResourceType): { group: string; name: string } => ({ group: t.group, name: t.kind });

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

function fieldValidationOf(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Ignore' || v === 'Warn' || v === 'Strict') return v;
  throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${v}"`);
}

function isDryRun(q: URLSearchParams): boolean {
  const v = q.getAll('dryRun');
  if (v.some((x) => x !== 'All')) throw badRequest(`Invalid dryRun directive: ${JSON.stringify(v)}`);
  return v.length > 0;
}

const objectKeyOf = (obj: Obj): string => `${str(metaOf(obj).namespace) ?? ''}/${str(metaOf(obj).name) ?? ''}`;

/** Object without metadata (and without status when it has its own subresource): what generation tracks. */
function specPart(obj: Obj, withStatus: boolean): Obj {
  const { metadata: _m, status, ...rest } = obj;
  return withStatus ? { ...rest, status } : rest;
}

export interface RestOptions {
  onUnsupportedRule?: (rule: string, why: string) => void;
}

export class RestApi {
  constructor(
    readonly registry: Registry,
    readonly store: ObjectStore,
    private readonly opts: RestOptions = {},
  ) {
    const crdType = registry.get('apiextensions.k8s.io', 'customresourcedefinitions');
    if (crdType) {
      crdType.hooks = {
        prepareCreate: (obj) => {
          defaultCrd(obj);
          obj.status = crdStatus(obj);
        },
        prepareUpdate: (obj, old) => {
          defaultCrd(obj);
          obj.status = crdStatus(obj, old.status);
        },
        validate: (obj, old) => {
          const errs = validateCrd(obj);
          if (old && isObj(old.spec) && isObj(obj.spec)) {
            if (old.spec.group !== obj.spec.group) errs.push({ type: 'Invalid', field: 'spec.group', value: obj.spec.group, detail: 'field is immutable' });
            if (old.spec.scope !== obj.spec.scope) errs.push({ type: 'Invalid', field: 'spec.scope', value: obj.spec.scope, detail: 'field is immutable' });
          }
          if (!old && isObj(obj.spec)) {
            const spec = obj.spec;
            const names = isObj(spec.names) ? spec.names : {};
            const existing = registry.get(str(spec.group) ?? '', str(names.plural) ?? '');
            if (existing && existing.crdName === undefined) {
              errs.push({ type: 'Invalid', field: 'spec.names.plural', value: names.plural, detail: 'conflicts with a built-in resource' });
            }
          }
          return errs;
        },
      };
    }
  }

  /** The object as served at the target's version (conversion strategy None). */
  toExternal(obj: Obj, type: ResourceType, version: string): Obj {
    const out = structuredClone(obj);
    const { apiVersion: _a, kind: _k, ...rest } = out;
    return { apiVersion: groupVersion(type.group, version), kind: type.kind, ...rest };
  }

  private toStorage(obj: Obj, type: ResourceType): Obj {
    obj.apiVersion = groupVersion(type.group, type.storageVersion);
    obj.kind = type.kind;
    return obj;
  }

  private namespaceOf(t: Target): string {
    return t.type.namespaced ? (t.namespace ?? '') : '';
  }

  private current(t: Target): Obj {
    const name = t.name ?? '';
    const obj = this.store.get(typeKey(t.type), this.namespaceOf(t), name);
    if (!obj) throw notFound(gr(t.type), name);
    return obj;
  }

  // -------------------------------------------------------------------------
  // get / list

  get(t: Target): Obj {
    return this.toExternal(this.current(t), t.type, t.version.name);
  }

  list(t: Target, call: Call): { list: Obj; items: Obj[] } {
    const labelSel = parseLabelSelector(call.query.get('labelSelector'));
    const fieldSel = parseFieldSelector(call.query.get('fieldSelector'), t.version.selectableFields);
    let items = this.store
      .list(typeKey(t.type), t.type.namespaced ? t.namespace : undefined)
      .filter((o) => labelSel(o) && fieldSel(o));
    const cont = call.query.get('continue');
    if (cont) {
      let start: string;
      try {
        const decoded = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as { start?: unknown };
        start = typeof decoded.start === 'string' ? decoded.start : '';
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data');
      }
      items = items.filter((o) => objectKeyOf(o) > start);
    }
    const limit = Number(call.query.get('limit') ?? '0');
    const metadata: Obj = { resourceVersion: String(this.store.currentRv()) };
    if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
      const rest = items.length - limit;
      items = items.slice(0, limit);
      const last = items[items.length - 1];
      metadata.continue = Buffer.from(JSON.stringify({ start: last ? objectKeyOf(last) : '' })).toString('base64url');
      metadata.remainingItemCount = rest;
    }
    const external = items.map((o) => this.toExternal(o, t.type, t.version.name));
    const listItems = t.type.builtin
      ? external.map(({ apiVersion: _a, kind: _k, ...rest }) => rest)
      : external;
    return {
      list: { apiVersion: groupVersion(t.type.group, t.version.name), kind: t.type.listKind, metadata, items: listItems },
      items: external,
    };
  }

  // -------------------------------------------------------------------------
  // decoding and admission

  private decodeBody(t: Target, body: unknown, forPatch: boolean): Obj {
    const kind = t.type.kind;
    const v = t.version.name;
    const cannot = (msg: string): ApiError => badRequest(`${kind} in version "${v}" cannot be handled as a ${kind}: ${msg}`);
    if (!isObj(body)) {
      if (forPatch) throw patchRejected('the patched object is not a JSON object');
      throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
    }
    const expected = groupVersion(t.type.group, v);
    if (!t.type.builtin) {
      if (typeof body.kind !== 'string' || body.kind === '') throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
      if (typeof body.apiVersion !== 'string' || body.apiVersion === '') {
        throw badRequest(`Object 'apiVersion' is missing in '${JSON.stringify(body)}'`);
      }
    }
    if (body.apiVersion !== undefined && body.apiVersion !== expected) {
      const got = typeof body.apiVersion === 'string' ? body.apiVersion : JSON.stringify(body.apiVersion);
      throw badRequest(`the API version in the data (${got}) does not match the expected API version (${expected})`);
    }
    if (body.kind !== undefined && body.kind !== kind) {
      const got = typeof body.kind === 'string' ? body.kind : JSON.stringify(body.kind);
      throw badRequest(`the kind in the data (${got}) does not match the expected kind (${kind})`);
    }
    const metaErr = objectMetaDecodeError(body.metadata);
    if (metaErr) throw cannot(metaErr);
    const hookErr = t.type.hooks?.decodeError?.(body);
    if (hookErr) throw cannot(hookErr);
    if (t.type.builtin && t.version.schema) {
      // Typed kinds fail to decode (400) on a wrong JSON type.
      const errs: FieldError[] = [];
      validateSchema(body, t.version.schema, '', errs);
      const typeErr = errs.find((e) => e.type === 'TypeInvalid');
      if (typeErr) {
        const jsonName = (x: unknown): string => (x === 'integer' || x === 'number' ? 'number' : x === 'boolean' ? 'bool' : String(x));
        throw cannot(`json: cannot unmarshal ${jsonName(typeErr.value)} into Go struct field ${kind}.${typeErr.field} of type ${goType(typeErr.detail ?? '')}`);
      }
    }
    return structuredClone(body);
  }

  /** Prunes unknown fields (returning their paths) and applies defaults. */
  private admitFields(t: Target, obj: Obj): string[] {
    const unknown = t.version.schema ? prune(obj, t.version.schema, true) : [];
    if (!t.version.schema) pruneObjectMeta(obj.metadata, 'metadata', unknown);
    applyDefaults(obj, t.version.schema);
    return unknown;
  }

  private strictDecoding(t: Target, unknown: string[], call: Call): void {
    if (unknown.length === 0) return;
    const mode = fieldValidationOf(call.query);
    if (mode === 'Strict') {
      const kind = t.type.kind;
      const list = unknown.map((p) => `unknown field "${p}"`).join(', ');
      throw badRequest(`${kind} in version "${t.version.name}" cannot be handled as a ${kind}: strict decoding error: ${list}`);
    }
    if (mode === 'Warn') for (const p of unknown) call.warnings.push(`unknown field "${p}"`);
  }

  private validate(t: Target, obj: Obj, old: Obj | undefined, call: Call): void {
    const { errors, warnings } = validateObjectMeta(metaOf(obj), { namespaced: t.type.namespaced, nameRule: t.type.nameRule });
    call.warnings.push(...(old ? [] : warnings));
    const errs = [...errors];
    if (!t.type.builtin) {
      errs.push(
        ...validateResource(obj, old, t.version.schema, {
          onUnsupportedRule: (rule, why) => this.opts.onUnsupportedRule?.(rule, why),
        }),
      );
    }
    errs.push(...(t.type.hooks?.validate?.(obj, old) ?? []));
    if (errs.length > 0) throw invalid(gk(t.type), str(metaOf(obj).name) ?? '', errs);
  }

  private checkNamespace(t: Target, name: string): void {
    if (!t.type.namespaced) return;
    const ns = t.namespace ?? '';
    const nsObj = this.store.get(NS_KEY, '', ns);
    if (!nsObj) throw notFound({ group: '', name: 'namespaces' }, ns);
    if (metaOf(nsObj).deletionTimestamp) {
      throw forbidden(gr(t.type), name, `unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  // -------------------------------------------------------------------------
  // create

  create(t: Target, body: unknown, call: Call): Obj {
    const dryRun = isDryRun(call.query);
    const obj = this.decodeBody(t, body, false);
    const unknown = this.admitFields(t, obj);
    this.strictDecoding(t, unknown, call);
    const meta = metaOf(obj);
    if (t.type.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== t.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = t.namespace ?? '';
    } else {
      delete meta.namespace;
    }
    if ((str(meta.name) ?? '') === '' && (str(meta.generateName) ?? '') !== '') {
      meta.name = `${str(meta.generateName) ?? ''}${generateNameSuffix()}`;
    }
    if (str(meta.resourceVersion)) throw failure(500, '', 'resourceVersion should not be set on objects to be created');
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (t.version.statusSubresource && !t.type.builtin) delete obj.status;
    t.type.hooks?.prepareCreate?.(obj);
    meta.uid = newUid();
    meta.creationTimestamp = nowTimestamp();
    if (t.type.hasGeneration) meta.generation = 1;
    else delete meta.generation;
    this.validate(t, obj, undefined, call);
    const name = str(meta.name) ?? '';
    this.checkNamespace(t, name);
    const key = typeKey(t.type);
    if (this.store.get(key, this.namespaceOf(t), name)) throw alreadyExists(gr(t.type), name);
    this.toStorage(obj, t.type);
    if (dryRun) return this.toExternal(obj, t.type, t.version.name);
    const created = this.store.create(key, obj);
    if (key === CRD_KEY) this.registerCrd(created);
    return this.toExternal(created, t.type, t.version.name);
  }

  // -------------------------------------------------------------------------
  // update / patch

  update(t: Target, body: unknown, call: Call): Obj {
    const current = this.current(t);
    const obj = this.decodeBody(t, body, false);
    const unknown = this.admitFields(t, obj);
    this.strictDecoding(t, unknown, call);
    return this.applyUpdate(t, current, obj, call);
  }

  patch(t: Target, contentType: string, body: unknown, call: Call): Obj {
    const current = this.current(t);
    const external = this.toExternal(current, t.type, t.version.name);
    let patched: unknown;
    switch (contentType) {
      case PATCH_TYPES.merge:
        patched = mergePatch(external, body);
        break;
      case PATCH_TYPES.json:
        try {
          patched = jsonPatch(external, body);
        } catch (err) {
          if (err instanceof PatchError) throw patchRejected(err.message);
          throw err;
        }
        break;
      case PATCH_TYPES.strategic:
        if (!t.type.builtin) throw unsupportedMediaType([PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply]);
        patched = mergePatch(external, body);
        break;
      case PATCH_TYPES.apply:
        throw failure(
          415,
          'UnsupportedMediaType',
          'the test API server does not implement server-side apply (application/apply-patch+yaml); use a merge patch or update',
        );
      default:
        throw unsupportedMediaType([PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply, ...(t.type.builtin ? [PATCH_TYPES.strategic] : [])]);
    }
    const obj = this.decodeBody(t, patched, true);
    const unknown = this.admitFields(t, obj);
    if (unknown.length > 0) {
      const mode = fieldValidationOf(call.query);
      if (mode === 'Strict') {
        const list = unknown.map((p) => `unknown field "${p}"`).join(', ');
        throw invalid({ group: '', name: '' }, '', [
          { type: 'Invalid', field: 'patch', value: JSON.stringify(patched), detail: `strict decoding error: ${list}` },
        ]);
      }
      if (mode === 'Warn') for (const p of unknown) call.warnings.push(`unknown field "${p}"`);
    }
    return this.applyUpdate(t, current, obj, call);
  }

  private applyUpdate(t: Target, current: Obj, next: Obj, call: Call): Obj {
    const dryRun = isDryRun(call.query);
    const name = t.name ?? '';
    const meta = metaOf(next);
    const oldMeta = metaOf(current);
    if ((str(meta.name) ?? '') !== name) {
      throw badRequest(`the name of the object (${str(meta.name) ?? ''}) does not match the name on the URL (${name})`);
    }
    if (t.type.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== t.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = t.namespace ?? '';
    } else {
      delete meta.namespace;
    }
    const rv = str(meta.resourceVersion) ?? '';
    if (rv !== '') {
      if (rv !== oldMeta.resourceVersion) throw conflict(gr(t.type), name, OBJECT_MODIFIED);
    } else if (!t.type.allowUnconditionalUpdate) {
      throw invalid(gk(t.type), name, [
        { type: 'Invalid', field: 'metadata.resourceVersion', value: { __goRaw: '0x0' }, detail: 'must be specified for an update' },
      ]);
    }

    let result: Obj;
    if (t.subresource === 'status') {
      result = structuredClone(current);
      if (next.status === undefined) delete result.status;
      else result.status = next.status;
    } else {
      result = next;
      if (t.version.statusSubresource) {
        if (current.status === undefined) delete result.status;
        else result.status = structuredClone(current.status);
      }
      const uid = str(meta.uid) ?? '';
      if (uid === '') meta.uid = oldMeta.uid;
      else if (uid !== oldMeta.uid) {
        throw invalid(gk(t.type), name, [{ type: 'Invalid', field: 'metadata.uid', value: uid, detail: 'field is immutable' }]);
      }
      meta.creationTimestamp = oldMeta.creationTimestamp;
      if (oldMeta.deletionTimestamp !== undefined) {
        meta.deletionTimestamp = oldMeta.deletionTimestamp;
        meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
      } else {
        delete meta.deletionTimestamp;
        delete meta.deletionGracePeriodSeconds;
      }
      if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation;
      else delete meta.generation;
      delete meta.selfLink;
      t.type.hooks?.prepareUpdate?.(result, current);
      if (oldMeta.deletionTimestamp !== undefined) {
        const before = new Set(finalizersOf(current));
        const added = finalizersOf(result).filter((f) => !before.has(f));
        if (added.length > 0) {
          throw invalid(gk(t.type), name, [
            {
              type: 'Forbidden',
              field: 'metadata.finalizers',
              detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
            },
          ]);
        }
      }
      if (t.type.hasGeneration) {
        const withStatus = !t.version.statusSubresource;
        if (!deepEqual(specPart(this.toStorage(structuredClone(result), t.type), withStatus), specPart(current, withStatus))) {
          meta.generation = (typeof oldMeta.generation === 'number' ? oldMeta.generation : 0) + 1;
        }
      }
    }
    this.toStorage(result, t.type);
    this.validate(t, result, current, call);
    metaOf(result).resourceVersion = oldMeta.resourceVersion;
    if (deepEqual(result, current)) return this.toExternal(current, t.type, t.version.name);
    if (dryRun) return this.toExternal(result, t.type, t.version.name);

    const key = typeKey(t.type);
    const updated = this.store.update(key, result);
    if (key === CRD_KEY) this.registerCrd(updated, current);
    if (metaOf(updated).deletionTimestamp !== undefined && finalizersOf(updated).length === 0) {
      this.removeNow(t.type, updated);
    }
    return this.toExternal(updated, t.type, t.version.name);
  }

  // -------------------------------------------------------------------------
  // delete

  delete(t: Target, body: unknown, call: Call): Obj | Status {
    const dryRun = isDryRun(call.query);
    const current = this.current(t);
    const name = t.name ?? '';
    const opts = isObj(body) ? body : {};
    const pre = isObj(opts.preconditions) ? opts.preconditions : {};
    const meta = metaOf(current);
    if (typeof pre.uid === 'string' && pre.uid !== meta.uid) {
      throw conflict(gr(t.type), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(meta.uid)}`);
    }
    if (typeof pre.resourceVersion === 'string' && pre.resourceVersion !== meta.resourceVersion) {
      throw conflict(
        gr(t.type),
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${String(meta.resourceVersion)}`,
      );
    }
    if (dryRun) return this.toExternal(current, t.type, t.version.name);
    const key = typeKey(t.type);
    if (key === NS_KEY) return this.toExternal(this.deleteNamespace(current), t.type, t.version.name);
    const result = this.deleteObject(t.type, current);
    if (result.deleted && !t.type.returnDeletedObject) {
      return successStatus({ name, group: t.type.group, kind: t.type.plural, uid: String(meta.uid) });
    }
    return this.toExternal(result.object, t.type, t.version.name);
  }

  deleteCollection(t: Target, body: unknown, call: Call): Obj {
    const { items } = this.list(t, call);
    const dryRun = isDryRun(call.query);
    const out: Obj[] = [];
    for (const item of items) {
      const current = this.store.get(typeKey(t.type), str(metaOf(item).namespace) ?? '', str(metaOf(item).name) ?? '');
      if (!current) continue;
      out.push(this.toExternal(dryRun ? current : this.deleteObject(t.type, current).object, t.type, t.version.name));
    }
    void body;
    return {
      apiVersion: groupVersion(t.type.group, t.version.name),
      kind: t.type.listKind,
      metadata: { resourceVersion: String(this.store.currentRv()) },
      items: out,
    };
  }

  /** Sets deletionTimestamp when finalizers remain, else removes the object. */
  private deleteObject(type: ResourceType, current: Obj): { deleted: boolean; object: Obj } {
    const meta = metaOf(current);
    if (finalizersOf(current).length > 0) {
      if (meta.deletionTimestamp !== undefined) return { deleted: false, object: current };
      const next = structuredClone(current);
      const nm = metaOf(next);
      nm.deletionTimestamp = nowTimestamp();
      nm.deletionGracePeriodSeconds = 0;
      if (typeof nm.generation === 'number') nm.generation += 1;
      return { deleted: false, object: this.store.update(typeKey(type), next) };
    }
    return { deleted: true, object: this.removeNow(type, current) };
  }

  private removeNow(type: ResourceType, obj: Obj): Obj {
    const key = typeKey(type);
    const ns = str(metaOf(obj).namespace) ?? '';
    const removed = this.store.remove(key, ns, str(metaOf(obj).name) ?? '') ?? obj;
    if (key === CRD_KEY) this.unregisterCrd(removed);
    if (type.namespaced) this.finalizeNamespace(ns);
    return removed;
  }

  private deleteNamespace(current: Obj): Obj {
    const name = str(metaOf(current).name) ?? '';
    if (metaOf(current).deletionTimestamp !== undefined) return current;
    const next = structuredClone(current);
    metaOf(next).deletionTimestamp = nowTimestamp();
    metaOf(next).deletionGracePeriodSeconds = 0;
    next.status = { ...(isObj(next.status) ? next.status : {}), phase: 'Terminating' };
    let updated = this.store.update(NS_KEY, next);
    for (const key of this.store.keysWithObjectsIn(name)) {
      const type = this.registry.all().find((t) => typeKey(t) === key);
      for (const obj of this.store.list(key, name)) {
        if (type) this.deleteObject(type, obj);
        else this.store.remove(key, name, str(metaOf(obj).name) ?? '');
      }
    }
    this.finalizeNamespace(name);
    updated = this.store.get(NS_KEY, '', name) ?? updated;
    return updated;
  }

  /** Removes a terminating namespace once nothing is left in it. */
  private finalizeNamespace(ns: string): void {
    const nsObj = this.store.get(NS_KEY, '', ns);
    if (!nsObj || metaOf(nsObj).deletionTimestamp === undefined) return;
    if (this.store.keysWithObjectsIn(ns).length > 0) return;
    this.store.remove(NS_KEY, '', ns);
  }

  // -------------------------------------------------------------------------
  // CRDs

  private registerCrd(crd: Obj, previous?: Obj): void {
    const type = crdToType(crd);
    for (const v of type.versions) this.checkRules(v.schema);
    if (previous) {
      const old = crdToType(previous);
      if (typeKey(old) !== typeKey(type)) this.registry.remove(old.group, old.plural);
    }
    this.registry.add(type);
  }

  /** Compiles every x-kubernetes-validations rule up front, reporting the ones the CEL subset cannot run. */
  private checkRules(schema: unknown): void {
    if (!isObj(schema)) return;
    const rules = schema['x-kubernetes-validations'];
    if (Array.isArray(rules)) {
      for (const r of rules) {
        if (!isObj(r) || typeof r.rule !== 'string') continue;
        try {
          compileCel(r.rule);
        } catch (err) {
          if (err instanceof CelUnsupported) this.opts.onUnsupportedRule?.(r.rule, err.message);
        }
      }
    }
    for (const key of ['properties', 'additionalProperties', 'items']) {
      const sub = schema[key];
      if (key === 'properties' && isObj(sub)) Object.values(sub).forEach((s) => this.checkRules(s));
      else this.checkRules(sub);
    }
    for (const key of ['allOf', 'anyOf', 'oneOf']) {
      const subs = schema[key];
      if (Array.isArray(subs)) subs.forEach((s) => this.checkRules(s));
    }
  }

  private unregisterCrd(crd: Obj): void {
    const type = crdToType(crd);
    const key = typeKey(type);
    for (const obj of this.store.list(key)) this.store.remove(key, str(metaOf(obj).namespace) ?? '', str(metaOf(obj).name) ?? '');
    this.registry.remove(type.group, type.plural);
  }

  /** Creates an object bypassing HTTP (used to load CRDs, seed namespaces and test state). */
  createInternal(type: ResourceType, obj: Obj): Obj {
    const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
    const versionName = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    const version =
      type.versions.find((v) => v.name === versionName) ?? type.versions.find((v) => v.name === type.storageVersion) ?? type.versions[0];
    if (!version) throw new Error(`${type.plural} has no served version`);
    const ns = str(metaOf(obj).namespace);
    return this.create(
      { type, version, ...(ns !== undefined ? { namespace: ns } : {}) },
      { ...obj, apiVersion: groupVersion(type.group, version.name), kind: type.kind },
      { query: new URLSearchParams({ fieldValidation: 'Strict' }), warnings: [] },
    );
  }
}

function goType(detail: string): string {
  const m = /must be of type ([a-z,]+)/.exec(detail);
  switch (m?.[1]) {
    case 'integer':
      return 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'object':
      return 'map[string]string';
    case 'array':
      return '[]string';
    default:
      return m?.[1] ?? 'string';
  }
}
