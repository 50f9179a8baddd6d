import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { z } from 'zod';
import {
  AgentCommand,
  AgentId,
  Attachment,
  ChannelTypes,
  DeadLetterSources,
  DeliveryReceipt,
  ErrorCodes,
  InboundMessage,
  MAX_CLOCK_SKEW_MS,
  MediaTypes,
  OutboundMessage,
  Presences,
  RESERVED_KEYS,
  ResourceName,
  RichContent,
  TRANSFER_NOTE_MAX,
  TenantName,
  Timestamp,
  decode,
  encode,
  headers,
  inboundMsgId,
  parseAgentCommandSubject,
  parseInboundSubject,
  receiptMsgId,
  streams,
  subjects,
  type AgentEvent,
} from './index.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const envelopesDir = `${repo}examples/envelopes/`;
const contractDoc = readFileSync(`${repo}docs/contract.md`, 'utf8');

// ---------------------------------------------------------------------------------------
// AgentEvent has TypeScript types only (agent-event.ts). This schema mirrors them so that
// the examples can be checked; the annotation makes tsc fail when the types gain a field
// this schema does not produce, and strict objects reject fields the types do not have.
// ---------------------------------------------------------------------------------------
const eventBase = { version: z.literal(1), tenant: TenantName, agentId: AgentId, at: Timestamp };
const catalogCode = z.string().refine((c) => Object.hasOwn(ErrorCodes, c), 'not a code from the error catalog');
const TranscriptMessage = z.strictObject({
  id: z.uuid(),
  conversationId: z.uuid(),
  direction: z.enum(['inbound', 'outbound']),
  channel: ResourceName,
  agentId: AgentId.optional(),
  text: z.string().optional(),
  attachments: z.array(Attachment).optional(),
  content: z.array(RichContent).optional(),
  sentAt: Timestamp,
});
const AgentEventSchema: z.ZodType<AgentEvent> = z.discriminatedUnion('type', [
  z.strictObject({
    ...eventBase,
    type: z.literal('command.result'),
    commandId: z.uuid(),
    ok: z.boolean(),
    error: z.strictObject({ code: catalogCode, message: z.string().min(1) }).optional(),
  }),
  z.strictObject({
    ...eventBase,
    type: z.literal('agent.state'),
    presence: z.enum(Presences),
    capacity: z.partialRecord(
      z.enum(MediaTypes),
      z.strictObject({ max: z.number().int().min(0), used: z.number().int().min(0) }),
    ),
  }),
  z.strictObject({
    ...eventBase,
    type: z.literal('offer.created'),
    offerId: z.uuid(),
    conversationId: z.uuid(),
    channel: ResourceName,
    channelType: z.enum(ChannelTypes),
    mediaType: z.enum(MediaTypes),
    customerId: z.uuid(),
    customerName: z.string().optional(),
    expiresAt: Timestamp,
    transferredBy: z.strictObject({ agentId: AgentId, note: z.string().min(1).max(TRANSFER_NOTE_MAX).optional() }).optional(),
  }),
  z.strictObject({
    ...eventBase,
    type: z.literal('offer.revoked'),
    offerId: z.uuid(),
    conversationId: z.uuid(),
    reason: z.enum(['timeout', 'rejected', 'rescinded', 'offline']),
  }),
  z.strictObject({ ...eventBase, type: z.literal('conversation.assigned'), conversationId: z.uuid(), offerId: z.uuid() }),
  z.strictObject({
    ...eventBase,
    type: z.literal('conversation.message'),
    conversationId: z.uuid(),
    message: TranscriptMessage,
  }),
  z.strictObject({
    ...eventBase,
    type: z.literal('conversation.ended'),
    conversationId: z.uuid(),
    reason: z.enum(['closed-by-agent', 'window-expired']),
  }),
  z.strictObject({ ...eventBase, type: z.literal('conversation.typing'), conversationId: z.uuid(), typing: z.boolean() }),
]);
const agentEventTypes = [
  'command.result',
  'agent.state',
  'offer.created',
  'offer.revoked',
  'conversation.assigned',
  'conversation.message',
  'conversation.ended',
  'conversation.typing',
] as const satisfies readonly AgentEvent['type'][];
// Fails to compile when agent-event.ts gains an event type this test does not know.
const _everyEventType: [Exclude<AgentEvent['type'], (typeof agentEventTypes)[number]>] extends [never] ? true : never = true;

/** The schemas a `<!-- schema: X -->` marker in docs/contract.md may name. */
const schemas: Record<string, z.ZodType> = {
  InboundMessage,
  OutboundMessage,
  DeliveryReceipt,
  AgentCommand,
  AgentEvent: AgentEventSchema,
  RichContent,
  Attachment,
};
const envelopeSchemas = ['InboundMessage', 'OutboundMessage', 'DeliveryReceipt', 'AgentCommand', 'AgentEvent'];

/** The schema of an example file, from its name (`inbound-text.json` → InboundMessage). */
function schemaNameOf(file: string): string {
  const prefix = /^([a-z]+)[-.]/.exec(file)?.[1];
  const byPrefix: Record<string, string> = {
    inbound: 'InboundMessage',
    outbound: 'OutboundMessage',
    receipt: 'DeliveryReceipt',
    command: 'AgentCommand',
    event: 'AgentEvent',
  };
  const name = prefix === undefined ? undefined : byPrefix[prefix];
  if (!name) throw new Error(`${file}: no schema for this file name (expected inbound-, outbound-, receipt-, command- or event-)`);
  return name;
}

/** `command-<suffix>.json` examples name the command type they show. */
const commandFiles: Record<string, AgentCommand['type']> = {
  'command-configure.json': 'agent.configure',
  'command-presence.json': 'presence.set',
  'command-accept.json': 'offer.accept',
  'command-reject.json': 'offer.reject',
  'command-send.json': 'message.send',
  'command-close.json': 'conversation.close',
};

function issuesOf(schema: z.ZodType, value: unknown): string {
  const r = schema.safeParse(value);
  return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

const exampleFiles = readdirSync(envelopesDir).filter((f) => f.endsWith('.json')).sort();
const readExample = (file: string): unknown => JSON.parse(readFileSync(`${envelopesDir}${file}`, 'utf8'));

describe('examples/envelopes', () => {
  it('has examples for every envelope kind', () => {
    const kinds = new Set(exampleFiles.map(schemaNameOf));
    expect([...kinds].sort()).toEqual([...envelopeSchemas].sort());
  });

  it.each(exampleFiles)('%s validates against the schema its name selects', (file) => {
    const schema = schemas[schemaNameOf(file)] as z.ZodType;
    expect(issuesOf(schema, readExample(file))).toBe('');
  });

  it.each(Object.entries(commandFiles))('%s is a %s command', (file, type) => {
    expect((readExample(file) as { type: string }).type).toBe(type);
  });

  it('an offer says who transferred it, optionally: an older offer and a gateway that ignores the field stay valid', () => {
    const offer = readExample('event-offer-created.json') as Record<string, unknown>;
    const transferred = readExample('event-offer-created-transfer.json') as Record<string, unknown>;
    expect(offer).not.toHaveProperty('transferredBy');
    expect(issuesOf(AgentEventSchema, offer)).toBe('');
    expect(Object.keys(transferred.transferredBy as object).sort()).toEqual(['agentId', 'note']);
    expect(issuesOf(AgentEventSchema, { ...transferred, transferredBy: { agentId: 'alice' } })).toBe('');
    // Without it, the rest of a transferred offer is an ordinary offer.
    const { transferredBy: _, ...plain } = transferred;
    expect(issuesOf(AgentEventSchema, plain)).toBe('');
    expect(issuesOf(AgentEventSchema, { ...transferred, transferredBy: { note: 'no agent' } })).toMatch(/^transferredBy\.agentId/);
    // The transfer command carries the note; it stays optional there too.
    const transfer = { version: 1, tenant: 'demo', agentId: 'alice', commandId: '0b8f9d52-36a5-4d0e-8f1f-2a8c1e2e4f10', issuedAt: '2026-01-12T09:30:00.000Z', type: 'conversation.transfer', conversationId: '0c4a082f-909b-4253-85f4-128f4df12763', to: { agentId: 'bruno' } };
    expect(issuesOf(AgentCommand, transfer)).toBe('');
    expect(issuesOf(AgentCommand, { ...transfer, note: 'Wants a refund' })).toBe('');
    expect(issuesOf(AgentCommand, { ...transfer, note: 'x'.repeat(TRANSFER_NOTE_MAX + 1) })).not.toBe('');
  });

  it('shows every command type and every event type', () => {
    const types = (prefix: string) =>
      exampleFiles.filter((f) => f.startsWith(prefix)).map((f) => (readExample(f) as { type: string }).type);
    expect(new Set(types('command-'))).toEqual(new Set(Object.values(commandFiles)));
    expect(exampleFiles.filter((f) => f.startsWith('command-')).sort()).toEqual(Object.keys(commandFiles).sort());
    expect(new Set(types('event-'))).toEqual(new Set(agentEventTypes));
  });
});

// ---------------------------------------------------------------------------------------
// docs/contract.md: every ```json block parses; a block right after
// `<!-- schema: X -->` validates against X, and with `example: <path>` equals that file.
// ---------------------------------------------------------------------------------------
interface DocBlock {
  line: number;
  lang: string;
  body: string;
  marker?: { kind: 'schema'; schema: string; example?: string } | { kind: 'typecheck' };
}

function docBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  let pending: DocBlock['marker'];
  let pendingLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const schemaMarker = /^<!-- schema: (\w+)(?: example: (\S+))? -->$/.exec(line);
    const typecheckMarker = /^<!-- typecheck -->$/.test(line);
    if (schemaMarker) {
      pending = { kind: 'schema', schema: schemaMarker[1] as string, ...(schemaMarker[2] ? { example: schemaMarker[2] } : {}) };
      pendingLine = i + 1;
      continue;
    }
    if (typecheckMarker) {
      pending = { kind: 'typecheck' };
      pendingLine = i + 1;
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i] as string); i++) body.push(lines[i] as string);
      if (i >= lines.length) throw new Error(`docs/contract.md:${start + 1}: unterminated code block`);
      blocks.push({ line: start + 1, lang: fence[1] as string, body: body.join('\n'), ...(pending ? { marker: pending } : {}) });
      pending = undefined;
      continue;
    }
    if (pending && line.trim() !== '') {
      throw new Error(`docs/contract.md:${pendingLine}: a marker must be followed by a code block`);
    }
  }
  if (pending) throw new Error(`docs/contract.md:${pendingLine}: a marker must be followed by a code block`);
  return blocks;
}

/**
 * Type-checks a snippet as an ES module at the repository root (so that it resolves the
 * installed packages), with the repository's compiler options.
 */
function typeErrors(code: string): string[] {
  const config = ts.readConfigFile(`${repo}tsconfig.json`, (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, repo);
  const fileName = `${repo}contract-doc-example.mts`;
  const real = ts.createCompilerHost(options);
  const host: ts.CompilerHost = {
    ...real,
    getSourceFile: (name, languageVersion, ...rest) =>
      name === fileName ? ts.createSourceFile(name, code, languageVersion) : real.getSourceFile(name, languageVersion, ...rest),
    fileExists: (name) => name === fileName || real.fileExists(name),
    readFile: (name) => (name === fileName ? code : real.readFile(name)),
  };
  const program = ts.createProgram([fileName], { ...options, noEmit: true }, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file ? `${d.file.fileName}:${d.start ?? 0}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

const blocks = docBlocks(contractDoc);
const jsonBlocks = blocks.filter((b) => b.lang === 'json');
const schemaBlocks = jsonBlocks.flatMap((b) => (b.marker?.kind === 'schema' ? [{ ...b, marker: b.marker }] : []));

describe('docs/contract.md', () => {
  it('has its examples marked', () => {
    expect(schemaBlocks.length).toBeGreaterThanOrEqual(exampleFiles.length);
    for (const b of blocks) {
      if (b.marker?.kind === 'schema') expect(b.lang, `line ${b.line}`).toBe('json');
    }
  });

  it.each(jsonBlocks.map((b) => [b.line, b] as const))('json block at line %i parses', (_line, b) => {
    expect((): unknown => JSON.parse(b.body)).not.toThrow();
  });

  it.each(schemaBlocks.map((b) => [b.line, b.marker.schema, b] as const))(
    'json block at line %i validates against %s',
    (_line, schemaName, b) => {
      const schema = schemas[schemaName];
      expect(schema, `unknown schema ${schemaName}`).toBeDefined();
      expect(issuesOf(schema as z.ZodType, JSON.parse(b.body))).toBe('');
    },
  );

  it('shows exactly the files of examples/envelopes, unchanged, for every envelope', () => {
    const shown: string[] = [];
    for (const b of schemaBlocks) {
      if (envelopeSchemas.includes(b.marker.schema)) {
        expect(b.marker.example, `line ${b.line}: an envelope example names its file`).toBeDefined();
      }
      if (!b.marker.example) continue;
      const file = b.marker.example.replace(/^examples\/envelopes\//, '');
      expect(schemaNameOf(file), `line ${b.line}`).toBe(b.marker.schema);
      expect(JSON.parse(b.body), `line ${b.line}`).toEqual(readExample(file));
      shown.push(file);
    }
    expect(shown.sort()).toEqual(exampleFiles);
  });

  it('has TypeScript examples that compile against the installed NATS client', () => {
    const typed = blocks.filter((b) => b.marker?.kind === 'typecheck');
    expect(typed.length).toBeGreaterThan(0);
    for (const b of typed) {
      expect(b.lang, `line ${b.line}`).toBe('ts');
      expect(typeErrors(b.body), `line ${b.line}`).toEqual([]);
    }
  });

  it('shows one example of every rich content type', () => {
    const types = schemaBlocks
      .filter((b) => b.marker.schema === 'RichContent')
      .map((b) => (JSON.parse(b.body) as { type: string }).type);
    expect(new Set(types)).toEqual(new Set(RichContent.options.map((o) => o.shape.type.value)));
  });

  it('links only to headings that exist', () => {
    // GitHub's anchors: lower case, punctuation dropped, spaces to "-".
    const slug = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-');
    const outsideCode = contractDoc.replace(/^```[\s\S]*?^```/gm, '');
    const anchors = new Set([...outsideCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] as string)));
    const links = [...outsideCode.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] as string);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !anchors.has(l))).toEqual([]);
  });

  it('lists every code of the error catalog with its status and retryability', () => {
    for (const [code, e] of Object.entries(ErrorCodes)) {
      expect(contractDoc.includes(`| \`${code}\` | ${e.status} | ${e.retryable ? 'yes' : 'no'} | ${e.message} |`), `| \`${code}\` | ${e.status} | ${e.retryable ? 'yes' : 'no'} | ${e.message} |`).toBe(true);
    }
  });

  it('states the string rules, the clock skew and the malformed-JSON details of the code', () => {
    const prose = contractDoc.replace(/\s+/g, ' ');
    const max = 65_536;
    expect(decode(InboundMessage, encode({ ...inboundText, text: '😀'.repeat(max / 2) })).ok).toBe(true);
    expect(prose).toContain(`A \`text\` of ${(max / 2).toLocaleString('en')} emoji (${max.toLocaleString('en')} units) is accepted, one more unit is not.`);
    expect(prose).toContain(`| \`text\` | string | see rule | the message text | ≤ ${max.toLocaleString('en')} |`);
    for (const key of RESERVED_KEYS) expect(prose).toContain(`\`${key}\``);
    expect(prose).toMatch(new RegExp(`The keys ${RESERVED_KEYS.map((k) => `\`${k}\``).join(',? (and )?')} are refused`));
    expect(MAX_CLOCK_SKEW_MS).toBe(5 * 60_000);
    expect(prose).toContain('more than **5 minutes** before or after the time JetStream received the message');
    expect(prose).toContain('More than 5 minutes from when JetStream received the message');
    const operations = readFileSync(`${repo}docs/operations.md`, 'utf8');
    for (const detail of ['invalid UTF-8', 'invalid JSON at byte <n>', 'invalid JSON']) {
      expect(prose).toContain(`\`${detail}\``);
      expect(operations).toContain(`\`${detail}\``);
    }
    expect(decode(InboundMessage, new Uint8Array([0xff]))).toMatchObject({ ok: false, detail: 'invalid UTF-8' });
  });

  it('names every subject, stream and header of the code', () => {
    const docSubjects = [
      'parley.v1.inbound.<tenant>.<channel>',
      'parley.v1.receipts.<tenant>.<channel>',
      'parley.v1.outbound.<tenant>.<channel>',
      'parley.v1.agent.cmd.<tenant>.<agentId>',
      'parley.v1.agent.events.<tenant>.<agentId>',
      'parley.v1.deadletter.<source>',
    ];
    expect(docSubjects).toEqual([
      subjects.inbound('<tenant>', '<channel>'),
      subjects.receipts('<tenant>', '<channel>'),
      subjects.outbound('<tenant>', '<channel>'),
      subjects.agentCommands('<tenant>', '<agentId>'),
      subjects.agentEvents('<tenant>', '<agentId>'),
      `parley.v1.deadletter.<source>`,
    ]);
    for (const s of docSubjects) expect(contractDoc.includes(`| \`${s}\` |`), `| \`${s}\` |`).toBe(true);
    for (const s of Object.values(streams)) {
      expect(contractDoc.includes(`| \`${s.name}\` | ${s.subjects.map((x) => `\`${x}\``).join(', ')} |`), `| \`${s.name}\` | ${s.subjects.map((x) => `\`${x}\``).join(', ')} |`).toBe(true);
    }
    for (const h of Object.values(headers)) expect(contractDoc.includes(`\`${h}\``), `\`${h}\``).toBe(true);
    for (const source of DeadLetterSources) expect(contractDoc.includes(`| \`${source}\` |`), `| \`${source}\` |`).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// Schemas and decode
// ---------------------------------------------------------------------------------------
const inboundText = readExample('inbound-text.json') as Record<string, unknown>;
const commandSend = readExample('command-send.json') as Record<string, unknown>;

describe('decode', () => {
  it('returns the validated value', () => {
    const r = decode(InboundMessage, encode(inboundText));
    expect(r).toEqual({ ok: true, value: inboundText });
  });

  it.each([['not json'], ['{"version": 1,'], [''], ['{"version": 1} trailing']])(
    'returns malformedJson for %j',
    (text) => {
      const r = decode(InboundMessage, new TextEncoder().encode(text));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.code).toBe('malformedJson');
    },
  );

  it('returns invalidEnvelope with the field path for a missing from.id', () => {
    const { id: _id, ...from } = inboundText.from as Record<string, unknown>;
    const r = decode(InboundMessage, encode({ ...inboundText, from }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('invalidEnvelope');
      expect(r.detail).toMatch(/^from\.id: /);
    }
  });

  it('returns invalidEnvelope for valid JSON that is not an object', () => {
    const r = decode(InboundMessage, encode([inboundText]));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('invalidEnvelope');
  });

  it('reports at most five problems', () => {
    const r = decode(InboundMessage, encode({}));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail.split('; ')).toHaveLength(5);
  });
});

describe('InboundMessage', () => {
  const withoutBody = () => {
    const { text: _text, ...rest } = inboundText;
    return rest;
  };

  it('rejects a message with neither text nor attachments nor content', () => {
    expect(issuesOf(InboundMessage, withoutBody())).toBe('(root): a message needs text, attachments or content');
    expect(issuesOf(InboundMessage, { ...withoutBody(), attachments: [], content: [] })).toBe(
      '(root): a message needs text, attachments or content',
    );
  });

  it('accepts a message with only attachments or only content', () => {
    const attachment = { url: 'https://example.com/a.jpg', contentType: 'image/jpeg' };
    expect(issuesOf(InboundMessage, { ...withoutBody(), attachments: [attachment] })).toBe('');
    expect(issuesOf(InboundMessage, { ...withoutBody(), content: [{ type: 'buttonResponse', text: 'Yes', payload: 'y' }] })).toBe('');
  });

  it.each(['0612345678', '33612345678', '+0612345678', '+33 6 12 34 56 78', '+33-612345678', '+123456', '+1234567890123456'])(
    'rejects the phone %j (not E.164)',
    (phone) => {
      const from = { ...(inboundText.from as object), phone };
      expect(issuesOf(InboundMessage, { ...inboundText, from })).toMatch(/^from\.phone: must be E\.164/);
    },
  );

  it.each(['+33612345678', '+14155550123', '+1234567', '+123456789012345'])('accepts the phone %j', (phone) => {
    expect(issuesOf(InboundMessage, { ...inboundText, from: { ...(inboundText.from as object), phone } })).toBe('');
  });

  it('rejects an unknown idType, a wrong version and a timestamp without a time zone', () => {
    expect(issuesOf(InboundMessage, { ...inboundText, from: { id: 'x', idType: 'psid' } })).toMatch(/^from\.idType: /);
    expect(issuesOf(InboundMessage, { ...inboundText, version: 2 })).toMatch(/^version: /);
    expect(issuesOf(InboundMessage, { ...inboundText, timestamp: '2026-01-12T09:14:05' })).toMatch(/^timestamp: /);
  });

  it('rejects a tenant or channel that is not a subject-safe name', () => {
    expect(issuesOf(InboundMessage, { ...inboundText, tenant: 'demo.eu' })).toMatch(/^tenant: /);
    expect(issuesOf(InboundMessage, { ...inboundText, channel: 'whats*' })).toMatch(/^channel: /);
  });
});

describe('AgentCommand', () => {
  it('rejects message.send with neither text nor attachments nor content', () => {
    const { text: _t, content: _c, ...rest } = commandSend;
    expect(AgentCommand.safeParse(rest).success).toBe(false);
  });

  it('rejects a capacity for an unknown media type or above 25', () => {
    const configure = readExample('command-configure.json') as Record<string, unknown>;
    expect(AgentCommand.safeParse({ ...configure, capacity: { voice: 1 } }).success).toBe(false);
    expect(AgentCommand.safeParse({ ...configure, capacity: { message: 26 } }).success).toBe(false);
  });

  it('rejects a presence that is not offline, available or away', () => {
    const presence = readExample('command-presence.json') as Record<string, unknown>;
    expect(AgentCommand.safeParse({ ...presence, presence: 'busy' }).success).toBe(false);
    expect(AgentCommand.safeParse({ ...presence, presence: 'away' }).success).toBe(true);
  });

  it('rejects a commandId that is not a UUID', () => {
    expect(AgentCommand.safeParse({ ...commandSend, commandId: 'cmd-1' }).success).toBe(false);
  });
});

describe('RichContent', () => {
  it('defaults card actions to an empty list', () => {
    expect(RichContent.parse({ type: 'card', title: 'Aero 2' })).toEqual({ type: 'card', title: 'Aero 2', actions: [] });
  });

  it('rejects quick replies without options and an unknown type', () => {
    expect(RichContent.safeParse({ type: 'quickReplies', text: 'Pick one', options: [] }).success).toBe(false);
    expect(RichContent.safeParse({ type: 'sticker', text: 'x' }).success).toBe(false);
  });

  it('rejects a time picker in an unknown zone, and defaults the zone to UTC', () => {
    const slots = [{ start: '2026-12-08T08:00:00Z', durationMinutes: 30, payload: 's1' }];
    expect(RichContent.safeParse({ type: 'timePicker', title: 'When?', timeZone: 'Mars/Olympus', slots }).success).toBe(false);
    expect(RichContent.parse({ type: 'timePicker', title: 'When?', slots })).toMatchObject({ timeZone: 'UTC' });
  });

  it('rejects a form whose select has no options, whose text field has some, or whose names repeat', () => {
    const form = (fields: unknown[]) => RichContent.safeParse({ type: 'form', title: 'Return', payload: 'f', fields }).success;
    expect(form([{ name: 'reason', label: 'Reason', kind: 'select', options: ['Too small'] }])).toBe(true);
    expect(form([{ name: 'reason', label: 'Reason', kind: 'select' }])).toBe(false);
    expect(form([{ name: 'order', label: 'Order', kind: 'text', options: ['1'] }])).toBe(false);
    expect(form([{ name: 'order', label: 'Order', kind: 'text' }, { name: 'order', label: 'Again', kind: 'text' }])).toBe(false);
    expect(form([{ name: '1st', label: 'Order', kind: 'text' }])).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------
// Subjects and names
// ---------------------------------------------------------------------------------------

/** NATS subject matching: `*` is one token, `>` one or more trailing tokens. */
function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

describe('subjects', () => {
  it('builds the documented subjects', () => {
    expect(subjects.inbound('demo', 'whatsapp')).toBe('parley.v1.inbound.demo.whatsapp');
    expect(subjects.receipts('demo', 'whatsapp')).toBe('parley.v1.receipts.demo.whatsapp');
    expect(subjects.outbound('demo', 'sms')).toBe('parley.v1.outbound.demo.sms');
    expect(subjects.agentCommands('demo', 'alice')).toBe('parley.v1.agent.cmd.demo.alice');
    expect(subjects.agentEvents('demo', 'alice')).toBe('parley.v1.agent.events.demo.alice');
    expect(subjects.deadLetter('commands')).toBe('parley.v1.deadletter.commands');
  });

  it.each([
    ['inbound', subjects.inbound],
    ['receipts', subjects.receipts],
  ] as const)('parseInboundSubject reads back a %s subject', (kind, build) => {
    expect(parseInboundSubject(build('acme-eu', 'sms-fr'))).toEqual({ kind, tenant: 'acme-eu', channel: 'sms-fr' });
  });

  it('parseAgentCommandSubject reads back an agent command subject', () => {
    expect(parseAgentCommandSubject(subjects.agentCommands('demo', 'jean-luc_2'))).toEqual({
      tenant: 'demo',
      agentId: 'jean-luc_2',
    });
  });

  it.each([
    subjects.outbound('demo', 'sms'),
    subjects.agentCommands('demo', 'alice'),
    'parley.v2.inbound.demo.sms',
    'other.v1.inbound.demo.sms',
    'parley.v1.inbound.demo',
    'parley.v1.inbound.demo.sms.extra',
    'parley.v1.inbound..sms',
  ])('parseInboundSubject rejects %s', (subject) => {
    expect(parseInboundSubject(subject)).toBeUndefined();
  });

  it.each([
    subjects.agentEvents('demo', 'alice'),
    subjects.inbound('demo', 'sms'),
    'parley.v1.agent.cmd.demo',
    'parley.v1.agent.cmd.demo.alice.x',
    'parley.v1.agent.cmd.demo.',
    'other.v1.agent.cmd.demo.alice',
  ])('parseAgentCommandSubject rejects %s', (subject) => {
    expect(parseAgentCommandSubject(subject)).toBeUndefined();
  });

  it('parseAgentCommandSubject rejects a subject of another contract version', () => {
    expect(parseAgentCommandSubject('parley.v2.agent.cmd.demo.alice')).toBeUndefined();
  });

  it('puts every JetStream subject in exactly one stream, and agent events in none', () => {
    const streamsOf = (subject: string) =>
      Object.values(streams)
        .filter((s) => s.subjects.some((p) => subjectMatches(p, subject)))
        .map((s) => s.name);
    expect(streamsOf(subjects.inbound('demo', 'sms'))).toEqual(['PARLEY_INBOUND']);
    expect(streamsOf(subjects.receipts('demo', 'sms'))).toEqual(['PARLEY_INBOUND']);
    expect(streamsOf(subjects.outbound('demo', 'sms'))).toEqual(['PARLEY_OUTBOUND']);
    expect(streamsOf(subjects.agentCommands('demo', 'alice'))).toEqual(['PARLEY_COMMANDS']);
    expect(streamsOf(subjects.agentEvents('demo', 'alice'))).toEqual([]);
    for (const source of DeadLetterSources) {
      expect(streamsOf(subjects.deadLetter(source))).toEqual(['PARLEY_DEADLETTER']);
    }
  });

  it('derives de-duplication ids from the message', () => {
    expect(inboundMsgId('demo', 'whatsapp', 'wamid.X=')).toBe('demo:whatsapp:wamid.X=');
    expect(receiptMsgId('4cae6542-275c-4aa5-ba5f-27c8ae16072d', 'read')).toBe('4cae6542-275c-4aa5-ba5f-27c8ae16072d:read');
    expect(headers.msgId).toBe('Nats-Msg-Id');
  });
});

describe('names', () => {
  const unsafe = ['a.b', 'demo.', '.demo', '*', 'de*mo', '>', 'demo>', 'a b', 'demo\t', ''];

  it.each(unsafe)('TenantName, ResourceName and AgentId reject %j', (name) => {
    expect(TenantName.safeParse(name).success).toBe(false);
    expect(ResourceName.safeParse(name).success).toBe(false);
    expect(AgentId.safeParse(name).success).toBe(false);
  });

  it.each(['Demo', '-demo', 'demo-', 'dé', 'a_b', 'a'.repeat(64)])('TenantName and ResourceName reject %j', (name) => {
    expect(TenantName.safeParse(name).success).toBe(false);
    expect(ResourceName.safeParse(name).success).toBe(false);
  });

  it.each(['demo', 'a', '0', 'acme-eu', 'a'.repeat(63)])('TenantName and ResourceName accept %j', (name) => {
    expect(TenantName.safeParse(name).success).toBe(true);
    expect(ResourceName.safeParse(name).success).toBe(true);
  });

  it.each(['alice', 'A_1024', 'jean-luc', '-x', 'a'.repeat(64)])('AgentId accepts %j', (id) => {
    expect(AgentId.safeParse(id).success).toBe(true);
  });

  it.each(['alice.smith', 'alice@example.com', 'a'.repeat(65)])('AgentId rejects %j', (id) => {
    expect(AgentId.safeParse(id).success).toBe(false);
  });
});

describe('input hardening', () => {
  const command = readExample('command-presence.json') as Record<string, unknown>;

  it('names the bad field of an invalid command (commands are told apart by type)', () => {
    const r = decode(AgentCommand, encode({ ...command, presence: 'busy' }));
    expect(r).toMatchObject({ ok: false, code: 'invalidEnvelope' });
    expect(!r.ok && r.detail).toMatch(/^presence: /);
  });

  it('rejects a message whose only text is blank', () => {
    expect(decode(InboundMessage, encode({ ...inboundText, text: '  ' })).ok).toBe(false);
  });

  it('rejects an outbound message with nothing to say', () => {
    const outbound = readExample('outbound.json') as Record<string, unknown>;
    const { text: _text, content: _content, ...empty } = outbound;
    expect(decode(OutboundMessage, encode(empty)).ok).toBe(false);
  });

  it('accepts only web links in attachments and actions', () => {
    expect(Attachment.safeParse({ url: 'javascript:alert(1)', contentType: 'text/html' }).success).toBe(false);
    expect(Attachment.safeParse({ url: 'https://cdn.example.com/a.png', contentType: 'image/png' }).success).toBe(true);
  });

  it('treats invalid UTF-8 as malformed JSON', () => {
    const r = decode(InboundMessage, new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]));
    expect(r).toMatchObject({ ok: false, code: 'malformedJson' });
  });
});

describe('string rules (§4)', () => {
  const command = readExample('command-configure.json') as Record<string, unknown>;
  const inbound = (extra: Record<string, unknown>) => decode(InboundMessage, encode({ ...inboundText, ...extra }));
  const detailOf = (r: ReturnType<typeof inbound>) => (r.ok ? '' : r.detail);

  it.each([
    ['text', { text: 'a\u0000b' }],
    ['from.id', { from: { id: 'a\u0000', idType: 'opaque' } }],
    ['from.name', { from: { id: 'a', idType: 'opaque', name: '\u0000' } }],
    ['messageId', { messageId: 'm\u0000' }],
    ['attributes.tier', { attributes: { tier: 'gold\u0000' } }],
    ['attributes', { attributes: { 'ti\u0000er': 'gold' } }],
    ['attachments.0.url', { attachments: [{ url: 'https://cdn.example.com/\u0000.png', contentType: 'image/png' }] }],
    ['content.0.payload', { content: [{ type: 'buttonResponse', text: 'Yes', payload: 'p\u0000' }] }],
  ])('refuses NUL in %s, naming the field', (field, extra) => {
    const r = inbound(extra);
    expect(r).toMatchObject({ ok: false, code: 'invalidEnvelope' });
    expect(detailOf(r)).toContain(field);
    expect(detailOf(r)).toContain('NUL');
  });

  it.each([
    ['from.id', { from: { id: 'a\ud800', idType: 'opaque' } }],
    ['messageId', { messageId: 'm\udc00' }],
    ['attributes', { attributes: { ['k\ud800']: 'v' } }],
    ['content.0.payload', { content: [{ type: 'buttonResponse', text: 'Yes', payload: '\udfff' }] }],
  ])('refuses a lone surrogate in the id or data field %s', (field, extra) => {
    const r = inbound(extra);
    expect(r).toMatchObject({ ok: false, code: 'invalidEnvelope' });
    expect(detailOf(r)).toContain(field);
    expect(detailOf(r)).toContain('lone UTF-16 surrogate');
  });

  it('replaces lone surrogates by U+FFFD in text shown to people, and keeps pairs', () => {
    const r = inbound({ text: 'a\ud800b\udc00 😀', from: { id: 'x', idType: 'opaque', name: 'Zo\udbff' }, attributes: { tier: 'g\ud83d' } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.text).toBe('a\ufffdb\ufffd 😀');
    expect(r.value.from.name).toBe('Zo\ufffd');
    expect(r.value.attributes).toEqual({ tier: 'g\ufffd' });
  });

  it('counts lengths in UTF-16 code units, at the limit and one past it', () => {
    const emoji = '😀'; // two code units
    expect(inbound({ text: emoji.repeat(32_768) }).ok).toBe(true);
    expect(detailOf(inbound({ text: emoji.repeat(32_768) + 'a' }))).toBe('text: must be at most 65536 UTF-16 code units');
    expect(detailOf(inbound({ text: emoji.repeat(32_769) }))).toBe('text: must be at most 65536 UTF-16 code units');
    expect(inbound({ from: { id: 'é'.repeat(256), idType: 'opaque' } }).ok).toBe(true);
    expect(detailOf(inbound({ from: { id: emoji.repeat(128) + 'a', idType: 'opaque' } }))).toContain('from.id: must be at most 256');
    expect(inbound({ attributes: { [emoji.repeat(32)]: emoji.repeat(512) } }).ok).toBe(true);
    expect(detailOf(inbound({ attributes: { a: emoji.repeat(512) + 'a' } }))).toContain('attributes.a: must be at most 1024');
    expect(detailOf(inbound({ messageId: '' }))).toContain('messageId: must be at least 1');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the attribute key %s', (key) => {
    const raw = `{"attributes":{"tier":"gold","${key}":{"polluted":true}}}`;
    const r = decode(InboundMessage, new TextEncoder().encode(JSON.stringify(inboundText).replace(/^\{/, raw.slice(0, -1) + ',')));
    expect(r).toMatchObject({ ok: false, code: 'invalidEnvelope' });
    expect(detailOf(r)).toContain(`attributes.${key}: "${key}" is a reserved key`);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses %s as a label or proficiency key of an agent', (key) => {
    for (const field of ['labels', 'proficiency']) {
      const bytes = new TextEncoder().encode(JSON.stringify({ ...command, [field]: { x: 1 } }).replace(`"${field}":{"x":1}`, `"${field}":{"${key}":3}`));
      const r = decode(AgentCommand, bytes);
      expect(r).toMatchObject({ ok: false, code: 'invalidEnvelope' });
      expect(!r.ok && r.detail).toContain(`${field}.${key}`);
    }
  });

  it('applies the same rules to commands and receipts', () => {
    const send = { ...(readExample('command-send.json') as Record<string, unknown>) };
    expect(decode(AgentCommand, encode({ ...send, text: 'hi\u0000' }))).toMatchObject({ ok: false, code: 'invalidEnvelope' });
    const sent = decode(AgentCommand, encode({ ...send, text: 'hi\ud800' }));
    expect(sent.ok && sent.value.type === 'message.send' && sent.value.text).toBe('hi\ufffd');
    expect(decode(AgentCommand, encode({ ...command, name: 'B\u0000' }))).toMatchObject({ ok: false, code: 'invalidEnvelope' });
    const receipt = readExample('receipt.json') as Record<string, unknown>;
    expect(decode(DeliveryReceipt, encode({ ...receipt, platformMessageId: 'w\ud800' }))).toMatchObject({ ok: false, code: 'invalidEnvelope' });
    expect(decode(DeliveryReceipt, encode({ ...receipt, reason: 'x\u0000' }))).toMatchObject({ ok: false, code: 'invalidEnvelope' });
  });
});

describe('malformed payloads', () => {
  it.each([
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])],
    ['invalid JSON at byte 9', new TextEncoder().encode('{"é":1, 2}')],
    ['invalid JSON', new TextEncoder().encode('{"version":1,"tenant":')],
    ['invalid JSON', new Uint8Array()],
  ])('says %s', (detail, bytes) => {
    expect(decode(InboundMessage, bytes)).toEqual({ ok: false, code: 'malformedJson', detail });
  });
});
