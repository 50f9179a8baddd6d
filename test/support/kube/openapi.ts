/**
 * OpenAPI v3, as kubectl reads it: /openapi/v3 lists one document per
 * group/version, each with the resource paths and schemas. kubectl's
 * field-validation check (QueryParamVerifierV3) looks for a PATCH operation
 * tagged with the kind's x-kubernetes-group-version-kind whose parameters
 * include `fieldValidation`; finding it, kubectl leaves validation to the
 * server (`?fieldValidation=Strict`). `kubectl explain` reads the schemas.
 */
import { createHash } from 'node:crypto';
import type { Obj } from './meta.ts';
import type { Registry, ResourceType, VersionDef } from './resources.ts';
import { groupVersion } from './resources.ts';
import type { JSONSchemaProps } from './schema.ts';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string): Obj => ({ $ref: `#/components/schemas/${name}` });

const BUILTIN_PREFIX: Record<string, string> = {
  '': 'io.k8s.api.core',
  'coordination.k8s.io': 'io.k8s.api.coordination',
  'events.k8s.io': 'io.k8s.api.events',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
};

export function schemaName(type: ResourceType, version: string, kind = type.kind): string {
  const prefix = BUILTIN_PREFIX[type.group] ?? type.group.split('.').reverse().join('.');
  return `${prefix}.${version}.${kind}`;
}

function param(name: string, description: string, inWhere = 'query', required = false): Obj {
  return { name, in: inWhere, description, ...(required ? { required } : {}), schema: { type: 'string', uniqueItems: true } };
}

const DRY_RUN = param('dryRun', 'When present, indicates that modifications should not be persisted.');
const FIELD_MANAGER = param('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = param(
  'fieldValidation',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn (default), Strict.',
);
const FORCE = { name: 'force', in: 'query', description: 'Force is going to "force" Apply requests.', schema: { type: 'boolean', uniqueItems: true } };
const WATCH = { name: 'watch', in: 'query', description: 'Watch for changes to the described resources.', schema: { type: 'boolean', uniqueItems: true } };
const LIST_PARAMS = [
  WATCH,
  { name: 'allowWatchBookmarks', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
  param('continue', 'The continue option should be set when retrieving more results from the server.'),
  param('fieldSelector', 'A selector to restrict the list of returned objects by their fields.'),
  param('labelSelector', 'A selector to restrict the list of returned objects by their labels.'),
  { name: 'limit', in: 'query', schema: { type: 'integer', uniqueItems: true } },
  param('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  param('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  { name: 'sendInitialEvents', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
  { name: 'timeoutSeconds', in: 'query', schema: { type: 'integer', uniqueItems: true } },
];

function json(schemaRef: Obj): Obj {
  return { 'application/json': { schema: schemaRef }, 'application/yaml': { schema: schemaRef } };
}

interface Gvk {
  group: string;
  version: string;
  kind: string;
}

function op(
  action: string,
  operationId: string,
  gvk: Gvk,
  response: Obj,
  params: Obj[],
  extra: Obj = {},
): Obj {
  return {
    tags: [`${gvk.group !== '' ? gvk.group : 'core'}_${gvk.version}`],
    operationId,
    parameters: params,
    responses: { '200': { description: 'OK', content: json(response) }, '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
  };
}

function resourcePaths(type: ResourceType, v: VersionDef): Record<string, Obj> {
  const base = type.group === '' ? `/api/${v.name}` : `/apis/${type.group}/${v.name}`;
  const nsPart = type.namespaced ? '/namespaces/{namespace}' : '';
  const gvk = { group: type.group, version: v.name, kind: type.kind };
  const one = ref(schemaName(type, v.name));
  const list = ref(schemaName(type, v.name, type.listKind));
  const id = `${type.kind}${type.namespaced ? 'Namespaced' : ''}`;
  const body = (schema: Obj): Obj => ({ content: { '*/*': { schema } }, required: true });
  const patchBody = {
    content: Object.fromEntries(
      ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', ...(type.builtin ? ['application/strategic-merge-patch+json'] : [])].map(
        (t) => [t, { schema: ref(`${META}.Patch`) }],
      ),
    ),
    required: true,
  };
  const nameParam = { name: 'name', in: 'path', description: `name of the ${type.kind}`, required: true, schema: { type: 'string', uniqueItems: true } };
  const nsParam = { name: 'namespace', in: 'path', description: 'object name and auth scope', required: true, schema: { type: 'string', uniqueItems: true } };
  const common = type.namespaced ? [nsParam] : [];
  const paths: Record<string, Obj> = {};
  paths[`${base}${nsPart}/${type.plural}`] = {
    get: op('list', `list${id}`, gvk, list, LIST_PARAMS),
    post: op('post', `create${id}`, gvk, one, [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], { requestBody: body(one) }),
    delete: op('deletecollection', `deletecollection${id}`, gvk, ref(`${META}.Status`), [DRY_RUN, ...LIST_PARAMS.slice(1)]),
    parameters: common,
  };
  paths[`${base}${nsPart}/${type.plural}/{name}`] = {
    get: op('get', `read${id}`, gvk, one, []),
    put: op('put', `replace${id}`, gvk, one, [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], { requestBody: body(one) }),
    patch: op('patch', `patch${id}`, gvk, one, [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE], { requestBody: patchBody }),
    delete: op('delete', `delete${id}`, gvk, one, [DRY_RUN, param('propagationPolicy', 'Whether and how garbage collection will be performed.')]),
    parameters: [nameParam, ...common],
  };
  if (v.statusSubresource) {
    paths[`${base}${nsPart}/${type.plural}/{name}/status`] = {
      get: op('get', `read${id}Status`, gvk, one, []),
      put: op('put', `replace${id}Status`, gvk, one, [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], { requestBody: body(one) }),
      patch: op('patch', `patch${id}Status`, gvk, one, [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE], { requestBody: patchBody }),
      parameters: [nameParam, ...common],
    };
  }
  if (type.namespaced) {
    paths[`${base}/${type.plural}`] = { get: op('list', `list${type.kind}ForAllNamespaces`, gvk, list, LIST_PARAMS) };
  }
  return paths;
}

function objectSchema(type: ResourceType, v: VersionDef): Obj {
  const base: JSONSchemaProps = v.schema ? structuredClone(v.schema) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const props: Record<string, unknown> = { ...(base.properties ?? {}) };
  props.apiVersion = {
    description: 'APIVersion defines the versioned schema of this representation of an object.',
    type: 'string',
  };
  props.kind = { description: 'Kind is a string value representing the REST resource this object represents.', type: 'string' };
  props.metadata = { description: "Standard object's metadata.", allOf: [ref(`${META}.ObjectMeta`)], default: {} };
  return {
    ...base,
    type: 'object',
    properties: props,
    'x-kubernetes-group-version-kind': [{ group: type.group, kind: type.kind, version: v.name }],
  };
}

function listSchema(type: ResourceType, v: VersionDef): Obj {
  return {
    description: `${type.listKind} is a list of ${type.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      items: { type: 'array', items: ref(schemaName(type, v.name)) },
      kind: { type: 'string' },
      metadata: { allOf: [ref(`${META}.ListMeta`)], default: {} },
    },
    'x-kubernetes-group-version-kind': [{ group: type.group, kind: type.listKind, version: v.name }],
  };
}

const SHARED_SCHEMAS: Record<string, Obj> = {
  [`${META}.ObjectMeta`]: {
    description: 'ObjectMeta is metadata that all persisted resources must have.',
    type: 'object',
    properties: {
      annotations: { type: 'object', additionalProperties: { type: 'string', default: '' } },
      creationTimestamp: { type: 'string', format: 'date-time' },
      deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
      deletionTimestamp: { type: 'string', format: 'date-time' },
      finalizers: { type: 'array', items: { type: 'string', default: '' }, 'x-kubernetes-list-type': 'set' },
      generateName: { type: 'string' },
      generation: { type: 'integer', format: 'int64' },
      labels: { type: 'object', additionalProperties: { type: 'string', default: '' } },
      managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      name: { type: 'string' },
      namespace: { type: 'string' },
      ownerReferences: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      resourceVersion: { type: 'string' },
      selfLink: { type: 'string' },
      uid: { type: 'string' },
    },
  },
  [`${META}.ListMeta`]: {
    type: 'object',
    properties: {
      continue: { type: 'string' },
      remainingItemCount: { type: 'integer', format: 'int64' },
      resourceVersion: { type: 'string' },
    },
  },
  [`${META}.Status`]: {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      code: { type: 'integer', format: 'int32' },
      details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      kind: { type: 'string' },
      message: { type: 'string' },
      metadata: { allOf: [ref(`${META}.ListMeta`)], default: {} },
      reason: { type: 'string' },
      status: { type: 'string' },
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
  },
  [`${META}.Patch`]: { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' },
};

export class OpenApi {
  private docs: Map<string, { body: string; hash: string }> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly serverVersion: string,
  ) {
    registry.onChange(() => {
      this.docs = undefined;
    });
  }

  private build(): Map<string, { body: string; hash: string }> {
    if (this.docs) return this.docs;
    const docs = new Map<string, { body: string; hash: string }>();
    for (const [group, versions] of this.registry.groups()) {
      for (const version of versions) {
        const paths: Record<string, Obj> = {};
        const schemas: Record<string, Obj> = { ...SHARED_SCHEMAS };
        for (const { type, version: v } of this.registry.typesIn(group, version)) {
          Object.assign(paths, resourcePaths(type, v));
          schemas[schemaName(type, version)] = objectSchema(type, v);
          schemas[schemaName(type, version, type.listKind)] = listSchema(type, v);
        }
        const doc = {
          openapi: '3.0.0',
          info: { title: 'Kubernetes', version: this.serverVersion },
          paths,
          components: { schemas },
        };
        const body = JSON.stringify(doc);
        const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
        const key = group === '' ? `api/${version}` : `apis/${groupVersion(group, version)}`;
        docs.set(key, { body, hash });
      }
    }
    this.docs = docs;
    return docs;
  }

  /** The /openapi/v3 discovery document. */
  index(): Obj {
    const paths: Record<string, Obj> = {};
    for (const [key, { hash }] of [...this.build()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    }
    return { paths };
  }

  /** One group/version document ("api/v1", "apis/example.com/v1"), serialized. */
  document(key: string): { body: string; hash: string } | undefined {
    return this.build().get(key);
  }
}
