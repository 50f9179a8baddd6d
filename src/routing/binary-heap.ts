/**
 * A binary min-heap by a comparator: push and pop cost log n comparisons and no copying of
 * runs of items, where a sorted list pays a splice per insert. A pass merges thousands of
 * conversations in serving order this way and reads each once. No package the project
 * depends on offers a heap; this one is small enough to own.
 *
 * The comparator must be a total order (tie-break on a sequence number or an id): then the
 * order items come out in does not depend on the order they went in.
 */
export class BinaryHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      const above = items[parent] as T;
      if (this.compare(above, item) <= 0) break;
      items[i] = above;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the first item in the comparator's order. */
  pop(): T | undefined {
    const items = this.items;
    const first = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return first;
    const n = items.length;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && this.compare(items[right] as T, items[child] as T) < 0) child = right;
      if (this.compare(items[child] as T, last) >= 0) break;
      items[i] = items[child] as T;
      i = child;
    }
    items[i] = last;
    return first;
  }
}
