import { describe, expect, it } from 'vitest';
import { SortedList } from './sorted-list.ts';

describe('SortedList', () => {
  it('stays in order through random inserts, deletes and shifts, across chunk splits', () => {
    let seed = 9;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const byValue = (a: { v: number; id: number }, b: { v: number; id: number }) => a.v - b.v || a.id - b.id;
    const list = new SortedList(byValue, 4);
    let reference: { v: number; id: number }[] = [];
    for (let step = 0; step < 5_000; step++) {
      const r = random();
      if (r < 0.6 || reference.length === 0) {
        const item = { v: Math.floor(random() * 50), id: step };
        list.insert(item);
        reference.push(item);
        reference.sort(byValue);
      } else if (r < 0.9) {
        const item = reference[Math.floor(random() * reference.length)] as { v: number; id: number };
        expect(list.delete(item)).toBe(true);
        reference = reference.filter((x) => x !== item);
      } else expect(list.shift()).toBe(reference.shift());
      expect(list.size).toBe(reference.length);
      expect(list.first()).toBe(reference[0]);
    }
    const walked: unknown[] = [];
    const cursor = list.cursor();
    for (let item = cursor.next(); item; item = cursor.next()) walked.push(item);
    expect(walked).toEqual(reference);
    expect(list.delete({ v: -1, id: -1 })).toBe(false);
  });
});
