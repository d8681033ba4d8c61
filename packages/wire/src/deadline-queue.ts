/**
 * Deadlines by key in a binary min-heap: `set` (re)schedules a key, `delete` cancels it,
 * `nextAt()` is the earliest live deadline and `popDue(now)` takes every key whose time has come,
 * earliest first. Each operation costs O(log n), so a core with many pending timers never
 * rescans them all to find the next one. Rescheduled and cancelled entries are dropped lazily
 * when they reach the top (the heap holds at most one stale entry per `set`, compacted when
 * stale entries outnumber live ones).
 */
export class DeadlineQueue<V> {
  readonly #live = new Map<string, { at: number; seq: number; value: V }>();
  #heap: { at: number; seq: number; key: string }[] = [];
  #seq = 0;

  /** Live deadlines. */
  get size(): number {
    return this.#live.size;
  }

  /** Schedules `key` at `at` (ms), replacing its earlier deadline if it had one. */
  set(key: string, at: number, value: V): void {
    const seq = ++this.#seq;
    this.#live.set(key, { at, seq, value });
    this.#push({ at, seq, key });
    if (this.#heap.length > 64 && this.#heap.length > 2 * this.#live.size) this.#compact();
  }

  get(key: string): V | undefined {
    return this.#live.get(key)?.value;
  }

  has(key: string): boolean {
    return this.#live.has(key);
  }

  /** Cancels `key`'s deadline (no-op when it has none). */
  delete(key: string): boolean {
    return this.#live.delete(key);
  }

  /** The earliest live deadline, or undefined when none is pending. */
  nextAt(): number | undefined {
    this.#dropStale();
    return this.#heap[0]?.at;
  }

  /** Removes and returns, earliest first, every entry whose deadline is at or before `now`. */
  popDue(now: number): { key: string; at: number; value: V }[] {
    const due: { key: string; at: number; value: V }[] = [];
    for (;;) {
      this.#dropStale();
      const top = this.#heap[0];
      if (top === undefined || top.at > now) return due;
      this.#pop();
      const entry = this.#live.get(top.key)!;
      this.#live.delete(top.key);
      due.push({ key: top.key, at: top.at, value: entry.value });
    }
  }

  #dropStale(): void {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || this.#live.get(top.key)?.seq === top.seq) return;
      this.#pop();
    }
  }

  #compact(): void {
    this.#heap = [...this.#live].map(([key, { at, seq }]) => ({ at, seq, key }));
    this.#heap.sort(before);
  }

  #push(node: { at: number; seq: number; key: string }): void {
    const heap = this.#heap;
    heap.push(node);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (before(heap[parent]!, node) <= 0) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = node;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) < 0 ? right : left;
      if (before(last, heap[child]!) <= 0) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

/** Earlier deadline first; equal deadlines in the order they were set. */
function before(a: { at: number; seq: number }, b: { at: number; seq: number }): number {
  return a.at - b.at || a.seq - b.seq;
}
