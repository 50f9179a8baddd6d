import { describe, expect, it } from 'vitest';
import { QueueMembers } from './queue-members.ts';

describe('QueueMembers', () => {
  it('holds what was added and not deleted, each item knowing its place, through random adds and deletes', () => {
    let seed = 5;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const items = Array.from({ length: 50 }, (_, i) => ({ id: i, memberIndex: -1 }));
    const members = new QueueMembers<(typeof items)[number]>();
    const model = new Set<(typeof items)[number]>();
    for (let step = 0; step < 5_000; step++) {
      const item = items[Math.floor(random() * items.length)] as (typeof items)[number];
      if (model.has(item)) {
        members.delete(item);
        model.delete(item);
        expect(item.memberIndex).toBe(-1);
      } else {
        members.add(item);
        model.add(item);
      }
      // Deleting one not held changes nothing.
      const absent = items.find((i) => !model.has(i));
      if (absent) members.delete(absent);
      expect(members.size).toBe(model.size);
    }
    expect(new Set(members.list())).toEqual(model);
    expect(new Set(members)).toEqual(model);
    members.list().forEach((item, i) => expect(item.memberIndex).toBe(i));
  });
});
