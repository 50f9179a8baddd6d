import { describe, expect, it } from 'vitest';
import { KindTable, type Kind } from './kind-table.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

function conversation(over: Partial<WaitingConversation>): WaitingConversation {
  return { id: 'c', tenant: 'acme', queue: 'q', skills: [], language: null, mediaType: 'message', priority: 0, enqueuedAt: 0, declinedBy: [], channel: 'web', channelType: 'web', customerId: 'x', customerName: undefined, alertingTimeoutMs: 30_000, ring: 0, target: null, ...over };
}

const kind = (name: string) => ({ queue: name }) as unknown as Kind;

describe('KindTable', () => {
  it('finds one kind for the same needs, whatever the order of the skills or what routing does not read', () => {
    const table = new KindTable();
    const needs = [
      {},
      { skills: ['a'] },
      { skills: ['a', 'b'] },
      { skills: ['a', 'a'] },
      { skills: ['a', 'b', 'c'] },
      { mediaType: 'email' as const },
      { ring: 1 },
      { ring: 70 },
      { language: 'fr' },
      { language: 'fr', skills: ['b', 'a'] },
      { queue: 'other' },
      { tenant: 'globex' },
    ];
    needs.forEach((over, i) => {
      expect(table.find(conversation(over)), JSON.stringify(over)).toBeUndefined();
      table.add(conversation(over), kind(String(i)));
    });
    needs.forEach((over, i) => expect(table.find(conversation({ ...over, id: 'other', priority: 5, enqueuedAt: 9 })), JSON.stringify(over)).toEqual(kind(String(i))));
    expect(table.find(conversation({ skills: ['b', 'a'] }))).toEqual(kind('2'));
    expect(table.find(conversation({ skills: ['c', 'a', 'b'] }))).toEqual(kind('4'));
    expect(table.find(conversation({ skills: ['a', 'b'], language: 'fr' }))).toEqual(kind('9'));
  });

  it("forgets a queue's kinds, and only that queue's", () => {
    const table = new KindTable();
    table.add(conversation({ skills: ['a'] }), kind('a'));
    table.add(conversation({ skills: ['b'], ring: 2 }), kind('b'));
    table.add(conversation({ queue: 'other' }), kind('other'));
    expect(table.forgetQueue('acme', 'q')).toEqual([kind('a'), kind('b')]);
    expect(table.find(conversation({ skills: ['a'] }))).toBeUndefined();
    expect(table.find(conversation({ queue: 'other' }))).toEqual(kind('other'));
    expect(table.forgetQueue('acme', 'q')).toEqual([]);
  });
});
