/**
 * A set of a tenant's agents as bits, one per agent slot: intersecting the agents free
 * with each required skill costs a few hundred word operations for ten thousand agents,
 * whatever the sets hold.
 */
export class AgentBits {
  words = new Uint32Array(4);

  add(slot: number): void {
    const w = slot >>> 5;
    if (w >= this.words.length) {
      const grown = new Uint32Array(Math.max(w + 1, this.words.length * 2));
      grown.set(this.words);
      this.words = grown;
    }
    this.words[w] = (this.words[w] as number) | (1 << (slot & 31));
  }

  delete(slot: number): void {
    const w = slot >>> 5;
    if (w < this.words.length) this.words[w] = (this.words[w] as number) & ~(1 << (slot & 31));
  }
}

/** The slots in every one of these sets, into `out`; returns how many. */
export function intersect(sets: readonly AgentBits[], out: Uint32Array): number {
  let length = out.length;
  for (const set of sets) length = Math.min(length, set.words.length);
  let count = 0;
  for (let w = 0; w < length; w++) {
    let word = 0xffffffff;
    for (const set of sets) word &= set.words[w] as number;
    out[w] = word;
    if (word !== 0) count += popcount(word);
  }
  out.fill(0, length);
  return count;
}

export function has(bits: Uint32Array, slot: number): boolean {
  return ((bits[slot >>> 5] ?? 0) & (1 << (slot & 31))) !== 0;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
