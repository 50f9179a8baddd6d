import { randomUUID } from 'node:crypto';
import { encode, subjects, type DeadLetterSource, type ErrorCode } from '../../src/contract/index.ts';

/** What must become of one published payload. */
export type Outcome =
  | { deadLetter: ErrorCode; detail?: string }
  /** Stored once under this provider message id (inbound), or answered (commands). */
  | { stored: string; text?: string }
  | { answered: string; ok: boolean; code?: ErrorCode };

export interface FuzzCase {
  name: string;
  source: DeadLetterSource;
  subject: string;
  bytes: Uint8Array;
  outcome: Outcome;
}

const bytesOf = (text: string) => new TextEncoder().encode(text);

/** Deterministic pseudo-random bytes (a fixed seed: a failure can be replayed). */
function* randomPayloads(count: number, seed = 0x5eed): Generator<Uint8Array> {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state >>> 16;
  };
  for (let i = 0; i < count; i++) yield Uint8Array.from({ length: 1 + (next() % 200) }, () => next() & 0xff);
}

/** Random bytes are rarely UTF-8 JSON; when they are (a lone digit), they are no envelope. */
function isJson(bytes: Uint8Array): boolean {
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return true;
  } catch {
    return false;
  }
}

/** Every string leaf of a JSON value, as a path and its value. */
function stringLeaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
  return [];
}

function withLeaf<T>(value: T, path: (string | number)[], change: (s: string) => string): T {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  node[last] = change(node[last] as string);
  return copy as T;
}

/** Keys of an object whose leaf is changed, rather than the value: attributes are free keys. */
function withKey<T>(value: T, record: string, change: (s: string) => string): T {
  const copy = structuredClone(value) as Record<string, Record<string, unknown>>;
  const entries = Object.entries(copy[record] ?? {});
  copy[record] = Object.fromEntries(entries.map(([k, v]) => [change(k), v]));
  return copy as T;
}

/** Fields shown to people: a lone surrogate there becomes U+FFFD; anywhere else it is refused. */
const DISPLAY_FIELDS = new Set(['text', 'name', 'filename', 'title', 'description', 'address']);
const isDisplay = (path: (string | number)[]) => DISPLAY_FIELDS.has(String(path.at(-1))) || (path[0] === 'attributes' && path.length === 2);
/** Discriminators and enums: the failure is reported on the union, not always on the leaf. */
const isTag = (path: (string | number)[]) => ['type', 'idType', 'version'].includes(String(path.at(-1)));

/**
 * Inbound messages: malformed, binary and deeply nested payloads; NUL and a lone surrogate
 * in every string field and attribute key; reserved keys; lengths at the limit and one past
 * it; unknown tenants and channels, and subjects that disagree.
 */
export function inboundCases(tenant: string, channel: string): FuzzCase[] {
  const subject = subjects.inbound(tenant, channel);
  const cases: FuzzCase[] = [];
  const base = () => {
    const id = randomUUID();
    return {
      version: 1,
      tenant,
      channel,
      messageId: `fuzz.${id}`,
      timestamp: new Date().toISOString(),
      from: { id: `cust-${id}`, idType: 'opaque', name: 'Camille', phone: '+33612345678', email: 'camille@example.com' },
      text: 'Hello',
      language: 'fr',
      attachments: [{ url: 'https://cdn.example.com/a.png', contentType: 'image/png', filename: 'a.png', size: 10 }],
      content: [
        { type: 'quickReplies', text: 'Pick one', options: [{ text: 'A', payload: 'pick:a' }] },
        { type: 'buttons', text: 'Go', actions: [{ type: 'postback', text: 'P', payload: 'p' }, { type: 'link', text: 'L', url: 'https://example.com/l' }] },
        { type: 'card', title: 'T', description: 'D', imageUrl: 'https://example.com/i.png', actions: [] },
        { type: 'carousel', cards: [{ title: 'C', description: 'c', actions: [] }] },
        { type: 'location', latitude: 48.8, longitude: 2.3, name: 'Paris', address: 'Place' },
        { type: 'buttonResponse', text: 'Yes', payload: 'yes' },
      ],
      attributes: { tier: 'gold' } as Record<string, string>,
    };
  };
  const add = (name: string, envelope: unknown, outcome: Outcome, to = subject) =>
    cases.push({ name, source: 'inbound', subject: to, bytes: typeof envelope === 'string' ? bytesOf(envelope) : encode(envelope), outcome });
  const stored = (name: string, envelope: ReturnType<typeof base>, text?: string) => add(name, envelope, { stored: envelope.messageId, ...(text !== undefined && { text }) });
  const refused = (name: string, envelope: unknown, detail?: string) => add(name, envelope, { deadLetter: 'invalidEnvelope', ...(detail !== undefined && { detail }) });

  // Not JSON at all.
  for (const [name, payload] of [
    ['truncated JSON', '{"version":1,"tenant":'],
    ['empty payload', ''],
    ['plain text', 'hello there'],
    ['trailing comma', '{"version":1,}'],
  ] as const) {
    add(name, payload, { deadLetter: 'malformedJson', ...(name === 'trailing comma' && { detail: 'invalid JSON at byte 13' }) });
  }
  cases.push({ name: 'invalid UTF-8', source: 'inbound', subject, bytes: Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), outcome: { deadLetter: 'malformedJson', detail: 'invalid UTF-8' } });
  let i = 0;
  for (const bytes of randomPayloads(24)) cases.push({ name: `binary #${i++}`, source: 'inbound', subject, bytes, outcome: { deadLetter: isJson(bytes) ? 'invalidEnvelope' : 'malformedJson' } });

  // JSON, but not an envelope.
  for (const [name, payload] of [
    ['JSON null', 'null'],
    ['a JSON array', '[1,2,3]'],
    ['deeply nested arrays', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['deeply nested objects', '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)],
  ] as const) {
    refused(name, payload);
  }
  // Written as text: JSON.stringify itself overflows the stack on such values.
  refused('a deeply nested attribute value', JSON.stringify(base()).replace('"tier":"gold"', `"tier":${'['.repeat(100_000)}${']'.repeat(100_000)}`), 'attributes.tier');
  refused('a deeply nested content item', JSON.stringify(base()).replace('"content":[', `"content":[${'{"type":'.repeat(50_000)}"x"${'}'.repeat(50_000)},`), 'content.0');

  // NUL and a lone surrogate in every string field.
  for (const path of stringLeaves(base())) {
    const field = path.join('.');
    refused(`NUL in ${field}`, withLeaf(base(), path, (s) => `${s}\u0000`), isTag(path) ? undefined : field);
    const surrogate = withLeaf(base(), path, (s) => `${s}\ud800`);
    if (isDisplay(path)) stored(`a lone surrogate in ${field}`, surrogate, path[0] === 'text' ? 'Hello\ufffd' : undefined);
    else refused(`a lone surrogate in ${field}`, surrogate, isTag(path) ? undefined : field);
  }
  refused('NUL in an attribute key', withKey(base(), 'attributes', (k) => `${k}\u0000`), 'attributes.');
  refused('a lone surrogate in an attribute key', withKey(base(), 'attributes', (k) => `${k}\udc00`), 'attributes.');

  // Keys that would reach an object's prototype.
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const envelope = base();
    add(`attribute key ${key}`, JSON.stringify(envelope).replace('"attributes":{', `"attributes":{"${key}":{"isAdmin":"yes"},`), { deadLetter: 'invalidEnvelope', detail: `attributes.${key}` });
  }
  const unknownProto = base();
  add('an unknown __proto__ field at the top (ignored, like any unknown field)', JSON.stringify(unknownProto).replace('{', '{"__proto__":{"isAdmin":true},'), { stored: unknownProto.messageId });

  // Lengths in UTF-16 code units, at the limit and one past it (an emoji counts 2).
  const emoji = '😀';
  const limits: [string, (e: ReturnType<typeof base>, n: number) => void, number][] = [
    ['text', (e, n) => (e.text = emoji.repeat(n / 2)), 65_536],
    ['from.id', (e, n) => (e.from.id = `${e.from.id}${'é'.repeat(n - e.from.id.length)}`), 256],
    ['from.name', (e, n) => (e.from.name = emoji.repeat(n / 2)), 256],
    ['messageId', (e, n) => (e.messageId = `${e.messageId}${'x'.repeat(n - e.messageId.length)}`), 256],
    ['attributes.tier', (e, n) => (e.attributes['tier'] = emoji.repeat(n / 2)), 1024],
  ];
  for (const [field, set, limit] of limits) {
    const atLimit = base();
    set(atLimit, limit);
    stored(`${field} of ${limit} units`, atLimit);
    const past = base();
    set(past, limit);
    withLeafInPlace(past, field, (s) => `${s}a`);
    refused(`${field} of ${limit + 1} units`, past, `${field}: must be at most ${limit} UTF-16 code units`);
  }
  const longKey = base();
  longKey.attributes = { [emoji.repeat(32)]: 'v' };
  stored('an attribute key of 64 units', longKey);
  const tooLongKey = base();
  tooLongKey.attributes = { [`${emoji.repeat(32)}a`]: 'v' };
  refused('an attribute key of 65 units', tooLongKey, 'must be at most 64 UTF-16 code units');

  // Who and where.
  add('an unknown channel', { ...base(), channel: 'telegram' }, { deadLetter: 'unknownChannel' }, subjects.inbound(tenant, 'telegram'));
  add('an unknown tenant', { ...base(), tenant: 'nobody' }, { deadLetter: 'unknownChannel' }, subjects.inbound('nobody', channel));
  add('another tenant than the subject', { ...base(), tenant: 'globex' }, { deadLetter: 'subjectMismatch' });
  add('a subject with a token missing', base(), { deadLetter: 'subjectMismatch' }, `${subjects.all.inbound.slice(0, -1)}${tenant}`);
  return cases;
}

function withLeafInPlace(value: object, dotted: string, change: (s: string) => string): void {
  const path = dotted.split('.');
  let node = value as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path.at(-1) as string;
  node[last] = change(node[last] as string);
}

/** Delivery receipts: malformed, NUL and lone surrogates, unknown messages, wrong subjects. */
export function receiptCases(tenant: string, channel: string): FuzzCase[] {
  const subject = subjects.receipts(tenant, channel);
  const base = () => ({ version: 1, tenant, channel, messageId: randomUUID(), status: 'delivered', timestamp: new Date().toISOString(), platformMessageId: 'wamid.1', reason: 'ok' });
  const add = (name: string, payload: unknown, outcome: Outcome, to = subject) =>
    ({ name, source: 'receipts', subject: to, bytes: typeof payload === 'string' ? bytesOf(payload) : encode(payload), outcome }) satisfies FuzzCase;
  return [
    add('malformed receipt', '{"status":', { deadLetter: 'malformedJson' }),
    ...stringLeaves(base()).map((path) => add(`NUL in receipt ${path.join('.')}`, withLeaf(base(), path, (s) => `${s}\u0000`), { deadLetter: 'invalidEnvelope', ...(!isTag(path) && { detail: path.join('.') }) })),
    add('a lone surrogate in platformMessageId', { ...base(), platformMessageId: 'w\ud800' }, { deadLetter: 'invalidEnvelope', detail: 'platformMessageId' }),
    add('a receipt for no message of ours', { ...base(), reason: 'x\ud800' }, { deadLetter: 'unknownMessage' }),
    add('a receipt of another tenant than its subject', { ...base(), tenant: 'globex' }, { deadLetter: 'subjectMismatch' }),
  ];
}

/**
 * Agent commands: malformed; NUL in every string field of a full profile; reserved keys in
 * labels and proficiency; a name at its limit and past it; a lone surrogate in a name
 * (replaced) and in a label value (refused); an agent nobody configured.
 */
export function commandCases(tenant: string): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const base = () => {
    const agentId = `fuzz-${randomUUID().slice(0, 8)}`;
    return {
      version: 1,
      type: 'agent.configure',
      commandId: randomUUID(),
      tenant,
      agentId,
      issuedAt: new Date().toISOString(),
      name: 'Bruno',
      skills: ['support'],
      capacity: { message: 1 },
      proficiency: { support: 4 },
      languages: ['fr'],
      labels: { team: 'support' },
      interruptibleBy: { email: ['message'] },
    };
  };
  const add = (name: string, command: { agentId: string; commandId: string } & Record<string, unknown>, outcome: Outcome, payload?: string) =>
    cases.push({ name, source: 'commands', subject: subjects.agentCommands(tenant, command.agentId), bytes: payload === undefined ? encode(command) : bytesOf(payload), outcome });

  const malformed = base();
  add('malformed command', malformed, { deadLetter: 'malformedJson' }, '{"type":"agent.configure",');
  for (const path of stringLeaves(base())) {
    if (path[0] === 'agentId') continue; // a token of the subject: covered by the inbound subject cases
    const command = withLeaf(base(), path, (s) => `${s}\u0000`);
    add(`NUL in command ${path.join('.')}`, command, { deadLetter: 'invalidEnvelope', ...(!isTag(path) && { detail: path.join('.') }) });
  }
  for (const record of ['labels', 'proficiency']) {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const command = base();
      add(`${record} key ${key}`, command, { deadLetter: 'invalidEnvelope', detail: `${record}.${key}` }, JSON.stringify(command).replace(`"${record}":{`, `"${record}":{"${key}":3,`));
    }
  }
  const named = base();
  named.name = '😀'.repeat(128);
  add('a name of 256 units', named, { answered: named.commandId, ok: true });
  const longName = base();
  longName.name = `${'😀'.repeat(128)}a`;
  add('a name of 257 units', longName, { deadLetter: 'invalidEnvelope', detail: 'name: must be at most 256 UTF-16 code units' });
  const surrogateName = base();
  surrogateName.name = 'Bruno\udbff';
  add('a lone surrogate in a name', surrogateName, { answered: surrogateName.commandId, ok: true });
  const surrogateLabel = base();
  surrogateLabel.labels = { team: 'a\udbff' };
  add('a lone surrogate in a label value', surrogateLabel, { deadLetter: 'invalidEnvelope', detail: 'labels.team' });
  const nobody = base();
  add('presence of an agent nobody configured', { ...nobody, type: 'presence.set', presence: 'available' }, { answered: nobody.commandId, ok: false, code: 'unknownAgent' });
  const replyNul = base();
  add('NUL in a reply', { ...replyNul, type: 'message.send', conversationId: randomUUID(), text: 'hi\u0000' }, { deadLetter: 'invalidEnvelope', detail: 'text' });
  return cases;
}
