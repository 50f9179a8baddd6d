import { describe, expect, it } from 'vitest';
import { agentView } from './agent-view.ts';

const row = { id: 'alice', name: 'Alice (row)', presence: 'away', snapshot: {} as unknown };

describe('agentView', () => {
  it('reads profile, presence and capacity from the snapshot context', () => {
    const view = agentView({
      ...row,
      snapshot: {
        value: 'available',
        context: {
          name: 'Alice',
          skills: ['billing'],
          presence: 'available',
          presenceSince: '2026-11-22T09:00:00.000Z',
          capacity: { message: 2, email: 0 },
          offers: [{ offerId: 'o1', conversationId: 'c1', mediaType: 'message', queue: null, offeredAt: 't', expiresAt: 't' }],
          active: [{ conversationId: 'c2', offerId: 'o0', mediaType: 'message', since: 't' }],
        },
      },
    });
    expect(view).toMatchObject({
      id: 'alice',
      name: 'Alice',
      skills: ['billing'],
      presence: 'available',
      presenceSince: '2026-11-22T09:00:00.000Z',
      capacity: { message: { max: 2, used: 2 }, email: { max: 0, used: 0 } },
    });
  });

  it('falls back to the row for a snapshot without a usable context', () => {
    for (const snapshot of [null, 'text', { value: 'x' }, { context: [] }]) {
      expect(agentView({ ...row, snapshot })).toEqual({
        id: 'alice',
        name: 'Alice (row)',
        skills: [],
        presence: 'away',
        presenceSince: null,
        capacity: {},
        offers: [],
        active: [],
      });
    }
  });

  it('shows offline for a presence it does not know', () => {
    expect(agentView({ ...row, presence: 'dancing' }).presence).toBe('offline');
  });
});
