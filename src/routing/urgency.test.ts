import { describe, expect, it } from 'vitest';
import { rankOf, servingOrder, urgencyOf } from './urgency.ts';

const t0 = Date.parse('2026-11-22T10:00:00Z');

describe('urgency', () => {
  it('is linear aging: priority + step per every waited', () => {
    const aging = { everyMs: 10_000, step: 2 };
    expect(urgencyOf(3, t0, aging, t0)).toBe(3);
    expect(urgencyOf(3, t0, aging, t0 + 5_000)).toBe(4);
    expect(urgencyOf(3, t0, aging, t0 + 60_000)).toBe(15);
    expect(urgencyOf(3, t0, { everyMs: 10_000, step: 0 }, t0 + 60_000)).toBe(3);
    expect(urgencyOf(3, t0, undefined, t0 + 60_000)).toBe(3);
  });

  it.each([
    { everyMs: 10_000, step: 1 },
    { everyMs: 7_000, step: 3 },
    { everyMs: 60_000, step: 0 },
  ])('orders a queue by a rank fixed at arrival, the same as by urgency at any later time (%o)', (aging) => {
    let seed = 17;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const waiting = Array.from({ length: 300 }, (_, i) => ({ id: `c${i}`, priority: Math.floor(random() * 4), enqueuedAt: t0 - Math.floor(random() * 120) * 1_000 - Math.floor(random() * 3) }));
    const byRank = [...waiting].sort((a, b) => rankOf(b.priority, b.enqueuedAt, aging) - rankOf(a.priority, a.enqueuedAt, aging) || a.enqueuedAt - b.enqueuedAt || (a.id < b.id ? -1 : 1));
    for (const later of [0, 1, 59_999, 3_600_000, 86_400_000]) {
      const now = t0 + later;
      const byUrgency = [...waiting].map((c) => ({ ...c, urgency: urgencyOf(c.priority, c.enqueuedAt, aging, now) })).sort(servingOrder);
      expect(byUrgency.map((c) => c.id)).toEqual(byRank.map((c) => c.id));
    }
  });
});
