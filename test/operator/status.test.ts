import { describe, expect, it } from 'vitest';
import { setCondition, statusPatch, validate, type ExistingResources, type ParleyObject } from '../../operator/index.ts';
import type { CampaignStatusReport, ResourceKind } from '../../src/config/index.ts';

const t0 = new Date('2025-06-01T10:00:00.123Z');
const t1 = new Date('2025-06-01T10:05:00.000Z');

const existing = (names: Partial<Record<ResourceKind, string[]>>): ExistingResources => ({ names: (kind) => names[kind] ?? [] });

const channel = (spec: unknown, extra: Partial<ParleyObject> = {}): ParleyObject => ({
  apiVersion: 'parley.dev/v1alpha1',
  kind: 'Channel',
  metadata: { name: 'whatsapp', namespace: 'demo', generation: 3 },
  spec,
  ...extra,
});

describe('conditions', () => {
  it('moves lastTransitionTime only when status changes', () => {
    const ready = setCondition(undefined, { type: 'Ready', status: 'True', reason: 'Ready', message: 'live' }, t0);
    expect(ready).toEqual([{ type: 'Ready', status: 'True', lastTransitionTime: '2025-06-01T10:00:00Z', reason: 'Ready', message: 'live' }]);
    // Same status, new reason and message: the transition time stays.
    const errored = setCondition(ready, { type: 'Ready', status: 'True', reason: 'Ready', message: 'still live' }, t1);
    expect(errored[0]?.lastTransitionTime).toBe('2025-06-01T10:00:00Z');
    const invalid = setCondition(ready, { type: 'Ready', status: 'False', reason: 'Invalid', message: 'bad' }, t1);
    expect(invalid[0]?.lastTransitionTime).toBe('2025-06-01T10:05:00Z');
  });

  it('keeps other condition types', () => {
    const others = [{ type: 'Sending', status: 'False' as const, lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'Paused', message: '' }];
    const next = setCondition(others, { type: 'Ready', status: 'True', reason: 'Ready', message: 'live' }, t0);
    expect(next.map((c) => c.type)).toEqual(['Sending', 'Ready']);
  });

  it('statusPatch is undefined when the status already says it, whatever the key order', () => {
    const patch = statusPatch(channel({}), { status: 'True', reason: 'Ready', message: 'live' }, t0);
    expect(patch).toEqual({
      observedGeneration: 3,
      conditions: [{ type: 'Ready', status: 'True', observedGeneration: 3, lastTransitionTime: '2025-06-01T10:00:00Z', reason: 'Ready', message: 'live' }],
    });
    const written = channel({}, { status: { conditions: patch?.conditions?.map((c) => Object.fromEntries(Object.entries(c).reverse()) as typeof c), observedGeneration: 3 } });
    expect(statusPatch(written, { status: 'True', reason: 'Ready', message: 'live' }, t1)).toBeUndefined();
    // A new generation is news, even with the same condition.
    expect(statusPatch({ ...written, metadata: { ...written.metadata, generation: 4 } }, { status: 'True', reason: 'Ready', message: 'live' }, t1)?.observedGeneration).toBe(4);
  });

  it('gives a Campaign zero progress when it has none, and leaves existing progress alone', () => {
    const campaign: ParleyObject = { apiVersion: 'parley.dev/v1alpha1', kind: 'Campaign', metadata: { name: 'c', namespace: 'demo', generation: 1 } };
    expect(statusPatch(campaign, { status: 'True', reason: 'Ready', message: 'live' }, t0)?.progress).toEqual({ total: 0, processed: 0, sent: 0, failed: 0, skipped: 0 });
    const sending = { ...campaign, status: { progress: { total: 10, processed: 4, sent: 3, failed: 1, skipped: 0 } } };
    expect(statusPatch(sending, { status: 'True', reason: 'Ready', message: 'live' }, t0)).not.toHaveProperty('progress');
  });

  it("writes a Campaign's reported state, progress and Completed condition, and nothing when the report did not change", () => {
    const campaign: ParleyObject = { apiVersion: 'parley.dev/v1alpha1', kind: 'Campaign', metadata: { name: 'c', namespace: 'demo', generation: 1 } };
    const progress = { total: 10, processed: 4, sent: 3, delivered: 2, failed: 0, skipped: 1, skippedByReason: { 'do-not-contact': 1 }, waiting: 0, replied: 0 };
    const report: CampaignStatusReport = { tenant: 'demo', name: 'c', state: 'running', problem: null, progress, startedAt: '2025-06-01T09:59:00.000Z', endedAt: null };
    const ready = { status: 'True', reason: 'Ready', message: 'live' } as const;
    const running = statusPatch(campaign, ready, t0, report);
    expect(running).toMatchObject({ state: 'running', progress, startedAt: '2025-06-01T09:59:00.000Z' });
    expect(running).not.toHaveProperty('endedAt');
    expect(running?.conditions?.find((c) => c.type === 'Completed')).toMatchObject({ status: 'False', reason: 'Running' });
    const written = { ...campaign, status: running };
    expect(statusPatch(written, ready, t1, { ...report, progress: { ...progress } })).toBeUndefined();
    // Progress alone is a change to write; the Ready condition stays as it was.
    const moved = statusPatch(written, ready, t1, { ...report, progress: { ...progress, processed: 5, sent: 4 } });
    expect(moved?.progress).toMatchObject({ processed: 5, sent: 4 });
    expect(moved?.conditions).toEqual(running?.conditions);
    const completed = statusPatch(written, ready, t1, { ...report, state: 'completed', endedAt: '2025-06-01T10:04:00.000Z' });
    expect(completed).toMatchObject({ state: 'completed', endedAt: '2025-06-01T10:04:00.000Z' });
    expect(completed?.conditions?.find((c) => c.type === 'Completed')).toMatchObject({ status: 'True', reason: 'Completed', lastTransitionTime: '2025-06-01T10:05:00Z' });
  });
});

describe('validate', () => {
  it('accepts a Channel whose queues exist', () => {
    expect(validate(channel({ type: 'whatsapp', queue: 'support' }), existing({ Queue: ['support'] }))).toMatchObject({ ok: true, manifest: { spec: { queue: 'support' } } });
  });

  it('lets a Channel naming a missing queue go live, naming the queue as dangling (spec.queue or an inbound-flow rule)', () => {
    const spec = { type: 'whatsapp', queue: 'support', inboundFlow: { rules: [{ match: { keywords: ['refund'] }, set: { queue: 'billing' } }] } };
    const result = validate(channel(spec), existing({ Queue: ['support'] }));
    expect(result).toMatchObject({ ok: true, dangling: ['Channel demo/whatsapp routes to queue "billing", which does not exist in namespace demo'] });
    expect(validate(channel(spec), existing({ Queue: ['support', 'billing'] }))).toMatchObject({ ok: true, dangling: [] });
  });

  it('reports schema problems by field', () => {
    const result = validate(channel({ type: 'pigeon', queue: 'support' }), existing({ Queue: ['support'] }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.join()).toMatch(/^spec\.type: /);
  });

  it('checks the channel a Campaign sends through', () => {
    const campaign: ParleyObject = {
      apiVersion: 'parley.dev/v1alpha1',
      kind: 'Campaign',
      metadata: { name: 'renewal', namespace: 'demo', generation: 1 },
      spec: { channel: 'sms', contacts: { listId: 'l1' }, message: { template: 'Hi' } },
    };
    expect(validate(campaign, existing({}))).toMatchObject({ ok: false, problems: [expect.stringContaining('channel "sms"')] });
    expect(validate(campaign, existing({ Channel: ['sms'] }))).toMatchObject({ ok: true });
  });

  it('a Queue overflowing to a missing queue is live, with the queue dangling', () => {
    const queue = (overflow: string): ParleyObject => ({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'support', namespace: 'demo' }, spec: { maxDepth: 10, overflow: { queue: overflow } } });
    expect(validate(queue('billing'), existing({ Queue: ['support', 'billing'] }))).toMatchObject({ ok: true });
    expect(validate(queue('nowhere'), existing({ Queue: ['support'] }))).toMatchObject({ ok: true, dangling: [expect.stringContaining('queue "nowhere"')] });
  });
});
