/**
 * Resource types the test server serves: a registry keyed by group/plural,
 * with the handful of built-in kinds the operator and kubectl need
 * (namespaces, configmaps, secrets, events, leases, CRDs) and whatever the
 * loaded CRDs add.
 */
import { humanAge } from './duration.ts';
import type { FieldError } from './errors.ts';
import type { NameRule, Obj } from './meta.ts';
import { metaOf, str } from './meta.ts';
import type { JSONSchemaProps } from './schema.ts';
import { deepEqual, isObj } from './schema.ts';

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  /** CRD columns: evaluated with JSONPath. */
  jsonPath?: string;
  /** Built-in columns: computed. */
  cell?: (obj: Obj) => unknown;
}

export interface VersionDef {
  name: string;
  /** undefined: anything goes (no pruning, no validation). */
  schema?: JSONSchemaProps;
  printerColumns: PrinterColumn[];
  statusSubresource: boolean;
  /** Extra field-selector labels (CRD selectableFields, built-in field labels). */
  selectableFields: string[];
}

export interface TypeHooks {
  /** After defaulting, before validation; may add system-managed fields. */
  prepareCreate?(obj: Obj): void;
  prepareUpdate?(obj: Obj, old: Obj): void;
  validate?(obj: Obj, old: Obj | undefined): FieldError[];
  /** 400 "cannot be handled as a Kind" decode errors. */
  decodeError?(obj: Obj): string | undefined;
}

export interface ResourceType {
  group: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  /** Typed built-in kind (typed lists omit apiVersion/kind on items, decode errors are 400). */
  builtin: boolean;
  /** Served versions, storage version first is not implied: see storageVersion. */
  versions: VersionDef[];
  storageVersion: string;
  verbs: string[];
  hasGeneration: boolean;
  allowUnconditionalUpdate: boolean;
  returnDeletedObject: boolean;
  nameRule: NameRule;
  hooks?: TypeHooks;
  /** Name of the CRD that defines it. */
  crdName?: string;
}

export const ALL_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

export const typeKey = (t: { group: string; plural: string }): string => `${t.group}/${t.plural}`;

export const groupVersion = (group: string, version: string): string => (group === '' ? version : `${group}/${version}`);

/** Kubernetes version priority: GA > beta > alpha, higher numbers first, then lexical. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0, v];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [1, stage, Number(m[1]), m[3] === undefined ? '' : m[3].padStart(10, '0')];
  };
  const [ka, sa, na, ra] = parse(a);
  const [kb, sb, nb, rb] = parse(b);
  if (ka !== kb) return kb - ka;
  if (ka === 0) return a < b ? -1 : a > b ? 1 : 0;
  if (sa !== sb) return sb - sa;
  if (na !== nb) return nb - na;
  return ra > rb ? -1 : ra < rb ? 1 : 0;
}

export class Registry {
  private readonly types = new Map<string, ResourceType>();
  private readonly listeners = new Set<() => void>();

  add(t: ResourceType): void {
    this.types.set(typeKey(t), t);
    this.changed();
  }

  remove(group: string, plural: string): void {
    this.types.delete(typeKey({ group, plural }));
    this.changed();
  }

  onChange(fn: () => void): void {
    this.listeners.add(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  get(group: string, plural: string): ResourceType | undefined {
    return this.types.get(typeKey({ group, plural }));
  }

  /** The type and version definition served at /apis/<group>/<version>/<plural>. */
  find(group: string, version: string, plural: string): { type: ResourceType; version: VersionDef } | undefined {
    const t = this.get(group, plural);
    const v = t?.versions.find((x) => x.name === version);
    return t && v ? { type: t, version: v } : undefined;
  }

  /** Resolves "widgets", "widgets.example.com", a kind or a short name. */
  resolve(name: string): ResourceType | undefined {
    const lower = name.toLowerCase();
    for (const t of this.types.values()) {
      const full = t.group === '' ? t.plural : `${t.plural}.${t.group}`;
      if (lower === full || lower === t.plural || lower === t.singular || lower === t.kind.toLowerCase()) return t;
      if (t.shortNames.includes(lower)) return t;
    }
    return undefined;
  }

  /** Groups with their served versions, preferred (highest priority) first. */
  groups(): Map<string, string[]> {
    const out = new Map<string, Set<string>>();
    for (const t of this.types.values()) {
      const set = out.get(t.group) ?? new Set<string>();
      for (const v of t.versions) set.add(v.name);
      out.set(t.group, set);
    }
    return new Map([...out].map(([g, vs]) => [g, [...vs].sort(compareKubeVersions)]));
  }

  typesIn(group: string, version: string): Array<{ type: ResourceType; version: VersionDef }> {
    const out: Array<{ type: ResourceType; version: VersionDef }> = [];
    for (const t of this.types.values()) {
      if (t.group !== group) continue;
      const v = t.versions.find((x) => x.name === version);
      if (v) out.push({ type: t, version: v });
    }
    return out.sort((a, b) => (a.type.plural < b.type.plural ? -1 : 1));
  }
}

// ---------------------------------------------------------------------------
// Built-in kinds

const stringMap: JSONSchemaProps = { type: 'object', additionalProperties: { type: 'string' } };
const preserve: JSONSchemaProps = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o) => humanAge(metaOf(o).creationTimestamp),
};

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

function validateKeys(obj: Obj, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of fields) {
    const m = obj[f];
    if (!isObj(m)) continue;
    for (const k of Object.keys(m)) {
      if (!CONFIG_KEY.test(k) || k.length > 253) errs.push({ type: 'Invalid', field: `${f}[${k}]`, value: k, detail: CONFIG_KEY_MSG });
    }
  }
  return errs;
}

/**
 * What the API server checks when an `events.k8s.io/v1` Event is created
 * (`ValidateEventCreate`, pkg/apis/core/validation/events.go), with its messages.
 */
function validateEventV1(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const text = (field: string, max: number) => {
    const v = obj[field];
    if (typeof v !== 'string' || v === '') errs.push({ type: 'Required', field });
    else if (v.length > max) errs.push({ type: 'TooLong', field, value: v, detail: `may not be more than ${max} bytes` });
  };
  if (obj.eventTime === undefined || obj.eventTime === null) errs.push({ type: 'Required', field: 'eventTime' });
  if (obj.type !== 'Normal' && obj.type !== 'Warning') errs.push({ type: 'NotSupported', field: 'type', value: obj.type, detail: 'supported values: "Normal", "Warning"' });
  text('reportingController', 316);
  text('reportingInstance', 128);
  text('action', 128);
  text('reason', 128);
  if (typeof obj.note === 'string' && Buffer.byteLength(obj.note) > 1024) errs.push({ type: 'TooLong', field: 'note', value: obj.note, detail: 'may not be more than 1024 bytes' });
  const regarding = isObj(obj.regarding) ? obj.regarding : undefined;
  const namespace = str(metaOf(obj).namespace);
  if (regarding && str(regarding.namespace) !== undefined && str(regarding.namespace) !== namespace) {
    errs.push({ type: 'Invalid', field: 'regarding.namespace', value: regarding.namespace, detail: 'does not match event.namespace' });
  }
  for (const field of ['deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp']) {
    if (obj[field] !== undefined && obj[field] !== null) errs.push({ type: 'Invalid', field, detail: 'needs to be unset' });
  }
  return errs;
}

function immutableErrors(obj: Obj, old: Obj | undefined, fields: string[]): FieldError[] {
  if (!old || old.immutable !== true) return [];
  const errs: FieldError[] = [];
  for (const f of fields) {
    if (!deepEqual(obj[f] ?? {}, old[f] ?? {})) {
      errs.push({ type: 'Forbidden', field: f, detail: 'field is immutable when `immutable` is set' });
    }
  }
  if (obj.immutable !== true) errs.push({ type: 'Forbidden', field: 'immutable', detail: 'field is immutable when `immutable` is set' });
  return errs;
}

function countKeys(...maps: unknown[]): number {
  return maps.reduce<number>((n, m) => n + (isObj(m) ? Object.keys(m).length : 0), 0);
}

function builtin(
  partial: Pick<ResourceType, 'group' | 'plural' | 'singular' | 'kind' | 'namespaced'> & {
    version?: string;
    shortNames?: string[];
    schema?: JSONSchemaProps;
    columns?: PrinterColumn[];
    status?: boolean;
    hooks?: TypeHooks;
    verbs?: string[];
    nameRule?: NameRule;
    hasGeneration?: boolean;
    allowUnconditionalUpdate?: boolean;
    returnDeletedObject?: boolean;
    selectableFields?: string[];
  },
): ResourceType {
  const version = partial.version ?? 'v1';
  return {
    group: partial.group,
    plural: partial.plural,
    singular: partial.singular,
    kind: partial.kind,
    listKind: `${partial.kind}List`,
    shortNames: partial.shortNames ?? [],
    categories: [],
    namespaced: partial.namespaced,
    builtin: true,
    versions: [
      {
        name: version,
        ...(partial.schema ? { schema: partial.schema } : {}),
        printerColumns: partial.columns ?? [ageColumn],
        statusSubresource: partial.status ?? false,
        selectableFields: partial.selectableFields ?? [],
      },
    ],
    storageVersion: version,
    verbs: partial.verbs ?? ALL_VERBS,
    hasGeneration: partial.hasGeneration ?? false,
    allowUnconditionalUpdate: partial.allowUnconditionalUpdate ?? true,
    returnDeletedObject: partial.returnDeletedObject ?? false,
    nameRule: partial.nameRule ?? 'subdomain',
    ...(partial.hooks ? { hooks: partial.hooks } : {}),
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function builtinTypes(): ResourceType[] {
  return [
    builtin({
      group: '',
      plural: 'namespaces',
      singular: 'namespace',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      nameRule: 'label',
      status: true,
      returnDeletedObject: true,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      schema: {
        type: 'object',
        properties: {
          spec: { type: 'object', properties: { finalizers: { type: 'array', items: { type: 'string' } } } },
          status: {
            type: 'object',
            properties: { phase: { type: 'string' }, conditions: { type: 'array', items: preserve } },
          },
        },
      },
      columns: [
        { name: 'Status', type: 'string', description: 'The status of the namespace', cell: (o) => (isObj(o.status) ? o.status.phase : undefined) },
        ageColumn,
      ],
      selectableFields: ['status.phase'],
      hooks: {
        prepareCreate(obj) {
          const meta = metaOf(obj);
          const labels = isObj(meta.labels) ? meta.labels : {};
          labels['kubernetes.io/metadata.name'] = str(meta.name) ?? '';
          meta.labels = labels;
          obj.spec = { finalizers: ['kubernetes'] };
          obj.status = { phase: 'Active' };
        },
        prepareUpdate(obj, old) {
          const meta = metaOf(obj);
          const labels = isObj(meta.labels) ? meta.labels : {};
          labels['kubernetes.io/metadata.name'] = str(meta.name) ?? '';
          meta.labels = labels;
          obj.spec = structuredClone(old.spec);
        },
      },
    }),
    builtin({
      group: '',
      plural: 'configmaps',
      singular: 'configmap',
      kind: 'ConfigMap',
      namespaced: true,
      shortNames: ['cm'],
      schema: {
        type: 'object',
        properties: { data: stringMap, binaryData: stringMap, immutable: { type: 'boolean' } },
      },
      columns: [{ name: 'Data', type: 'integer', description: 'Number of data entries', cell: (o) => countKeys(o.data, o.binaryData) }, ageColumn],
      hooks: {
        validate: (obj, old) => [...validateKeys(obj, ['data', 'binaryData']), ...immutableErrors(obj, old, ['data', 'binaryData'])],
      },
    }),
    builtin({
      group: '',
      plural: 'secrets',
      singular: 'secret',
      kind: 'Secret',
      namespaced: true,
      schema: {
        type: 'object',
        properties: { data: stringMap, stringData: stringMap, type: { type: 'string' }, immutable: { type: 'boolean' } },
      },
      columns: [
        { name: 'Type', type: 'string', description: 'Used to facilitate programmatic handling of secret data.', cell: (o) => o.type },
        { name: 'Data', type: 'integer', description: 'Number of data entries', cell: (o) => countKeys(o.data) },
        ageColumn,
      ],
      selectableFields: ['type'],
      hooks: {
        decodeError(obj) {
          if (!isObj(obj.data)) return undefined;
          for (const v of Object.values(obj.data)) {
            if (typeof v === 'string' && (!BASE64.test(v) || v.length % 4 !== 0)) return 'illegal base64 data at input byte 0';
          }
          return undefined;
        },
        prepareCreate: mergeStringData,
        prepareUpdate: (obj) => mergeStringData(obj),
        validate(obj, old) {
          const errs = [...validateKeys(obj, ['data']), ...immutableErrors(obj, old, ['data'])];
          if (old && old.type !== obj.type) errs.push({ type: 'Invalid', field: 'type', value: obj.type, detail: 'field is immutable' });
          return errs;
        },
      },
    }),
    builtin({
      group: '',
      plural: 'events',
      singular: 'event',
      kind: 'Event',
      namespaced: true,
      shortNames: ['ev'],
      schema: preserve,
      columns: [
        { name: 'Last Seen', type: 'string', description: 'Time since the last occurrence', cell: (o) => o.lastTimestamp ?? o.eventTime },
        { name: 'Type', type: 'string', description: 'Type of this event', cell: (o) => o.type },
        { name: 'Reason', type: 'string', description: 'Why the action was taken', cell: (o) => o.reason },
        {
          name: 'Object',
          type: 'string',
          description: 'The object this event is about',
          cell: (o) =>
            isObj(o.involvedObject) ? `${(str(o.involvedObject.kind) ?? '').toLowerCase()}/${str(o.involvedObject.name) ?? ''}` : undefined,
        },
        { name: 'Message', type: 'string', description: 'A human-readable description', cell: (o) => o.message },
      ],
      selectableFields: ['involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.uid', 'reason', 'type', 'source'],
    }),
    builtin({
      group: 'events.k8s.io',
      plural: 'events',
      singular: 'event',
      kind: 'Event',
      namespaced: true,
      shortNames: ['ev'],
      schema: preserve,
      hooks: { validate: (obj, old) => (old ? [] : validateEventV1(obj)) },
    }),
    builtin({
      group: 'coordination.k8s.io',
      plural: 'leases',
      singular: 'lease',
      kind: 'Lease',
      namespaced: true,
      allowUnconditionalUpdate: false,
      schema: {
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            properties: {
              holderIdentity: { type: 'string' },
              leaseDurationSeconds: { type: 'integer' },
              acquireTime: { type: 'string' },
              renewTime: { type: 'string' },
              leaseTransitions: { type: 'integer' },
              strategy: { type: 'string' },
              preferredHolder: { type: 'string' },
            },
          },
        },
      },
      columns: [
        { name: 'Holder', type: 'string', description: 'The holder of the lease', cell: (o) => (isObj(o.spec) ? o.spec.holderIdentity : undefined) },
        ageColumn,
      ],
    }),
    builtin({
      group: 'apiextensions.k8s.io',
      plural: 'customresourcedefinitions',
      singular: 'customresourcedefinition',
      kind: 'CustomResourceDefinition',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      status: true,
      hasGeneration: true,
      allowUnconditionalUpdate: false,
      schema: preserve,
      columns: [
        {
          name: 'Created At',
          type: 'date',
          description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
          cell: (o) => metaOf(o).creationTimestamp,
        },
      ],
    }),
  ];
}

function mergeStringData(obj: Obj): void {
  if (obj.type === undefined || obj.type === '') obj.type = 'Opaque';
  if (!isObj(obj.stringData)) {
    delete obj.stringData;
    return;
  }
  const data = isObj(obj.data) ? obj.data : {};
  for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  obj.data = data;
  delete obj.stringData;
}
