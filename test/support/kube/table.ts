/**
 * Server-side printing: the meta.k8s.io Table that `kubectl get` asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. CRD columns follow
 * apiextensions' tableconvertor (JSONPath, first result, `date` columns turned
 * into ages); built-in kinds have their own computed columns.
 */
import { humanAge } from './duration.ts';
import { goValue } from './errors.ts';
import { compileJsonPath } from './jsonpath.ts';
import type { Obj } from './meta.ts';
import { metaOf } from './meta.ts';
import type { PrinterColumn, VersionDef } from './resources.ts';

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  includeObject: IncludeObject;
  /** meta.k8s.io version the client asked for (v1 or v1beta1). */
  tableVersion: string;
  resourceVersion: string;
  continueToken?: string;
  noHeaders?: boolean;
}

function cellForJsonValue(type: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'string':
      return typeof value === 'string' ? value : null;
    case 'date':
      return typeof value === 'string' ? humanAge(value) : null;
    default:
      return null;
  }
}

export function cellFor(col: PrinterColumn, obj: Obj): unknown {
  if (col.cell) {
    const v = col.cell(obj);
    if (col.type === 'date') return cellForJsonValue('date', v);
    return v === undefined ? null : v;
  }
  let results: unknown[];
  try {
    results = compileJsonPath(col.jsonPath ?? '').find(obj);
  } catch {
    return null;
  }
  if (results.length === 0) return null;
  const value = results[0];
  if (col.type === 'string') return value === null || value === undefined ? null : goValue(value);
  return cellForJsonValue(col.type, value);
}

export function columnDefinitions(version: VersionDef): Obj[] {
  return [
    { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 },
    ...version.printerColumns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
  ];
}

/** Builds a Table from objects already converted to the requested version. */
export function toTable(objects: Obj[], version: VersionDef, opts: TableOptions): Obj {
  const rows = objects.map((obj) => {
    const meta = metaOf(obj);
    const row: Obj = { cells: [meta.name ?? '', ...version.printerColumns.map((c) => cellFor(c, obj))] };
    if (opts.includeObject === 'Object') row.object = obj;
    else if (opts.includeObject === 'Metadata') {
      row.object = { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${opts.tableVersion}`, metadata: meta };
    }
    return row;
  });
  const metadata: Obj = { resourceVersion: opts.resourceVersion };
  if (opts.continueToken) metadata.continue = opts.continueToken;
  const table: Obj = { kind: 'Table', apiVersion: `meta.k8s.io/${opts.tableVersion}`, metadata };
  if (!opts.noHeaders) table.columnDefinitions = columnDefinitions(version);
  table.rows = rows;
  return table;
}
