/**
 * CustomResourceDefinitions: reading them from YAML files, the bits of CRD
 * validation and defaulting the apiserver does, and turning one into a
 * ResourceType the server can serve.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { FieldError } from './errors.ts';
import { compileJsonPath } from './jsonpath.ts';
import type { Obj } from './meta.ts';
import { metaOf, nowTimestamp, str } from './meta.ts';
import type { PrinterColumn, ResourceType, VersionDef } from './resources.ts';
import { ALL_VERBS, compareKubeVersions } from './resources.ts';
import type { JSONSchemaProps } from './schema.ts';
import { isObj } from './schema.ts';

export const CRD_GROUP = 'apiextensions.k8s.io';

/** Reads every CustomResourceDefinition document from the given YAML files. */
export async function readCrdFiles(paths: string[]): Promise<Obj[]> {
  const out: Obj[] = [];
  for (const path of paths) {
    const text = await readFile(path, 'utf8');
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const value: unknown = doc.toJS();
      if (isObj(value) && value.kind === 'CustomResourceDefinition') out.push(value);
    }
  }
  return out;
}

interface Names {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function namesOf(spec: Obj): Names {
  const n = isObj(spec.names) ? spec.names : {};
  const kind = str(n.kind) ?? '';
  return {
    plural: str(n.plural) ?? '',
    singular: str(n.singular) ?? kind.toLowerCase(),
    kind,
    listKind: str(n.listKind) ?? `${kind}List`,
    shortNames: strings(n.shortNames),
    categories: strings(n.categories),
  };
}

/** v1 defaulting: names.singular, names.listKind, conversion.strategy. */
export function defaultCrd(crd: Obj): void {
  const spec = isObj(crd.spec) ? crd.spec : {};
  crd.spec = spec;
  const names = isObj(spec.names) ? spec.names : {};
  spec.names = names;
  const kind = str(names.kind) ?? '';
  if (names.singular === undefined) names.singular = kind.toLowerCase();
  if (names.listKind === undefined) names.listKind = `${kind}List`;
  if (!isObj(spec.conversion)) spec.conversion = { strategy: 'None' };
}

/** The parts of CRD validation that catch real mistakes in hand-written CRDs. */
export function validateCrd(crd: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isObj(crd.spec) ? crd.spec : {};
  const group = str(spec.group) ?? '';
  const names = namesOf(spec);
  const name = str(metaOf(crd).name) ?? '';
  if (group === '') errs.push({ type: 'Required', field: 'spec.group', detail: '' });
  else if (!group.includes('.')) errs.push({ type: 'Invalid', field: 'spec.group', value: group, detail: 'should be a domain with at least one dot' });
  if (names.plural === '') errs.push({ type: 'Required', field: 'spec.names.plural', detail: '' });
  if (names.kind === '') errs.push({ type: 'Required', field: 'spec.names.kind', detail: '' });
  if (name !== `${names.plural}.${group}`) {
    errs.push({ type: 'Invalid', field: 'metadata.name', value: name, detail: 'must be spec.names.plural+"."+spec.group' });
  }
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    errs.push({ type: 'NotSupported', field: 'spec.scope', value: spec.scope ?? '', detail: 'supported values: "Cluster", "Namespaced"' });
  }
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObj) : [];
  if (versions.length === 0) errs.push({ type: 'Invalid', field: 'spec.versions', value: [], detail: 'must have exactly one version marked as storage version' });
  else if (versions.filter((v) => v.storage === true).length !== 1) {
    errs.push({ type: 'Invalid', field: 'spec.versions', value: versions.map((v) => v.name), detail: 'must have exactly one version marked as storage version' });
  }
  versions.forEach((v, i) => {
    const schema = isObj(v.schema) ? v.schema.openAPIV3Schema : undefined;
    if (!isObj(schema)) errs.push({ type: 'Required', field: `spec.versions[${i}].schema.openAPIV3Schema`, detail: 'schemas are required' });
    const cols = Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns.filter(isObj) : [];
    cols.forEach((c, j) => {
      try {
        compileJsonPath(str(c.jsonPath) ?? '');
      } catch (err) {
        errs.push({
          type: 'Invalid',
          field: `spec.versions[${i}].additionalPrinterColumns[${j}].jsonPath`,
          value: c.jsonPath,
          detail: `must be a simple json path: ${(err as Error).message}`,
        });
      }
    });
  });
  return errs;
}

/** What the apiextensions controllers write once the names are accepted. */
export function crdStatus(crd: Obj, previous?: unknown): Obj {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const names = namesOf(spec);
  const now = nowTimestamp();
  const storage = (Array.isArray(spec.versions) ? spec.versions.filter(isObj) : []).find((v) => v.storage === true);
  const stored = new Set(isObj(previous) ? strings(previous.storedVersions) : []);
  if (storage && typeof storage.name === 'string') stored.add(storage.name);
  return {
    conditions: [
      { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
      { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
    ],
    acceptedNames: {
      plural: names.plural,
      singular: names.singular,
      kind: names.kind,
      listKind: names.listKind,
      ...(names.shortNames.length ? { shortNames: names.shortNames } : {}),
      ...(names.categories.length ? { categories: names.categories } : {}),
    },
    storedVersions: [...stored],
  };
}

const DEFAULT_COLUMNS: PrinterColumn[] = [
  {
    name: 'Age',
    type: 'date',
    description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
    jsonPath: '.metadata.creationTimestamp',
  },
];

/** The ResourceType a (valid) CRD defines; only served versions are kept. */
export function crdToType(crd: Obj): ResourceType {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const names = namesOf(spec);
  const versions = (Array.isArray(spec.versions) ? spec.versions.filter(isObj) : []).map((v) => ({ raw: v, name: str(v.name) ?? '' }));
  const served: VersionDef[] = versions
    .filter((v) => v.raw.served !== false)
    .map(({ raw, name }) => {
      const schema = isObj(raw.schema) && isObj(raw.schema.openAPIV3Schema) ? (raw.schema.openAPIV3Schema as JSONSchemaProps) : undefined;
      const cols = (Array.isArray(raw.additionalPrinterColumns) ? raw.additionalPrinterColumns.filter(isObj) : []).map(
        (c): PrinterColumn => ({
          name: str(c.name) ?? '',
          type: str(c.type) ?? 'string',
          ...(str(c.format) ? { format: str(c.format) } : {}),
          description: str(c.description) ?? `Custom resource definition column (in JSONPath format): ${str(c.jsonPath) ?? ''}`,
          priority: typeof c.priority === 'number' ? c.priority : 0,
          jsonPath: str(c.jsonPath) ?? '',
        }),
      );
      const subresources = isObj(raw.subresources) ? raw.subresources : {};
      const selectable = (Array.isArray(raw.selectableFields) ? raw.selectableFields.filter(isObj) : [])
        .map((f) => (str(f.jsonPath) ?? '').replace(/^\./, ''))
        .filter((f) => f !== '');
      return {
        name,
        ...(schema ? { schema } : {}),
        printerColumns: cols.length > 0 ? cols : DEFAULT_COLUMNS,
        statusSubresource: isObj(subresources.status),
        selectableFields: selectable,
      };
    })
    .sort((a, b) => compareKubeVersions(a.name, b.name));
  const storage = versions.find((v) => v.raw.storage === true)?.name ?? served[0]?.name ?? '';
  return {
    group: str(spec.group) ?? '',
    plural: names.plural,
    singular: names.singular,
    kind: names.kind,
    listKind: names.listKind,
    shortNames: names.shortNames,
    categories: names.categories,
    namespaced: spec.scope !== 'Cluster',
    builtin: false,
    versions: served,
    storageVersion: storage,
    verbs: ALL_VERBS,
    hasGeneration: true,
    allowUnconditionalUpdate: false,
    returnDeletedObject: false,
    nameRule: 'subdomain',
    crdName: str(metaOf(crd).name) ?? '',
  };
}
