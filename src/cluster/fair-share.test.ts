import { describe, expect, it } from 'vitest';
import { claimOrder, fairShare } from './fair-share.ts';

describe('fair share of partitions', () => {
  it('splits the count over the members, at most one apart, the same whoever computes it', () => {
    for (const members of [['a'], ['a', 'b', 'c'], ['router-0', 'router-1', 'router-2', 'router-3'], ['z', 'b', 'm', 'a', 'q']]) {
      const shares = members.map((m) => fairShare(members, m, 64));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(64);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      // A node not yet in the list it was given counts itself in.
      expect(fairShare(members.filter((m) => m !== members[0]), members[0] as string, 64)).toBe(shares[0]);
    }
  });

  it('gives each node an order that covers every partition once, starting at its own point', () => {
    const orders = ['router-0', 'router-1', 'router-2'].map((n) => claimOrder(n, 64));
    for (const order of orders) expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(new Set(orders.map((o) => o[0])).size).toBeGreaterThan(1);
  });
});
