import { describe, expect, it } from 'vitest';
import { ChannelResource, ConfigRegistry, QueueResource, type Resource } from '../config/index.ts';
import type { ConversationContext } from '../conversation/index.ts';
import { DEFAULT_POLICY, policyOf } from '../conversation/index.ts';
import { fallbackOutcome, queueDeletedEvent } from './queue-deletion.ts';

const tenant = 'acme';
const at = '2026-11-22T10:00:00.000Z';
const queue = (name: string, spec: Record<string, unknown> = {}): Resource =>
  QueueResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name, namespace: tenant }, spec });
const channel = (name: string, queueName: string): Resource =>
  ChannelResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name, namespace: tenant }, spec: { type: 'whatsapp', queue: queueName } });

function registry(resources: Resource[], deleted: string[]): ConfigRegistry {
  const config = new ConfigRegistry();
  config.apply(resources, deleted.map((name) => ({ kind: 'Queue' as const, namespace: tenant, name })));
  return config;
}

const waitingIn = (queueName: string, overflowQueue: string | null): ConversationContext =>
  ({ id: 'c1', tenant, channel: 'whatsapp', queue: queueName, policy: { ...DEFAULT_POLICY, overflowQueue }, enqueuedAt: at, closedAt: null }) as ConversationContext;

describe('where the conversations of a deleted queue go', () => {
  it('to its overflow queue when it exists', () => {
    const config = registry([channel('whatsapp', 'support'), queue('support'), queue('spill', { alertingTimeout: '5s' })], ['vip']);
    const event = queueDeletedEvent(config, waitingIn('vip', 'spill'), at);
    expect(event).toMatchObject({ type: 'queue.deleted', queue: 'vip', to: { queue: 'spill', policy: { alertingTimeoutMs: 5_000 } } });
  });

  it('else to the channel queue', () => {
    const config = registry([channel('whatsapp', 'support'), queue('support')], ['vip', 'spill']);
    expect(queueDeletedEvent(config, waitingIn('vip', 'spill'), at).to?.queue).toBe('support');
  });

  it('else nowhere: the channel queue is the deleted one, or gone too', () => {
    expect(queueDeletedEvent(registry([channel('whatsapp', 'support')], ['support']), waitingIn('support', null), at).to).toBeNull();
    expect(queueDeletedEvent(registry([], ['vip', 'support']), waitingIn('vip', null), at).to).toBeNull();
  });

  it('nothing overflows into a missing queue: the policy captured leaves it out', () => {
    const config = registry([queue('vip', { overflow: { queue: 'spill' }, bullseye: { rings: [{ wait: '10s' }], whenExhausted: 'overflow' } })], ['spill']);
    const vip = config.queue(tenant, 'vip');
    expect(policyOf(vip, (name) => config.queue(tenant, name)).overflowQueue).toBeNull();
    config.apply([queue('vip', { overflow: { queue: 'spill' } }), queue('spill')]);
    expect(policyOf(config.queue(tenant, 'vip'), (name) => config.queue(tenant, name)).overflowQueue).toBe('spill');
  });

  it('counts a move once: the step that made it, not a repeat', () => {
    const config = registry([channel('whatsapp', 'support'), queue('support'), queue('spill')], ['vip']);
    const event = queueDeletedEvent(config, waitingIn('vip', 'spill'), at);
    const moved = { ...waitingIn('spill', null), enqueuedAt: at };
    expect(fallbackOutcome('queued', moved, event, config)).toEqual({ outcome: 'overflow', queue: 'vip' });
    const later = { ...event, at: '2026-11-22T10:00:01.000Z' };
    expect(fallbackOutcome('queued', moved, later, config)).toBeUndefined();
    const closed = { ...waitingIn('vip', null), closedAt: at, closeReason: 'queueDeleted' as const };
    expect(fallbackOutcome('closed', closed, { ...event, to: null }, config)).toEqual({ outcome: 'closed', queue: 'vip' });
  });
});
