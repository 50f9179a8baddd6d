import { popcount, type AgentBits } from './agent-bits.ts';

/**
 * The agents in every one of some bit sets (the free agents with every required skill at
 * its floor), intersected lazily, word by word in slot order, only as far as a reader
 * needs: when ten thousand agents are free, a choice learns that more than a few dozen
 * qualify from the first words, and walks an order testing the sets themselves
 * (`holds`). The words read are kept as bits plus the list of those that hold any, so
 * reading them, dropping agents that left and clearing the set for reuse cost the words
 * it holds, not the tenant's.
 */
export class SlotSet {
  /** The intersection over the words read so far (zero elsewhere). */
  readonly words: Uint32Array;
  /** The indices of the words read that hold slots, ascending (the first `listed`). */
  private readonly nonzero: Int32Array;
  private listed = 0;
  /** How many slots the words read hold. */
  count = 0;
  /** The sets intersected (the first `n`). */
  private readonly sets: AgentBits[] = [];
  private n = 0;
  /** The first word not read yet. */
  private next = 0;
  /** How many words the sets all span (past it, their intersection is empty). */
  private end = 0;

  constructor(words: number) {
    this.words = new Uint32Array(words);
    this.nonzero = new Int32Array(words);
  }

  /** Every word has been read: `count` is the size of the intersection. */
  get complete(): boolean {
    return this.next >= this.end;
  }

  /** Starts over as the intersection of the first `n` of these sets (at least one), nothing read yet. */
  begin(sets: readonly AgentBits[], n: number): void {
    this.clear();
    let end = this.words.length;
    for (let i = 0; i < n; i++) {
      const set = sets[i] as AgentBits;
      this.sets[i] = set;
      end = Math.min(end, set.words.length);
    }
    this.n = n;
    this.next = 0;
    this.end = end;
  }

  /** The whole intersection of the first `n` of these sets; returns its size. */
  intersect(sets: readonly AgentBits[], n: number): number {
    this.begin(sets, n);
    return this.read(Infinity);
  }

  /**
   * Reads on until the words read hold more than `limit` slots, or every word is read;
   * returns how many they hold. Only the words every set holds agents in are read: their
   * summaries, intersected first.
   */
  read(limit: number): number {
    const { words, nonzero, sets, n, end } = this;
    const first = sets[0] as AgentBits;
    let w = this.next;
    let listed = this.listed;
    let count = this.count;
    while (w < end && count <= limit) {
      const s = w >>> 5;
      // The summary bits of words w… of this summary word, in every set.
      let candidates = ((first.summary[s] as number) >>> (w & 31)) << (w & 31);
      for (let i = 1; i < n && candidates !== 0; i++) candidates &= (sets[i] as AgentBits).summary[s] as number;
      if (candidates === 0) {
        w = (s + 1) << 5;
        continue;
      }
      const lowest = candidates & -candidates;
      w = (s << 5) + 31 - Math.clz32(lowest);
      if (w >= end) break;
      let word = first.words[w] as number;
      for (let i = 1; i < n && word !== 0; i++) word &= (sets[i] as AgentBits).words[w] as number;
      w++;
      if (word === 0) continue;
      words[w - 1] = word;
      nonzero[listed++] = w - 1;
      count += popcount(word);
    }
    this.next = Math.min(w, end);
    this.listed = listed;
    this.count = count;
    return count;
  }

  /** Whether the slot is in every set now (read or not, and whatever left them since). */
  holds(slot: number): boolean {
    const w = slot >>> 5;
    const bit = 1 << (slot & 31);
    for (let i = 0; i < this.n; i++) if ((((this.sets[i] as AgentBits).words[w] ?? 0) & bit) === 0) return false;
    return true;
  }

  /** Keeps, of the words read, only the slots also in `bits`; returns how many remain. */
  keepOnly(bits: AgentBits): number {
    const { words, nonzero } = this;
    const other = bits.words;
    let listed = 0;
    let count = 0;
    for (let i = 0; i < this.listed; i++) {
      const w = nonzero[i] as number;
      const word = (words[w] as number) & (other[w] ?? 0);
      words[w] = word;
      if (word === 0) continue;
      nonzero[listed++] = w;
      count += popcount(word);
    }
    this.listed = listed;
    this.count = count;
    return count;
  }

  /** Empties it (only the words it holds are written). */
  clear(): void {
    const { words, nonzero } = this;
    for (let i = 0; i < this.listed; i++) words[nonzero[i] as number] = 0;
    this.listed = 0;
    this.count = 0;
    this.next = 0;
    this.end = 0;
    this.n = 0;
  }

  /** How many words read hold slots (see `wordAt`). */
  get wordCount(): number {
    return this.listed;
  }

  /** The index in `words` of the i-th word read that holds slots, ascending: a reader walks them without a list of slots made for it. */
  wordAt(i: number): number {
    return this.nonzero[i] as number;
  }

  /** The slots of the words read, ascending. */
  slots(): number[] {
    const slots: number[] = [];
    for (let i = 0; i < this.listed; i++) {
      const w = this.nonzero[i] as number;
      let word = this.words[w] as number;
      while (word !== 0) {
        const lowest = word & -word;
        word ^= lowest;
        slots.push((w << 5) + 31 - Math.clz32(lowest));
      }
    }
    return slots;
  }
}
