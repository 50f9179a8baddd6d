import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConfigRegistry,
  loadConfigFolder,
  parseDuration,
  runInboundFlow,
  type ChannelResource,
  type InboundRule,
  QueueResource,
  type Resource,
} from './index.ts';

const examples = fileURLToPath(new URL('../../examples', import.meta.url));
const hour = 3_600_000;

const tempDirs: string[] = [];
afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh folder holding these files. */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-config-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/** The ConfigError a folder fails with; fails the test if it loads. */
async function loadError(files: Record<string, string>): Promise<ConfigError> {
  const dir = await folder(files);
  try {
    await loadConfigFolder(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the folder to fail to load');
}

const channelYaml = (spec: string, name = 'web') => `apiVersion: parley.dev/v1alpha1
kind: Channel
metadata:
  name: ${name}
  namespace: demo
spec:
${spec}`;

const queueYaml = (spec: string, name = 'support') => `apiVersion: parley.dev/v1alpha1
kind: Queue
metadata:
  name: ${name}
  namespace: demo
spec:
${spec}`;

const channels = (rs: Resource[]) => rs.filter((r): r is ChannelResource => r.kind === 'Channel');
const queues = (rs: Resource[]) => rs.filter((r): r is QueueResource => r.kind === 'Queue');

describe('loadConfigFolder(examples)', () => {
  it('loads the example channels with their durations in milliseconds and their rules', async () => {
    const rs = await loadConfigFolder(examples);
    const byName = new Map(channels(rs).map((c) => [c.metadata.name, c]));
    expect([...byName.keys()].sort()).toEqual(['sms', 'whatsapp']);

    expect(byName.get('whatsapp')).toEqual({
      apiVersion: 'parley.dev/v1alpha1',
      kind: 'Channel',
      metadata: { name: 'whatsapp', namespace: 'demo' },
      spec: {
        type: 'whatsapp',
        queue: 'support',
        threadingWindow: 72 * hour,
        inboundFlow: {
          rules: [
            { match: { keywords: ['refund', 'remboursement', 'invoice'] }, set: { skills: ['billing'], queue: 'billing' } },
            { match: { regex: '\\b(urgent|asap)\\b' }, set: { priority: 10 } },
          ],
        },
        whatsapp: { templates: [{ name: 'order_ready', language: 'en_US', label: 'Order ready', body: 'Hello {{1}}, your order {{2}} is ready for pickup.' }] },
      },
    });
    // No inboundFlow in the file: the default is an empty rule list.
    expect(byName.get('sms')?.spec).toEqual({ type: 'sms', queue: 'support', threadingWindow: 24 * hour, inboundFlow: { rules: [] } });
  });

  it('loads the example queues with their alerting timeouts in milliseconds', async () => {
    const qs = queues(await loadConfigFolder(examples));
    expect(qs.map((q) => [q.metadata.namespace, q.metadata.name, q.spec.skills, q.spec.alertingTimeout]).sort()).toEqual([
      ['demo', 'billing', ['billing'], 30_000],
      ['demo', 'support', ['support'], 30_000],
    ]);
  });

  it('only names queues that exist', async () => {
    const rs = await loadConfigFolder(examples);
    const known = new Set(queues(rs).map((q) => `${q.metadata.namespace}/${q.metadata.name}`));
    for (const c of channels(rs)) {
      const named = [c.spec.queue, ...c.spec.inboundFlow.rules.flatMap((r) => (r.set.queue ? [r.set.queue] : []))];
      for (const q of named) expect(known, `${c.metadata.name} names queue ${q}`).toContain(`${c.metadata.namespace}/${q}`);
    }
  });

  it('routes the example WhatsApp messages as the comments say', async () => {
    const registry = new ConfigRegistry();
    registry.apply(await loadConfigFolder(examples));
    const whatsapp = registry.channel('demo', 'whatsapp');
    expect(whatsapp).toBeDefined();
    const route = (text: string) => runInboundFlow(whatsapp?.rules ?? [], whatsapp?.queue ?? '', { text });
    expect(route('Bonjour, I need a refund for invoice 4521')).toEqual({ queue: 'billing', skills: ['billing'], language: null, priority: 0, preferredAgents: [] });
    expect(route('Mon remboursement, c’est URGENT')).toEqual({ queue: 'billing', skills: ['billing'], language: null, priority: 10, preferredAgents: [] });
    expect(route('Where is my parcel? asap please')).toEqual({ queue: 'support', skills: [], language: null, priority: 10, preferredAgents: [] });
    expect(route('Where is my parcel?')).toEqual({ queue: 'support', skills: [], language: null, priority: 0, preferredAgents: [] });
    expect(route('This is urgently needed')).toEqual({ queue: 'support', skills: [], language: null, priority: 0, preferredAgents: [] });
  });
});

describe('loadConfigFolder defaults', () => {
  it('resolves every default of a minimal Channel and Queue', async () => {
    const dir = await folder({
      'minimal.yaml': `apiVersion: parley.dev/v1alpha1
kind: Channel
metadata: { name: web }
spec: { type: web, queue: support }
---
apiVersion: parley.dev/v1alpha1
kind: Queue
metadata: { name: support }
spec: {}
`,
    });
    const rs = await loadConfigFolder(dir);
    expect(channels(rs)[0]).toMatchObject({
      metadata: { name: 'web', namespace: 'default' },
      spec: { threadingWindow: 72 * hour, inboundFlow: { rules: [] } },
    });
    expect(queues(rs)[0]).toMatchObject({ metadata: { namespace: 'default' }, spec: { skills: [], alertingTimeout: 30_000 } });
  });
});

describe('loadConfigFolder errors', () => {
  it('names the file and the field of a bad channel type', async () => {
    const err = await loadError({ 'bad-type.yaml': channelYaml('  type: telegram\n  queue: support\n') });
    expect(err.message).toContain('bad-type.yaml');
    expect(err.message).toMatch(/spec\.type: /);
  });

  it('names the file and the field of a bad duration', async () => {
    const err = await loadError({ 'bad-duration.yaml': channelYaml('  type: web\n  queue: support\n  threadingWindow: 3x\n') });
    expect(err.message).toContain('bad-duration.yaml');
    expect(err.message).toMatch(/spec\.threadingWindow: "3x" is not a duration/);
  });

  it('names the file and the field of a duration out of range', async () => {
    const err = await loadError({ 'short.yaml': queueYaml('  alertingTimeout: 500ms\n') });
    expect(err.message).toContain('short.yaml');
    expect(err.message).toMatch(/spec\.alertingTimeout: 500ms is out of range/);
  });

  it('names the file and the field of a bad regular expression', async () => {
    const err = await loadError({
      'bad-regex.yaml': channelYaml(`  type: web
  queue: support
  inboundFlow:
    rules:
      - match: { keywords: [refund] }
        set: { queue: billing }
      - match: { regex: '(unclosed' }
        set: { priority: 5 }
`),
    });
    expect(err.message).toContain('bad-regex.yaml');
    expect(err.message).toMatch(/spec\.inboundFlow\.rules\.1\.match\.regex: not a valid regular expression/);
  });

  it('names the file of a YAML syntax error', async () => {
    const err = await loadError({ 'broken.yaml': 'apiVersion: parley.dev/v1alpha1\nkind: Queue\nmetadata: { name: support\n' });
    // The parser's own message, with the position, not a schema complaint about what it half-read.
    expect(err.message).toMatch(/broken\.yaml#1: .* at line \d+, column \d+/);
    expect(err.message).not.toContain('(Queue)');
  });

  it('rejects a name that cannot be a subject token', async () => {
    const err = await loadError({ 'dotted.yaml': channelYaml('  type: web\n  queue: support\n', 'web.eu') });
    expect(err.message).toContain('dotted.yaml');
    expect(err.message).toMatch(/metadata\.name: /);
  });

  it('rejects rules that match nothing or set nothing', async () => {
    const err = await loadError({
      'empty-rule.yaml': channelYaml(`  type: web
  queue: support
  inboundFlow:
    rules:
      - match: {}
        set: { priority: 1 }
      - match: { keywords: [refund] }
        set: {}
`),
    });
    expect(err.message).toContain('a rule needs keywords, regex, language or attribute');
    expect(err.message).toContain('a rule must set skills, language, priority, queue or preferredAgents');
  });

  it('lists the problems of every file and loads nothing', async () => {
    const err = await loadError({
      'a-good.yaml': queueYaml('  skills: [support]\n'),
      'b-bad.yaml': queueYaml('  alertingTimeout: soon\n'),
      'c-bad.yml': channelYaml('  type: web\n'),
    });
    expect(err.message).not.toContain('a-good.yaml');
    expect(err.message).toContain('b-bad.yaml');
    expect(err.message).toMatch(/c-bad\.yml.*spec\.queue: /);
  });
});

describe('loadConfigFolder skips what is not a Channel or Queue', () => {
  it('skips documents of other kinds, empty documents and non-YAML files', async () => {
    const dir = await folder({
      'mixed.yaml': `# comment only
---
apiVersion: parley.dev/v1alpha1
kind: Dashboard
metadata: { name: wallboard, namespace: demo }
spec: { anything: [goes, here] }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { key: value }
---
---
${queueYaml('  skills: [support]\n')}`,
      'notes.md': 'kind: Channel\nnot: yaml we read\n',
      'channel.json': '{"apiVersion":"parley.dev/v1alpha1","kind":"Channel"}',
    });
    const rs = await loadConfigFolder(dir);
    expect(rs.map((r) => `${r.kind}/${r.metadata.name}`)).toEqual(['Queue/support']);
  });
});

describe('parseDuration', () => {
  it.each([
    ['72h', 72 * hour],
    ['1h30m', 90 * 60_000],
    ['250ms', 250],
    ['30s', 30_000],
    ['1m', 60_000],
    ['2d', 48 * hour],
    ['1.5h', 90 * 60_000],
    ['1m30s500ms', 90_500],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['3x', '', '72', 'h', '-1h', ' 72h', '72h ', '1h 30m', '72H', '1h30', 'ms'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('runInboundFlow', () => {
  const refund: InboundRule = { match: { keywords: ['refund'] }, set: { skills: ['billing'], queue: 'billing' } };

  it.each(['Refund please', 'I want a REFUND.', 'refund', 'about my refund, thanks', 'réclamation/refund'])(
    'keyword "refund" matches %j',
    (text) => {
      expect(runInboundFlow([refund], 'support', { text }).queue).toBe('billing');
    },
  );

  it.each(['refunding', 'refunds', 'prerefund', 'ref und', '', undefined])('keyword "refund" does not match %j', (text) => {
    expect(runInboundFlow([refund], 'support', { text }).queue).toBe('support');
  });

  it('matches keywords whatever the case of the keyword', () => {
    const rule: InboundRule = { match: { keywords: ['Remboursement'] }, set: { queue: 'billing' } };
    expect(runInboundFlow([rule], 'support', { text: 'mon remboursement' }).queue).toBe('billing');
  });

  it('sets the priority from a regex, case-insensitively', () => {
    const urgent: InboundRule = { match: { regex: '\\b(urgent|asap)\\b' }, set: { priority: 10 } };
    expect(runInboundFlow([urgent], 'support', { text: 'ASAP please' })).toEqual({ queue: 'support', skills: [], language: null, priority: 10, preferredAgents: [] });
    expect(runInboundFlow([urgent], 'support', { text: 'not urgently' }).priority).toBe(0);
  });

  it('matches a customer attribute', () => {
    const gold: InboundRule = { match: { attribute: { name: 'tier', equals: 'gold' } }, set: { priority: 20, skills: ['vip'] } };
    expect(runInboundFlow([gold], 'support', { text: 'hi', attributes: { tier: 'gold' } })).toEqual({
      queue: 'support',
      skills: ['vip'],
      language: null,
      priority: 20,
      preferredAgents: [],
    });
    expect(runInboundFlow([gold], 'support', { text: 'hi', attributes: { tier: 'silver' } }).priority).toBe(0);
    expect(runInboundFlow([gold], 'support', { text: 'hi' }).priority).toBe(0);
  });

  it('requires every condition of one match', () => {
    const rule: InboundRule = {
      match: { keywords: ['refund'], attribute: { name: 'tier', equals: 'gold' } },
      set: { queue: 'vip-billing' },
    };
    expect(runInboundFlow([rule], 'support', { text: 'refund', attributes: { tier: 'gold' } }).queue).toBe('vip-billing');
    expect(runInboundFlow([rule], 'support', { text: 'refund', attributes: { tier: 'silver' } }).queue).toBe('support');
    expect(runInboundFlow([rule], 'support', { text: 'hello', attributes: { tier: 'gold' } }).queue).toBe('support');
  });

  it('accumulates the skills of every matching rule, without duplicates', () => {
    const rules: InboundRule[] = [
      { match: { keywords: ['refund'] }, set: { skills: ['billing'] } },
      { match: { keywords: ['invoice'] }, set: { skills: ['billing', 'accounting'] } },
      { match: { keywords: ['french'] }, set: { skills: ['lang.fr'] } },
    ];
    expect(runInboundFlow(rules, 'support', { text: 'refund for invoice 12' }).skills).toEqual(['billing', 'accounting']);
  });

  it('lets the last matching rule set the queue and the priority', () => {
    const rules: InboundRule[] = [
      { match: { keywords: ['refund'] }, set: { queue: 'billing', priority: 5 } },
      { match: { keywords: ['fraud'] }, set: { queue: 'fraud', priority: 50 } },
      { match: { keywords: ['refund'] }, set: { skills: ['billing'] } },
      { match: { keywords: ['nothing'] }, set: { queue: 'never', priority: 99 } },
    ];
    expect(runInboundFlow(rules, 'support', { text: 'refund, maybe fraud' })).toEqual({
      queue: 'fraud',
      skills: ['billing'],
      language: null,
      priority: 50,
      preferredAgents: [],
    });
    expect(runInboundFlow(rules, 'support', { text: 'refund' })).toEqual({ queue: 'billing', skills: ['billing'], language: null, priority: 5, preferredAgents: [] });
  });

  it('returns the defaults when no rule matches', () => {
    const rules: InboundRule[] = [refund, { match: { regex: 'urgent' }, set: { priority: 10 } }];
    expect(runInboundFlow(rules, 'support', { text: 'hello' })).toEqual({ queue: 'support', skills: [], language: null, priority: 0, preferredAgents: [] });
    expect(runInboundFlow([], 'support', {})).toEqual({ queue: 'support', skills: [], language: null, priority: 0, preferredAgents: [] });
  });
});

describe('ConfigRegistry', () => {
  const channel = (name: string, queue = 'support'): ChannelResource => ({
    apiVersion: 'parley.dev/v1alpha1',
    kind: 'Channel',
    metadata: { name, namespace: 'demo' },
    spec: { type: 'sms', queue, threadingWindow: 24 * hour, inboundFlow: { rules: [] } },
  });
  const queue = (name: string, namespace = 'demo'): QueueResource =>
    QueueResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name, namespace }, spec: { skills: [name], alertingTimeout: '15s' } });

  it('resolves channels and queues by tenant and name', () => {
    const registry = new ConfigRegistry();
    registry.apply([channel('sms'), queue('support'), queue('support', 'acme')]);
    expect(registry.channel('demo', 'sms')).toEqual({
      tenant: 'demo',
      name: 'sms',
      type: 'sms',
      queue: 'support',
      threadingWindowMs: 24 * hour,
      rules: [],
      bot: undefined,
      rateLimit: undefined,
      richContentDisabled: [],
    });
    expect(registry.queue('acme', 'support')).toEqual({
      tenant: 'acme',
      name: 'support',
      method: 'longest-idle',
      skills: ['support'],
      minProficiency: {},
      members: undefined,
      alertingTimeoutMs: 15_000,
      lastAgent: { mode: 'any-queue', timeoutMs: 30_000 },
      preferredAgentTimeoutMs: 60_000,
      aging: { everyMs: 60_000, step: 1 },
      bullseye: undefined,
      maxDepth: 0,
      overflowQueue: undefined,
      wrapUp: { codes: [], required: false, afterWorkMs: 0 },
      serviceLevel: { percentage: 80, withinMs: 60_000 },
    });
    expect(registry.channel('acme', 'sms')).toBeUndefined();
  });

  it('replaces the whole set on apply', () => {
    const registry = new ConfigRegistry();
    registry.apply([channel('sms'), channel('whatsapp'), queue('support')]);
    registry.apply([channel('sms', 'billing'), queue('billing')]);
    expect(registry.channel('demo', 'whatsapp')).toBeUndefined();
    expect(registry.queue('demo', 'support')).toBeUndefined();
    expect(registry.channel('demo', 'sms')?.queue).toBe('billing');
    expect(registry.allChannels().map((c) => c.name)).toEqual(['sms']);
    expect(registry.allQueues().map((q) => q.name)).toEqual(['billing']);
    registry.apply([]);
    expect(registry.allChannels()).toEqual([]);
    expect(registry.allQueues()).toEqual([]);
  });
});

describe('loadConfigFolder strictness', () => {
  it('rejects a misspelt field instead of silently using the default', async () => {
    const err = await loadError({ 'q.yaml': queueYaml('  alertingtimeout: 5s') });
    expect(err.message).toMatch(/q\.yaml#1 \(Queue\).*alertingtimeout/);
  });

  it('rejects a keyword that is a phrase (it could never match)', async () => {
    const err = await loadError({
      'c.yaml': channelYaml('  type: web\n  queue: support\n  inboundFlow:\n    rules:\n      - match: { keywords: ["money back"] }\n        set: { skills: [billing] }'),
      'q.yaml': queueYaml('  skills: []'),
    });
    expect(err.message).toContain('a keyword is a single word');
  });

  it('rejects a channel that routes to a queue that does not exist, naming both', async () => {
    const err = await loadError({
      'c.yaml': channelYaml('  type: web\n  queue: support\n  inboundFlow:\n    rules:\n      - match: { keywords: [refund] }\n        set: { queue: billing }'),
      'q.yaml': queueYaml('  skills: []'),
    });
    expect(err.message).toContain('Channel demo/web routes to queue "billing", which does not exist in namespace demo');
  });

  it('rejects the same resource declared twice', async () => {
    const err = await loadError({ 'a.yaml': queueYaml('  skills: []'), 'b.yaml': queueYaml('  skills: [x]') });
    expect(err.message).toContain('Queue demo/support is declared twice');
  });

  it('skips a Channel of another API group (e.g. Knative)', async () => {
    const dir = await folder({
      'knative.yaml': 'apiVersion: messaging.knative.dev/v1\nkind: Channel\nmetadata: { name: events }\nspec: { channelTemplate: { kind: InMemoryChannel } }',
      'q.yaml': queueYaml('  skills: []'),
    });
    expect((await loadConfigFolder(dir)).map((r) => r.kind)).toEqual(['Queue']);
  });
});

describe('runInboundFlow: language and preferred agents', () => {
  const rules: InboundRule[] = [
    { match: { language: 'fr' }, set: { language: 'fr', skills: ['french'] } },
    { match: { keywords: ['vip'] }, set: { preferredAgents: ['alice', 'bob'] } },
  ];

  it('matches the message language by primary tag, from the channel or a language attribute', () => {
    expect(runInboundFlow(rules, 'support', { text: 'bonjour', language: 'fr-CA' })).toMatchObject({ language: 'fr', skills: ['french'] });
    expect(runInboundFlow(rules, 'support', { text: 'bonjour', attributes: { language: 'fr' } })).toMatchObject({ language: 'fr' });
    expect(runInboundFlow(rules, 'support', { text: 'hello', language: 'en' })).toMatchObject({ language: null, skills: [] });
  });

  it('sets preferred agents', () => {
    expect(runInboundFlow(rules, 'support', { text: 'I am a VIP' }).preferredAgents).toEqual(['alice', 'bob']);
  });
});
