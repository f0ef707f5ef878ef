/**
 * A binary min-heap of stored values ordered by expiration, where each value remembers its own
 * position so it can be removed or re-keyed in O(log n). Storage keeps one per quota group: what
 * to evict first from the group, and, visited group by group each tick, what has expired.
 */

export interface HeapItem {
  expiration: number;
}

/** Reads and writes the item's position in one particular heap. */
export interface HeapSlot<T> {
  get(item: T): number;
  set(item: T, index: number): void;
}

export class ExpiryHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  constructor(private readonly slot: HeapSlot<T>) {}

  get size(): number {
    return this.items.length;
  }

  /** Visits every item, in no particular order. */
  forEach(fn: (item: T) => void): void {
    for (const item of this.items) fn(item);
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.slot.set(item, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  /** Removes `item` if it is in this heap. */
  remove(item: T): void {
    const i = this.slot.get(item);
    if (i < 0 || this.items[i] !== item) return;
    const last = this.items.pop() as T;
    this.slot.set(item, -1);
    if (i === this.items.length) return;
    this.items[i] = last;
    this.slot.set(last, i);
    this.down(this.up(i));
  }

  /** Restores order after `item.expiration` changed. */
  update(item: T): void {
    const i = this.slot.get(item);
    if (i < 0 || this.items[i] !== item) return;
    this.down(this.up(i));
  }

  private up(start: number): number {
    const items = this.items;
    const item = items[start] as T;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (p.expiration <= item.expiration) break;
      items[i] = p;
      this.slot.set(p, i);
      i = parent;
    }
    items[i] = item;
    this.slot.set(item, i);
    return i;
  }

  private down(start: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[start] as T;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && (items[right] as T).expiration < (items[left] as T).expiration) child = right;
      const c = items[child] as T;
      if (c.expiration >= item.expiration) break;
      items[i] = c;
      this.slot.set(c, i);
      i = child;
    }
    items[i] = item;
    this.slot.set(item, i);
  }
}
