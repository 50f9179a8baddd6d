import { describe, expect, it } from 'vitest';
import { AgentBits } from './agent-bits.ts';
import { SlotSet } from './slot-set.ts';

const SLOTS = 2_000;
const WORDS = (SLOTS + 31) >>> 5;

function generator(seed: number) {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
}

/** A bit set and the slots it holds, built side by side. */
function randomSet(random: () => number, density: number): { bits: AgentBits; slots: Set<number> } {
  const bits = new AgentBits();
  const slots = new Set<number>();
  for (let slot = 0; slot < SLOTS; slot++) {
    if (random() >= density) continue;
    bits.add(slot);
    slots.add(slot);
  }
  return { bits, slots };
}

describe('AgentBits', () => {
  it('keeps a summary bit exactly where a word holds slots, through adds and deletes', () => {
    const random = generator(3);
    const bits = new AgentBits();
    const model = new Set<number>();
    for (let step = 0; step < 20_000; step++) {
      const slot = Math.floor(random() * SLOTS);
      if (random() < 0.5) {
        bits.add(slot);
        model.add(slot);
      } else {
        bits.delete(slot);
        model.delete(slot);
      }
    }
    for (let w = 0; w < bits.words.length; w++) {
      const holds = [...model].some((slot) => slot >>> 5 === w);
      expect(((bits.summary[w >>> 5] as number) & (1 << (w & 31))) !== 0, `word ${w}`).toBe(holds);
      expect(bits.words[w] !== 0).toBe(holds);
    }
  });
});

describe('SlotSet', () => {
  it('reads the intersection only as far as asked, counts it exactly once read to the end, and tests any slot on the sets themselves', () => {
    const random = generator(7);
    for (const density of [0.02, 0.3, 0.9]) {
      const sets = [randomSet(random, density), randomSet(random, 0.5), randomSet(random, 0.7)];
      const expected = [...sets[0]!.slots].filter((slot) => sets.every((s) => s.slots.has(slot)));
      const set = new SlotSet(WORDS);
      set.begin(
        sets.map((s) => s.bits),
        sets.length,
      );
      // Read until more than 10 are known: all of them when there are fewer, and then it is complete.
      const some = set.read(10);
      if (expected.length <= 10) {
        expect(some).toBe(expected.length);
        expect(set.complete).toBe(true);
      } else {
        expect(some).toBeGreaterThan(10);
        expect(some).toBeLessThanOrEqual(expected.length);
        // Hundreds qualify: it stopped after a few words.
        if (expected.length > 200) expect(set.complete).toBe(false);
      }
      for (let slot = 0; slot < SLOTS; slot++) expect(set.holds(slot)).toBe(expected.includes(slot));
      expect(set.read(Infinity)).toBe(expected.length);
      expect(set.complete).toBe(true);
      expect(set.slots()).toEqual(expected);
    }
  });

  it('drops the slots that left another set, and is reused without a trace of what it held', () => {
    const random = generator(11);
    const a = randomSet(random, 0.4);
    const free = randomSet(random, 0.8);
    const set = new SlotSet(WORDS);
    expect(set.intersect([a.bits, free.bits], 2)).toBe([...a.slots].filter((slot) => free.slots.has(slot)).length);
    for (let slot = 0; slot < SLOTS; slot += 3) {
      free.bits.delete(slot);
      free.slots.delete(slot);
    }
    const kept = [...a.slots].filter((slot) => free.slots.has(slot));
    expect(set.keepOnly(free.bits)).toBe(kept.length);
    expect(set.slots()).toEqual(kept);
    const words: number[] = [];
    for (let i = 0; i < set.wordCount; i++) words.push(set.wordAt(i));
    expect(words).toEqual([...new Set(kept.map((slot) => slot >>> 5))]);

    const other = randomSet(random, 0.1);
    expect(set.intersect([other.bits], 1)).toBe(other.slots.size);
    expect(set.slots()).toEqual([...other.slots]);
    set.clear();
    expect(set.count).toBe(0);
    expect([...set.words].every((word) => word === 0)).toBe(true);
  });
});
