import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFolder, Resource } from '../../src/config/index.ts';
import { customResourceDefinition, kindDefinitions, type JSONSchemaProps } from '../../src/config/crd-schema.ts';

/**
 * The CRDs and the zod schema must agree: every example is valid for both, and the
 * mistakes a platform team makes are refused by both — by `kubectl apply` (the CRD's
 * OpenAPI schema, here through ajv) and by Parley (zod, through the folder loader).
 */

const repo = fileURLToPath(new URL('../../', import.meta.url));
const examplesDir = join(repo, 'examples');

// The API server's validation is OpenAPI v3 / JSON Schema; ajv stands in for it.
// x-kubernetes-* keywords (CEL rules, list types) are the API server's own business.
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const crdSchemas = new Map<string, JSONSchemaProps>(
  kindDefinitions.map((k) => [k.kind, customResourceDefinition(k).spec.versions[0]?.schema.openAPIV3Schema as JSONSchemaProps]),
);
const validators = new Map<string, ValidateFunction>([...crdSchemas].map(([kind, schema]) => [kind, ajv.compile(schema)]));

/** The API server's answer for one object: the schema errors, [] when valid. */
function crdErrors(value: { kind: string }): string[] {
  const validate = validators.get(value.kind);
  if (!validate) throw new Error(`no CRD for ${value.kind}`);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/** Parley's answer: zod's issues, [] when valid. */
function zodErrors(value: unknown): string[] {
  const parsed = Resource.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** The CEL rules (x-kubernetes-validations) of the schema node at a spec path like `spec.message`. */
function celRules(kind: string, path: string): string[] {
  let node = crdSchemas.get(kind);
  for (const part of path.split('.')) {
    const key = part.replace(/\[\]$/, '');
    node = node?.properties?.[key];
    if (part.endsWith('[]')) node = node?.items;
  }
  return (node?.['x-kubernetes-validations'] ?? []).map((r) => r.rule);
}

interface Doc {
  where: string;
  value: { apiVersion: string; kind: string; metadata: { name: string } } & Record<string, unknown>;
}

/** Parley documents of a YAML text, checking that kubectl (YAML 1.1) reads each one as Parley (YAML 1.2) does. */
function parleyDocs(text: string, where: string): Doc[] {
  const asKubectl = parseAllDocuments(text, { version: '1.1' }).map((doc) => doc.toJS() as unknown);
  return parseAllDocuments(text).flatMap((doc, i) => {
    expect(doc.errors, `${where}#${i + 1}`).toEqual([]);
    const value = doc.toJS() as Doc['value'] | null;
    if (!value || typeof value.apiVersion !== 'string' || !value.apiVersion.startsWith('parley.dev/')) return [];
    expect(asKubectl[i], `${where}#${i + 1} reads differently in YAML 1.1 (kubectl): quote values like "off" or "10:30"`).toEqual(value);
    return [{ where: `${where}#${i + 1}`, value }];
  });
}

async function exampleDocs(): Promise<Doc[]> {
  const files = (await readdir(examplesDir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  return (await Promise.all(files.map(async (f) => parleyDocs(await readFile(join(examplesDir, f), 'utf8'), `examples/${f}`)))).flat();
}

/** The resource examples of docs/resources.md: its ```yaml blocks that are Parley resources. */
async function docsDocs(): Promise<{ text: string; docs: Doc[] }[]> {
  const md = await readFile(join(repo, 'docs/resources.md'), 'utf8');
  const blocks = [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks.map((text, i) => ({ text, docs: parleyDocs(text, `docs/resources.md yaml block ${i + 1}`) })).filter((b) => b.docs.length > 0);
}

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('examples/', () => {
  it('has at least one example of every kind', async () => {
    const kinds = new Set((await exampleDocs()).map((d) => d.value.kind));
    expect([...kinds].sort()).toEqual(['Campaign', 'Channel', 'Queue']);
  });

  it('is valid for the CRDs (kubectl apply) and for Parley (the folder loader)', async () => {
    const docs = await exampleDocs();
    for (const d of docs) expect(crdErrors(d.value), d.where).toEqual([]);
    const loaded = await loadConfigFolder(examplesDir);
    expect(loaded.map((r) => `${r.kind}/${r.metadata.name}`).sort()).toEqual(docs.map((d) => `${d.value.kind}/${d.value.metadata.name}`).sort());
  });
});

describe('docs/resources.md', () => {
  it('shows a full example of every kind, valid for the CRDs and for Parley together with examples/', async () => {
    const blocks = await docsDocs();
    const docs = blocks.flatMap((b) => b.docs);
    expect(new Set(docs.map((d) => d.value.kind))).toEqual(new Set(['Channel', 'Queue', 'Campaign']));
    for (const d of docs) expect(crdErrors(d.value), d.where).toEqual([]);

    // They extend the demo tenant of examples/: load them together, references and all.
    const dir = await mkdtemp(join(tmpdir(), 'parley-docs-'));
    tempDirs.push(dir);
    for (const f of (await readdir(examplesDir)).filter((f) => /\.ya?ml$/.test(f))) await writeFile(join(dir, f), await readFile(join(examplesDir, f)));
    await writeFile(join(dir, 'zz-docs.yaml'), blocks.map((b) => b.text).join('---\n'));
    const loaded = await loadConfigFolder(dir);
    for (const d of docs) expect(loaded.some((r) => r.kind === d.value.kind && r.metadata.name === d.value.metadata.name), d.where).toBe(true);
  });

  it('shows fields that no example of examples/ leaves at their default in the richer examples', async () => {
    const docs = (await docsDocs()).flatMap((b) => b.docs);
    const queue = docs.find((d) => d.value.kind === 'Queue')?.value.spec as Record<string, unknown>;
    expect(Object.keys(queue).sort()).toEqual(
      ['aging', 'alertingTimeout', 'bullseye', 'lastAgent', 'maxDepth', 'members', 'method', 'minProficiency', 'overflow', 'preferredAgentTimeout', 'serviceLevel', 'skills', 'wrapUp'].sort(),
    );
  });
});

const orderReady = { name: 'order_ready', language: 'en_US', label: 'Order ready', body: 'Hello {{1}}, order {{2}} is ready.' };
const channel = (spec: Record<string, unknown>) => ({ apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name: 'web', namespace: 'demo' }, spec: { type: 'web', queue: 'support', ...spec } });
const queue = (spec: Record<string, unknown>) => ({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'sales', namespace: 'demo' }, spec });
const campaign = (spec: Record<string, unknown>) => ({
  apiVersion: 'parley.dev/v1alpha1',
  kind: 'Campaign',
  metadata: { name: 'promo', namespace: 'demo' },
  spec: { channel: 'sms', contacts: { listId: 'l1' }, message: { template: 'Hi' }, ...spec },
});
const without = <T extends { kind: string; spec: Record<string, unknown> }>(o: T, key: string): T => ({
  ...o,
  spec: Object.fromEntries(Object.entries(o.spec).filter(([k]) => k !== key)),
});

/** A test object: a kind and anything else. */
type Obj = { kind: string } & Record<string, unknown>;

describe('invalid resources', () => {
  it('starts from objects both accept', () => {
    for (const o of [channel({}), queue({}), campaign({})]) {
      expect(crdErrors(o), o.kind).toEqual([]);
      expect(zodErrors(o), o.kind).toEqual([]);
    }
  });

  const bothReject: [string, Obj][] = [
    ['an unknown channel type', channel({ type: 'telegram' })],
    ['an unknown routing method', queue({ method: 'random' })],
    ['an unknown last-agent mode', queue({ lastAgent: { mode: false } })],
    ['an unknown weekday', campaign({ window: { days: ['monday'] } })],
    ['a priority above 100', channel({ inboundFlow: { rules: [{ match: { keywords: ['vip'] }, set: { priority: 101 } }] } })],
    ['a fractional priority', channel({ inboundFlow: { rules: [{ match: { keywords: ['vip'] }, set: { priority: 1.5 } }] } })],
    ['a negative maxDepth', queue({ maxDepth: -1 })],
    ['a proficiency of 6', queue({ minProficiency: { sales: 6 } })],
    ['a service level above 100 %', queue({ serviceLevel: { percentage: 120, within: '60s' } })],
    ['seven bullseye rings', queue({ bullseye: { rings: Array.from({ length: 7 }, () => ({ wait: '10s' })) } })],
    ['no bullseye ring', queue({ bullseye: { rings: [] } })],
    ['pacing of 0', campaign({ pacing: { messagesPerMinute: 0 } })],
    ['a Channel without queue', without(channel({}), 'queue')],
    ['a Channel without type', without(channel({}), 'type')],
    ['a Campaign without contacts', without(campaign({}), 'contacts')],
    ['a rule without set', channel({ inboundFlow: { rules: [{ match: { keywords: ['a'] } }] } })],
    ['a ring without wait', queue({ bullseye: { rings: [{ dropSkills: ['sales'] }] } })],
    ['a Secret reference without key', channel({ credentials: { secretRef: { name: 'wa' } } })],
    ['a resource without spec', { apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'q', namespace: 'demo' } }],
    ['a duration without unit', channel({ threadingWindow: '72' })],
    ['a duration in words', queue({ alertingTimeout: '30 seconds' })],
    ['a duration in ISO 8601', queue({ alertingTimeout: 'PT30S' })],
    ['a number for a duration', queue({ alertingTimeout: 30 })],
    ['a time of day without leading zero', campaign({ window: { start: '9:00' } })],
    ['a skill with capitals', queue({ skills: ['Sales'] })],
    ['a queue name with a dot', channel({ queue: 'support.fr' })],
    ['a keyword with a space', channel({ inboundFlow: { rules: [{ match: { keywords: ['my refund'] }, set: { queue: 'billing' } }] } })],
    ['a resource name with a dot', { ...queue({}), metadata: { name: 'sales.fr', namespace: 'demo' } }],
    ['a WhatsApp template name with capitals', channel({ type: 'whatsapp', whatsapp: { templates: [{ ...orderReady, name: 'Order_Ready' }] } })],
    ['a WhatsApp template without label', channel({ type: 'whatsapp', whatsapp: { templates: [{ ...orderReady, label: undefined }] } })],
  ];
  it.each(bothReject)('refuses %s, in the CRD and in zod', (_, o) => {
    expect(crdErrors(o)).not.toEqual([]);
    expect(zodErrors(o)).not.toEqual([]);
  });

  // zod's `.refine()`s: the OpenAPI schema cannot say them, CEL rules in the CRD do.
  const celRejects: [string, Obj, string, string][] = [
    ['a rule matching nothing', channel({ inboundFlow: { rules: [{ match: {}, set: { queue: 'billing' } }] } }), 'Channel', 'spec.inboundFlow.rules[].match'],
    ['a rule setting nothing', channel({ inboundFlow: { rules: [{ match: { keywords: ['a'] }, set: {} }] } }), 'Channel', 'spec.inboundFlow.rules[].set'],
    ['members with neither agents nor selector', queue({ members: {} }), 'Queue', 'spec.members'],
    ['maxDepth without overflow', queue({ maxDepth: 10 }), 'Queue', 'spec'],
    ['whenExhausted overflow without overflow', queue({ bullseye: { rings: [{ wait: '30s' }], whenExhausted: 'overflow' } }), 'Queue', 'spec'],
    ['a message with template and column', campaign({ message: { template: 'Hi', column: 'text' } }), 'Campaign', 'spec.message'],
    ['a message with neither', campaign({ message: {} }), 'Campaign', 'spec.message'],
    ['a window ending before it starts', campaign({ window: { start: '18:00', end: '09:00' } }), 'Campaign', 'spec.window'],
    ['WhatsApp templates on an SMS channel', channel({ type: 'sms', whatsapp: { templates: [orderReady] } }), 'Channel', 'spec'],
    ['replies with a queue and keyword answers', campaign({ replies: { queue: 'sales', keywords: [{ match: ['price'], answer: 'From $9.' }] } }), 'Campaign', 'spec.replies'],
  ];
  it.each(celRejects)('refuses %s in zod, and the CRD has a CEL rule for it', (_, o, kind, path) => {
    expect(zodErrors(o)).not.toEqual([]);
    expect(crdErrors(o)).toEqual([]);
    expect(celRules(kind, path).length).toBeGreaterThan(0);
  });

  // What neither OpenAPI nor CEL can check: Parley refuses it, the API server accepts it
  // (the operator then reports Ready=False, reason Invalid). docs/resources.md §6 lists these.
  const onlyParley: [string, Obj][] = [
    ['a threading window above 30d', channel({ threadingWindow: '31d' })],
    ['an alerting timeout below 1s', queue({ alertingTimeout: '500ms' })],
    ['a regex that does not compile', channel({ inboundFlow: { rules: [{ match: { regex: '(unclosed' }, set: { priority: 1 } }] } })],
    ['a proficiency for a skill name with capitals', queue({ minProficiency: { Sales: 3 } })],
    ['a WhatsApp template body skipping {{1}}', channel({ type: 'whatsapp', whatsapp: { templates: [{ ...orderReady, body: 'Order {{2}} is ready' }] } })],
    ['a WhatsApp template listed twice', channel({ type: 'whatsapp', whatsapp: { templates: [orderReady, orderReady] } })],
  ];
  it.each(onlyParley)('refuses %s in zod only (documented)', (_, o) => {
    expect(zodErrors(o)).not.toEqual([]);
    expect(crdErrors(o)).toEqual([]);
  });

  it('fails the folder load for a bad example, naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-crd-'));
    tempDirs.push(dir);
    await writeFile(join(dir, 'bad.yaml'), 'apiVersion: parley.dev/v1alpha1\nkind: Queue\nmetadata: { name: q, namespace: demo }\nspec: { alertingTimeout: 30 seconds }\n');
    await expect(loadConfigFolder(dir)).rejects.toThrow(ConfigError);
    await expect(loadConfigFolder(dir)).rejects.toThrow(/alertingTimeout/);
  });
});
