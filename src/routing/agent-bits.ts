import { grown } from './grown.ts';

/**
 * A set of a tenant's agents as bits, one per agent slot, with a summary bit per word
 * saying whether that word holds any: intersecting the agents free with each required
 * skill reads only the words all the sets have agents in — a few dozen when agents are
 * busy, a few hundred for ten thousand free agents.
 */
export class AgentBits {
  words = new Uint32Array(4);
  /** One bit per word of `words`, set exactly where that word is not zero. */
  summary = new Uint32Array(1);

  add(slot: number): void {
    const w = slot >>> 5;
    if (w >= this.words.length) this.grow(w + 1);
    this.words[w] = (this.words[w] as number) | (1 << (slot & 31));
    this.summary[w >>> 5] = (this.summary[w >>> 5] as number) | (1 << (w & 31));
  }

  delete(slot: number): void {
    const w = slot >>> 5;
    if (w >= this.words.length) return;
    const word = (this.words[w] as number) & ~(1 << (slot & 31));
    this.words[w] = word;
    if (word === 0) this.summary[w >>> 5] = (this.summary[w >>> 5] as number) & ~(1 << (w & 31));
  }

  private grow(words: number): void {
    this.words = grown(this.words, Math.max(words, this.words.length * 2));
    this.summary = grown(this.summary, (this.words.length + 31) >>> 5);
  }
}

export function has(bits: Uint32Array, slot: number): boolean {
  return ((bits[slot >>> 5] ?? 0) & (1 << (slot & 31))) !== 0;
}

export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
