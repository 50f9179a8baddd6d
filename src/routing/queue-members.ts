/** An item that knows its place in the one `QueueMembers` holding it. */
export interface Member {
  /** Its index in the members' array (-1 when in none). */
  memberIndex: number;
}

/**
 * The waiting conversations of one queue: added and deleted in constant time without
 * hashing — each keeps its index, and a deletion moves the last one into its place — as
 * every arrival and every accept does one of each. The order is not the order of arrival.
 */
export class QueueMembers<T extends Member> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    item.memberIndex = this.items.length;
    this.items.push(item);
  }

  delete(item: T): void {
    const at = item.memberIndex;
    if (this.items[at] !== item) return;
    const last = this.items.pop() as T;
    if (last !== item) {
      this.items[at] = last;
      last.memberIndex = at;
    }
    item.memberIndex = -1;
  }

  /** The members now (a copy: the caller may add and delete while reading it). */
  list(): T[] {
    return this.items.slice();
  }

  /** The members, to read without changing them. */
  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }
}
