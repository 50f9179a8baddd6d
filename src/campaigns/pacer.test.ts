import { describe, expect, it } from 'vitest';
import { Pacer } from './pacer.ts';

/** Drives a pacer the way the runner does — take what is available, up to a batch, else wait — on a fake clock. */
function sent(perMinute: number, seconds: number, maxBatch: number, batchCostMs: number): number {
  let now = 0;
  const pacer = new Pacer(perMinute, () => now);
  let total = 0;
  while (now < seconds * 1_000) {
    const n = Math.min(pacer.available(), maxBatch);
    if (n < 1) {
      now += Math.max(1, pacer.waitMs());
      continue;
    }
    pacer.spend(n);
    total += n;
    now += batchCostMs;
  }
  return total;
}

describe('Pacer', () => {
  it('holds a set rate within 1 % over a minute, whatever a batch takes', () => {
    for (const cost of [0, 5, 50, 400]) {
      const n = sent(6_000, 60, 1_000, cost);
      expect(Math.abs(n - 6_000) / 6_000).toBeLessThan(0.01);
    }
  });

  it('never saves up more than one second of the rate, however long it waited', () => {
    let now = 0;
    const pacer = new Pacer(6_000, () => now);
    now = 60_000;
    expect(pacer.available()).toBe(100);
  });
});
