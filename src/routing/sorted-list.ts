/**
 * A list kept in order by a comparator, as a list of sorted chunks (the layout of Python's
 * sortedcontainers): insert, delete and reading the first item cost a binary search plus
 * a copy within one chunk, and walking in order costs nothing extra. No package the
 * project depends on offers an ordered collection; this one is small enough to own.
 *
 * The comparator must be a total order over the items present (tie-break on an id), and
 * an item's key must not change while it is in the list: take it out, change it, put it back.
 */
export class SortedList<T> {
  private parts: T[][] = [];
  private count = 0;

  /** @param chunkSize a chunk splits in two above twice this size. @default 256 */
  constructor(
    private readonly compare: (a: T, b: T) => number,
    private readonly chunkSize = 256,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Fills an empty list with these items at once: one sort instead of an insert each. */
  load(items: T[]): void {
    if (this.count > 0) throw new Error('SortedList.load needs an empty list');
    items.sort(this.compare);
    for (let i = 0; i < items.length; i += this.chunkSize) this.parts.push(items.slice(i, i + this.chunkSize));
    this.count = items.length;
  }

  /** Replaces every item with these, already in order (what a merge built). */
  reset(sorted: T[]): void {
    this.parts = [];
    for (let i = 0; i < sorted.length; i += this.chunkSize) this.parts.push(sorted.slice(i, i + this.chunkSize));
    this.count = sorted.length;
  }

  first(): T | undefined {
    return this.parts[0]?.[0];
  }

  insert(item: T): void {
    this.count++;
    const chunks = this.parts;
    if (chunks.length === 0) {
      chunks.push([item]);
      return;
    }
    const c = this.chunkFor(item);
    const chunk = chunks[c] as T[];
    // Items arrive mostly in order (the newest time last): append without a search.
    if (this.compare(chunk[chunk.length - 1] as T, item) < 0) chunk.push(item);
    else {
      // Moved up by hand: `splice` would build an array of the removed items each time.
      const at = lowerBound(chunk, item, this.compare);
      chunk.push(item);
      for (let i = chunk.length - 1; i > at; i--) chunk[i] = chunk[i - 1] as T;
      chunk[at] = item;
    }
    if (chunk.length > 2 * this.chunkSize) chunks.splice(c + 1, 0, chunk.splice(this.chunkSize));
  }

  /** Removes the item (found by its key, then by identity); false when it is not there. */
  delete(item: T): boolean {
    if (this.count === 0) return false;
    const c = this.chunkFor(item);
    const chunk = this.parts[c] as T[];
    const i = lowerBound(chunk, item, this.compare);
    if (chunk[i] !== item) return false;
    this.count--;
    if (chunk.length === 1) this.parts.splice(c, 1);
    else if (i === 0) chunk.shift();
    else {
      for (let j = i; j < chunk.length - 1; j++) chunk[j] = chunk[j + 1] as T;
      chunk.pop();
    }
    return true;
  }

  /** Removes and returns the first item. */
  shift(): T | undefined {
    const chunk = this.parts[0];
    if (!chunk) return undefined;
    this.count--;
    const item = chunk.shift();
    if (chunk.length === 0) this.parts.shift();
    return item;
  }

  /** Walks the items in order until `visit` returns true. */
  some(visit: (item: T) => boolean): boolean {
    for (const chunk of this.parts) for (const item of chunk) if (visit(item)) return true;
    return false;
  }

  /** The items in order, as the chunks that hold them (valid until the list changes): the fastest walk there is. */
  get chunks(): readonly (readonly T[])[] {
    return this.parts;
  }

  /** A reader that moves through the items in order (valid until the list changes). */
  cursor(): Cursor<T> {
    return new Cursor(this.parts);
  }

  /** The chunk an item belongs in: the first whose last item is not before it (else the last). */
  private chunkFor(item: T): number {
    const chunks = this.parts;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid] as T[];
      if (this.compare(chunk[chunk.length - 1] as T, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export class Cursor<T> {
  private chunk = 0;
  private index = 0;

  constructor(private readonly chunks: readonly (readonly T[])[]) {}

  /** The next item in order, or undefined at the end. */
  next(): T | undefined {
    const chunk = this.chunks[this.chunk];
    if (!chunk) return undefined;
    const item = chunk[this.index++];
    if (this.index >= chunk.length) {
      this.chunk++;
      this.index = 0;
    }
    return item;
  }
}

function lowerBound<T>(items: readonly T[], item: T, compare: (a: T, b: T) => number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(items[mid] as T, item) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
