import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CampaignStatus,
  crdFiles,
  customResourceDefinition,
  DurationPattern,
  formatDuration,
  kindDefinitions,
  type JSONSchemaProps,
  type KindDefinition,
  openAPIV3Schema,
  ResourceStatus,
  structuralProblems,
} from './crd-schema.ts';
import { Duration } from './duration.ts';
import { ChannelResource } from './channel-resource.ts';
import { QueueResource } from './queue-resource.ts';
import { parseDuration } from './duration.ts';

const crdsDir = fileURLToPath(new URL('../../crds/', import.meta.url));
const crds = kindDefinitions.map((k) => customResourceDefinition(k));
const schemaOf = (kind: string) => {
  const crd = crds.find((c) => c.spec.names.kind === kind);
  if (!crd) throw new Error(`no CRD for ${kind}`);
  return crd.spec.versions[0]?.schema.openAPIV3Schema as JSONSchemaProps;
};

// The API server's validation is OpenAPI v3 / JSON Schema; ajv stands in for it here
// (x-kubernetes-* keywords and formats are the API server's own business).
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });

/** Every schema node with its path, depth first. */
function* nodes(schema: JSONSchemaProps, path = ''): Generator<[string, JSONSchemaProps]> {
  yield [path, schema];
  for (const [k, v] of Object.entries(schema.properties ?? {})) yield* nodes(v, `${path}.${k}`);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
  if (schema.additionalProperties) yield* nodes(schema.additionalProperties, `${path}{}`);
}

describe('crds/', () => {
  it('holds exactly what scripts/generate-crds.ts generates (run it after changing src/config)', async () => {
    for (const { file, text } of crdFiles()) {
      const current = await readFile(`${crdsDir}${file}`, 'utf8').catch(() => '(missing)');
      expect(current, `crds/${file} is out of date: run npx tsx scripts/generate-crds.ts`).toBe(text);
    }
    expect(crdFiles().map((f) => f.file)).toEqual(['channels.parley.dev.yaml', 'queues.parley.dev.yaml', 'campaigns.parley.dev.yaml']);
  });
});

describe.each(kindDefinitions.map((k) => [k.kind, k] as const))('the %s CRD', (kind, k) => {
  const crd = customResourceDefinition(k);
  const root = schemaOf(kind);

  it('is a namespaced parley.dev/v1alpha1 kind with a status subresource, short names and the parley category', () => {
    expect(crd.metadata.name).toBe(`${k.plural}.parley.dev`);
    expect(crd.spec).toMatchObject({ group: 'parley.dev', scope: 'Namespaced', names: { kind, listKind: `${kind}List`, categories: ['parley'] } });
    expect(crd.spec.versions).toHaveLength(1);
    expect(crd.spec.versions[0]).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
    expect(crd.spec.names.shortNames.length).toBeGreaterThan(0);
  });

  it('has a structural schema: every node typed, no additionalProperties beside properties, no unions or refs', () => {
    expect(structuralProblems(root)).toEqual([]);
    for (const [path, node] of nodes(root)) {
      expect(node.type, path).toBeDefined();
      for (const key of ['anyOf', 'oneOf', 'allOf', 'not', '$ref', '$defs', '$schema']) expect(node, `${path} ${key}`).not.toHaveProperty(key);
      expect(typeof (node as Record<string, unknown>).additionalProperties, path).not.toBe('boolean');
    }
  });

  it('has defaults that validate against their own field', () => {
    const withDefaults = [...nodes(root)].filter(([, n]) => n.default !== undefined);
    expect(withDefaults.length).toBeGreaterThan(0);
    for (const [path, node] of withDefaults) {
      const validate = ajv.compile(node);
      expect(validate(node.default), `${path}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('describes every field (kubectl explain shows it)', () => {
    for (const [path, node] of nodes(root)) {
      if (path === '' || path.endsWith('[]') || path.endsWith('{}') || path === '.metadata') continue;
      expect(node.description, path).toBeTruthy();
    }
  });

  it('requires spec and limits metadata.name to a DNS label (names become NATS subject tokens)', () => {
    expect(root.required).toEqual(['spec']);
    const validate = ajv.compile(root);
    const spec = kind === 'Channel' ? { type: 'web', queue: 'support' } : kind === 'Queue' ? {} : { channel: 'sms', contacts: { listId: 'l' }, message: { template: 't' } };
    expect(validate({ apiVersion: 'parley.dev/v1alpha1', kind, metadata: { name: 'ok-name' }, spec })).toBe(true);
    expect(validate({ apiVersion: 'parley.dev/v1alpha1', kind, metadata: { name: 'dotted.name' }, spec })).toBe(false);
    expect(validate({ apiVersion: 'parley.dev/v1alpha1', kind, metadata: { name: 'ok' } })).toBe(false);
  });

  it('has printer columns on fields that exist, ending with READY (the Ready reason) and AGE', () => {
    const columns = crd.spec.versions[0]?.additionalPrinterColumns ?? [];
    expect(columns.slice(-2).map((c) => c.name)).toEqual(['READY', 'AGE']);
    expect(columns.at(-2)?.jsonPath).toBe('.status.conditions[?(@.type=="Ready")].reason');
    const paths = new Set([...nodes(root)].map(([p]) => p));
    for (const c of columns) {
      if (c.jsonPath === '.metadata.creationTimestamp') continue;
      const path = c.jsonPath.replace(/\[\?\(@\.type=="Ready"\)\]/, '[]');
      expect(paths, `${c.name}: ${c.jsonPath}`).toContain(path);
      const node = [...nodes(root)].find(([p]) => p === path)?.[1];
      expect(node?.type === 'array' || node?.type === 'object', `${c.name} should be a scalar column`).toBe(false);
      expect(node?.type === 'string' ? 'string' : node?.type, c.name).toBe(c.type === 'date' ? 'string' : c.type);
    }
  });

  it('keys conditions by type (a list-map) with metav1.Condition required fields', () => {
    const conditions = root.properties?.status?.properties?.conditions;
    expect(conditions?.['x-kubernetes-list-type']).toBe('map');
    expect(conditions?.['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect(conditions?.items?.required).toEqual(['type', 'status', 'lastTransitionTime', 'reason', 'message']);
  });

  it('gives every duration the duration pattern and a default Parley resolves to the same value', () => {
    const durations = [...nodes(root)].filter(([, n]) => n.pattern === DurationPattern);
    expect(durations.length).toBeGreaterThan(0);
    for (const [path, node] of durations) {
      expect(node.description, path).toMatch(/A duration such as .*(from \S+ to \S+|at least \S+)\.$/);
      if (node.default !== undefined) expect(parseDuration(node.default as string), path).toBeTypeOf('number');
    }
  });
});

describe('CRD names', () => {
  it('are distinct and clash with no built-in short name', () => {
    // kubectl api-resources of a plain cluster (core, apps, batch, networking, policy, ...).
    const builtIn = ['cm', 'cs', 'ds', 'deploy', 'ep', 'ev', 'hpa', 'ing', 'limits', 'netpol', 'no', 'ns', 'pdb', 'po', 'psp', 'pv', 'pvc', 'quota', 'rc', 'rs', 'sa', 'sc', 'sts', 'svc', 'crd', 'crds', 'csr', 'pc', 'ingclass', 'ch'];
    const short = crds.flatMap((c) => c.spec.names.shortNames);
    expect(new Set(short).size).toBe(short.length);
    for (const s of short) expect(builtIn).not.toContain(s);
    expect(Object.fromEntries(crds.map((c) => [c.spec.names.kind, c.spec.names.shortNames]))).toEqual({ Channel: ['chan'], Queue: ['pq'], Campaign: ['camp'] });
  });
});

describe('durations', () => {
  it('the CRD pattern accepts exactly what parseDuration parses', () => {
    const pattern = new RegExp(DurationPattern);
    for (const text of ['30s', '72h', '1h30m', '250ms', '1.5h', '7d', '0s', '10m5s100ms', '', '30', 's', '1 h', '1h 30m', '-1s', '1w', '1.s', '.5s', '1hh', '5ms5']) {
      expect(pattern.test(text), text).toBe(parseDuration(text) !== undefined);
    }
  });

  it('formats defaults and bounds as people write them', () => {
    expect([0, 100, 5_000, 60_000, 900_000, 3_600_000, 72 * 3_600_000, 30 * 86_400_000].map(formatDuration)).toEqual([
      '0s',
      '100ms',
      '5s',
      '60s',
      '15m',
      '1h',
      '72h',
      '30d',
    ]);
  });
});

describe('duration bounds read the same everywhere', () => {
  // Issue #10: the Ready=False message said "1000 ms – 3600000 ms" where kubectl explain says "1s to 1h".
  const cases = [
    { kind: 'Queue', schema: QueueResource, path: ['alertingTimeout'], value: '2h' },
    { kind: 'Queue', schema: QueueResource, path: ['aging', 'every'], value: '0s' },
    { kind: 'Channel', schema: ChannelResource, path: ['inboundFlow', 'bot', 'timeout'], value: '50ms' },
  ] as const;

  it.each(cases)('$kind spec.$path: the out-of-range error states the bounds of the CRD description', ({ kind, schema, path, value }) => {
    let node = schemaOf(kind).properties?.spec as JSONSchemaProps;
    for (const key of path) node = node.properties?.[key] as JSONSchemaProps;
    const bounds = /(from \S+ to \S+?)\.$/.exec(node.description ?? '')?.[1];
    expect(bounds, node.description).toBeDefined();

    let spec: Record<string, unknown> = { [path[path.length - 1] as string]: value };
    for (const key of [...path].reverse().slice(1)) spec = { [key]: key === 'bot' ? { subject: 'bots.faq', ...spec } : spec };
    if (kind === 'Channel') spec = { type: 'web', queue: 'support', ...spec };
    const result = schema.safeParse({ apiVersion: 'parley.dev/v1alpha1', kind, metadata: { name: 'x' }, spec });
    expect(result.success).toBe(false);
    const message = result.error?.issues.map((i) => i.message).join('; ') ?? '';
    expect(message).toBe(`${value} is out of range: ${bounds as string}`);
  });
});

describe('status', () => {
  it('accepts what the operator writes, in zod and in the CRD', () => {
    const status = {
      observedGeneration: 3,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: '', lastTransitionTime: '2025-06-01T10:00:00Z', observedGeneration: 3 }],
      progress: { total: 1200, processed: 300, sent: 290, failed: 4, skipped: 6 },
    };
    expect(CampaignStatus.parse(status)).toEqual(status);
    const validate = ajv.compile(schemaOf('Campaign').properties?.status ?? {});
    expect(validate(status), ajv.errorsText(validate.errors)).toBe(true);
    expect(validate({ conditions: [{ type: 'Ready', status: 'Maybe', reason: 'Ready', message: '', lastTransitionTime: '2025-06-01T10:00:00Z' }] })).toBe(false);
    expect(validate({ progress: { total: -1, processed: 0, sent: 0, failed: 0, skipped: 0 } })).toBe(false);
  });
});

describe('the generator', () => {
  const base = kindDefinitions[1] as KindDefinition;
  const withSpec = (spec: z.core.$ZodType, descriptions: Record<string, string>, rules: KindDefinition['rules'] = {}): KindDefinition => ({
    ...base,
    spec,
    status: ResourceStatus,
    rules,
    descriptions: { ...Object.fromEntries(Object.entries(base.descriptions).filter(([k]) => k.startsWith('status'))), spec: 'The spec.', ...descriptions },
  });

  it('turns a zod model into a structural schema: durations as patterned strings with string defaults, strict objects open', () => {
    const schema = openAPIV3Schema(
      withSpec(z.strictObject({ wait: Duration(1000, 60_000).default(5000), opts: z.strictObject({ every: Duration(0, 3_600_000) }).default({ every: 90_000 }) }), {
        'spec.wait': 'Wait.',
        'spec.opts': 'Options.',
        'spec.opts.every': 'Every.',
      }),
    );
    expect(schema.properties?.spec).toEqual({
      description: 'The spec.',
      type: 'object',
      properties: {
        wait: { description: 'Wait. A duration such as 30s, 15m, 1h30m or 72h (units ms, s, m, h, d), from 1s to 60s.', type: 'string', pattern: DurationPattern, default: '5s' },
        opts: {
          description: 'Options.',
          type: 'object',
          default: { every: '90s' },
          required: ['every'],
          properties: { every: { description: 'Every. A duration such as 30s, 15m, 1h30m or 72h (units ms, s, m, h, d), from 0s to 1h.', type: 'string', pattern: DurationPattern } },
        },
      },
    });
  });

  it('refuses, naming the field: a union, a missing or stale description, a CEL rule on nothing, a look-ahead', () => {
    expect(() => openAPIV3Schema(withSpec(z.strictObject({ a: z.union([z.string(), z.number()]) }), { 'spec.a': 'A.' }))).toThrow(/spec\.a: anyOf: unions are not structural/);
    expect(() => openAPIV3Schema(withSpec(z.strictObject({ a: z.string() }), {}))).toThrow(/spec\.a: no description/);
    expect(() => openAPIV3Schema(withSpec(z.strictObject({ a: z.string() }), { 'spec.a': 'A.', 'spec.b': 'B.' }))).toThrow(/spec\.b: described in crd-schema\.ts but not in the schema/);
    expect(() => openAPIV3Schema(withSpec(z.strictObject({ a: z.string() }), { 'spec.a': 'A.' }, { 'spec.b': [{ rule: 'true', message: 'm' }] }))).toThrow(/spec\.b: has CEL rules/);
    expect(() => openAPIV3Schema(withSpec(z.strictObject({ a: z.string().regex(/^(?!x)/) }), { 'spec.a': 'A.' }))).toThrow(/look-around is not supported by RE2/);
    expect(() => openAPIV3Schema(withSpec(z.strictObject({ a: z.string().transform((s) => s.length) }), { 'spec.a': 'A.' }))).toThrow(/only durations are supported/);
  });
});
