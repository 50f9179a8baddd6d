import { describe, expect, it } from 'vitest';
import { BinaryHeap } from './binary-heap.ts';

describe('BinaryHeap', () => {
  it('gives items back in the comparator order, however pushes and pops interleave', () => {
    let seed = 5;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const heap = new BinaryHeap<number>((a, b) => a - b);
    const model: number[] = [];
    for (let step = 0; step < 5_000; step++) {
      if (random() < 0.6) {
        const n = Math.floor(random() * 1_000);
        heap.push(n);
        model.push(n);
        model.sort((a, b) => a - b);
      } else expect(heap.pop()).toBe(model.shift());
      expect(heap.size).toBe(model.length);
    }
    while (model.length > 0) expect(heap.pop()).toBe(model.shift());
    expect(heap.pop()).toBeUndefined();
  });
});
