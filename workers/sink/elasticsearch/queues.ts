/**
 * The two containers the bulk writer needs: a FIFO with cheap push-front (retries go back to the
 * head so they are not starved by fresh entries), and a min-heap by due time so any number of
 * items waiting out a backoff share one timer (stable: equal due times pop in push order, so
 * items retried together stay together and in order).
 */

export class Deque<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Puts `items` in front, keeping their order. */
  unshiftAll(items: readonly T[]): void {
    if (items.length === 0) return;
    if (items.length <= this.#head) {
      this.#head -= items.length;
      for (let i = 0; i < items.length; i++) this.#items[this.#head + i] = items[i];
    } else {
      this.#items = [...items, ...this.#items.slice(this.#head)];
      this.#head = 0;
    }
  }
}

export class DueHeap<T> {
  // Parallel arrays: due time, push sequence (tie-break for stability), item.
  #due: number[] = [];
  #seq: number[] = [];
  #items: T[] = [];
  #pushed = 0;

  get length(): number {
    return this.#items.length;
  }

  /** Earliest due time, or undefined when empty. */
  get next(): number | undefined {
    return this.#due[0];
  }

  #before(a: number, b: number): boolean {
    const da = this.#due[a] as number;
    const db = this.#due[b] as number;
    return da < db || (da === db && (this.#seq[a] as number) < (this.#seq[b] as number));
  }

  #swap(a: number, b: number): void {
    const d = this.#due;
    const s = this.#seq;
    const it = this.#items;
    [d[a], d[b]] = [d[b] as number, d[a] as number];
    [s[a], s[b]] = [s[b] as number, s[a] as number];
    [it[a], it[b]] = [it[b] as T, it[a] as T];
  }

  push(due: number, item: T): void {
    this.#due.push(due);
    this.#seq.push(this.#pushed++);
    this.#items.push(item);
    let i = this.#items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns every item due at or before `now`, earliest first. */
  popDue(now: number): T[] {
    const out: T[] = [];
    while (this.#due.length > 0 && (this.#due[0] as number) <= now) out.push(this.#pop());
    return out;
  }

  #pop(): T {
    const top = this.#items[0] as T;
    const last = this.#items.length - 1;
    this.#swap(0, last);
    this.#due.pop();
    this.#seq.pop();
    this.#items.pop();
    const n = this.#items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.#before(r, l) ? r : l;
      if (!this.#before(c, i)) break;
      this.#swap(c, i);
      i = c;
    }
    return top;
  }
}
