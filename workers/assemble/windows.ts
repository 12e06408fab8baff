/**
 * Per-worker trace windows: buffer the spans of each trace until the trace is (probably) complete,
 * then hand the whole trace to the next stage (sample → write) in one piece.
 *
 * A window opens at a trace's first span and flushes when, whichever comes first:
 *   - quiet:      no span for `quietMs` (checked on `tick`),
 *   - no_root:    no span for `rootlessQuietMs`, while none of its spans is a root (checked on `tick`),
 *   - max_window: `maxWindowMs` since it opened (checked on `tick`),
 *   - span_cap:   it holds `maxSpansPerTrace` spans (immediately, in `add`),
 *   - memory:     the worker's buffered bytes pass `maxBufferedBytes`; the oldest windows (by open
 *                 time) flush until bytes are at most the low-water mark (in `add` and `tick`),
 *   - drain:      `flushAll()` (shutdown, rebalance).
 *
 * After a flush, the caller records the sampler's decision (`recordDecision`); spans of that trace
 * arriving later are late spans: `add` does not buffer them but returns the decision, so the caller
 * writes (or drops) them at once. The decision cache is an LRU with a sliding TTL; once it forgot a
 * trace, a late span simply opens a new window (written under the same trace ID anyway).
 *
 * Pure logic: no I/O, no timers, no Date.now(). Time arrives only as `now` arguments (the
 * coordinator's ticks, see protocol.ts) and is clamped to be non-decreasing, so a clock step back
 * can neither reorder the due lists nor make a window flush early.
 *
 * Why a trace without a root waits longer: a span is reported when it ends, so a trace's children
 * arrive before its root, and a trace longer than the quiet window goes quiet before its root comes.
 * Decided then, it is decided on a fragment (a slow trace's children alone are not slow), and its
 * root, arriving late, follows that decision. The same happens when one trace's spans sit on Kafka
 * partitions read at different speeds (a backlog, a replay). So a window none of whose spans is a
 * root (no parent ID) counts as quiet only after `rootlessQuietMs`; its root arriving makes it an
 * ordinary window again. A trace whose root is never reported costs that longer wait.
 *
 * Cost model (why the structure): windows are kept in intrusive doubly-linked lists,
 *   - by open time (append on open, never moves): its head is the next `max_window` due and the
 *     oldest window for memory shedding;
 *   - by last activity (moved to the tail on every add, O(1)), one list for windows with a root and
 *     one for those without: each head is the next `quiet` / `no_root` due.
 * Because the clock is monotonic, every list stays sorted, so `tick` only looks at the heads:
 * O(1) and zero allocation when nothing is due, O(flushed) otherwise. A lazy min-heap would cost
 * O(log n) per re-arm plus stale entries; a timing wheel needs a slot array and still moves windows
 * on every add; neither beats a list that is already in deadline order.
 *
 * Units accounting: each window records which batch ids its spans came from and how many of each
 * (two inline slots, an overflow array only for traces spread over 3+ batches), so the flushed trace
 * carries exactly the units its writer must resolve (protocol.ts `resolved`).
 *
 * Entry storage: one shared slot pool (entries in a JS array, a singly linked chain per trace in an
 * Int32Array, freed chains reused LIFO) instead of an array per trace. A growing JS array adds 16
 * spare slots at every growth (capacity' = capacity * 1.5 + 16), so per-trace arrays cost ~150 B
 * of slack for a 3-span trace; the pool costs 12 B per entry, and the flushed trace gets an array of
 * exactly its size. Measured (Node 20, 600-byte Latin-1 string entries, 2-3 batches per trace), heap
 * beyond the 624 B the string and one array slot cost: per-trace arrays 229 / 133 / 38 / 16 B per
 * entry for 1 / 3 / 10 / 50-span traces, this pool 199 / 83 / 30 / 12 B, at equal or better speed.
 */

export type FlushReason = 'quiet' | 'no_root' | 'max_window' | 'span_cap' | 'memory' | 'drain';

/** What the sampler decided for a trace. Callers should reuse a few constant objects (no per-trace allocation). */
export interface TraceDecision {
  readonly keep: boolean;
  /** Policy name, used as a metric label for drops (e.g. 'always', 'rate', 'error'). */
  readonly policy: string;
}

/** Units held per batch, as parallel arrays (the shape of protocol.ts `ResolvedMessage`). */
export interface BatchUnits {
  ids: number[];
  counts: number[];
}

/** A whole trace leaving its window. `entries` and `batches` are handed over: the receiver owns them. */
export interface FlushedTrace<E> {
  traceId: string;
  entries: E[];
  /** Sum of the byte sizes given to `add`. */
  bytes: number;
  spanCount: number;
  batches: BatchUnits;
  reason: FlushReason;
  openedAt: number;
  lastAt: number;
}

export type FlushSink<E> = (trace: FlushedTrace<E>) => void;

export interface TraceWindowsOptions {
  /** Flush a trace after this long without a new span. [5000] */
  quietMs?: number;
  /**
   * Flush a trace none of whose spans is a root after this long without a new span; never less than
   * `quietMs` (a value at or below it treats every trace alike). [quietMs]
   */
  rootlessQuietMs?: number;
  /** Flush a trace this long after its first span, whatever happens. [30000] */
  maxWindowMs?: number;
  /** Flush a trace as soon as it holds this many spans (Zipkin's reader returns at most 10 000). [10000] */
  maxSpansPerTrace?: number;
  /** Budget for the bytes given to `add`, over all buffered traces. [128 MiB] */
  maxBufferedBytes?: number;
  /** Memory shedding stops once buffered bytes are at most `maxBufferedBytes * lowWaterRatio`. [0.8] */
  lowWaterRatio?: number;
  /** How long a flushed trace's decision is remembered after its last use. [maxWindowMs * 2] */
  lateDecisionTtlMs?: number;
  /** How many decisions are remembered (least recently used forgotten first); 0 disables. [100000] */
  lateDecisionCacheSize?: number;
}

const WINDOW_DEFAULTS = {
  quietMs: 5_000,
  maxWindowMs: 30_000,
  maxSpansPerTrace: 10_000,
  maxBufferedBytes: 128 * 1024 * 1024,
  lowWaterRatio: 0.8,
  lateDecisionCacheSize: 100_000,
} as const;

/** Plain cumulative numbers; the caller diffs them into its stats report. */
export interface WindowCounters {
  /** Traces flushed, by reason. */
  flushedTraces: Record<FlushReason, number>;
  /** Spans flushed, by reason. */
  flushedSpans: Record<FlushReason, number>;
  /** Late spans whose cached decision was keep / drop. */
  lateKept: number;
  lateDropped: number;
  /** Decisions forgotten because their TTL passed / because the cache was full. */
  decisionsExpired: number;
  decisionsEvicted: number;
}

/** One open window. Fields are plain numbers/pointers so V8 keeps one hidden class for all. */
class Window {
  /** Whether one of its spans is a root: which quiet list the window is on. */
  rooted: boolean;
  /** First and last slot of this trace's chain in the entry pool, and its length. */
  head: number;
  tail: number;
  count = 1;
  bytes: number;
  /** Batch slot 0 is always used (the first span's batch); slot 1 is -1 until a second batch shows up. */
  b0: number;
  c0 = 1;
  b1 = -1;
  c1 = 0;
  /** Batches beyond the first two, interleaved [id, count, id, count, …]. */
  more: number[] | null = null;
  agePrev: Window | null = null;
  ageNext: Window | null = null;
  quietPrev: Window | null = null;
  quietNext: Window | null = null;

  constructor(
    readonly traceId: string,
    slot: number,
    bytes: number,
    batchId: number,
    readonly openedAt: number,
    public lastAt: number,
    rooted: boolean,
  ) {
    this.rooted = rooted;
    this.head = slot;
    this.tail = slot;
    this.bytes = bytes;
    this.b0 = batchId;
  }

  countBatch(batchId: number): void {
    if (this.b0 === batchId) {
      this.c0++;
    } else if (this.b1 === batchId) {
      this.c1++;
    } else if (this.b1 === -1) {
      this.b1 = batchId;
      this.c1 = 1;
    } else {
      const more = this.more;
      if (more === null) {
        this.more = [batchId, 1];
        return;
      }
      // Newest batch last: consecutive spans of one batch hit on the first comparison.
      for (let i = more.length - 2; i >= 0; i -= 2) {
        if (more[i] === batchId) {
          more[i + 1] = (more[i + 1] as number) + 1;
          return;
        }
      }
      more.push(batchId, 1);
    }
  }

  batchUnits(): BatchUnits {
    const ids = [this.b0];
    const counts = [this.c0];
    if (this.b1 !== -1) {
      ids.push(this.b1);
      counts.push(this.c1);
    }
    const more = this.more;
    if (more !== null) {
      for (let i = 0; i < more.length; i += 2) {
        ids.push(more[i] as number);
        counts.push(more[i + 1] as number);
      }
    }
    return { ids, counts };
  }
}

/** A list of windows by last activity (linked through `quietPrev`/`quietNext`). */
class QuietList {
  head: Window | null = null;
  tail: Window | null = null;

  append(w: Window): void {
    w.quietPrev = this.tail;
    w.quietNext = null;
    if (this.tail === null) this.head = w;
    else this.tail.quietNext = w;
    this.tail = w;
  }

  unlink(w: Window): void {
    if (w.quietPrev === null) this.head = w.quietNext;
    else w.quietPrev.quietNext = w.quietNext;
    if (w.quietNext === null) this.tail = w.quietPrev;
    else w.quietNext.quietPrev = w.quietPrev;
    w.quietPrev = null;
    w.quietNext = null;
  }
}

/** One remembered decision; the LRU list is also in expiry order (sliding TTL + monotonic clock). */
class DecisionNode {
  prev: DecisionNode | null = null;
  next: DecisionNode | null = null;
  constructor(
    public traceId: string,
    public decision: TraceDecision,
    public expiresAt: number,
  ) {}
}

function checkNumber(name: string, value: number, min: number, integer: boolean): number {
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new RangeError(`window.${name} must be ${integer ? 'an integer' : 'a finite number'} ≥ ${min}, got ${value}`);
  }
  return value;
}

export class TraceWindows<E> {
  readonly quietMs: number;
  /** Quiet time of a window without a root; equal to `quietMs` when roots are not waited for. */
  readonly rootlessQuietMs: number;
  readonly maxWindowMs: number;
  readonly maxSpansPerTrace: number;
  readonly lateDecisionTtlMs: number;
  readonly lateDecisionCacheSize: number;
  private readonly maxBytes: number;
  private readonly lowWaterBytes: number;

  readonly counters: WindowCounters = {
    flushedTraces: { quiet: 0, no_root: 0, max_window: 0, span_cap: 0, memory: 0, drain: 0 },
    flushedSpans: { quiet: 0, no_root: 0, max_window: 0, span_cap: 0, memory: 0, drain: 0 },
    lateKept: 0,
    lateDropped: 0,
    decisionsExpired: 0,
    decisionsEvicted: 0,
  };

  private readonly windows = new Map<string, Window>();
  /** Entry pool: `slots[i]` holds an entry, `nextSlot[i]` the next slot of its chain (or free list), -1 ends. */
  private readonly slots: (E | undefined)[] = [];
  private nextSlot = new Int32Array(1024);
  private freeSlot = -1;
  private ageHead: Window | null = null;
  private ageTail: Window | null = null;
  private readonly quiet = new QuietList();
  private readonly rootless = new QuietList();
  private readonly waitForRoot: boolean;
  private spans = 0;
  private bytes = 0;
  /** Latest time seen; every `now` is clamped up to it. */
  private clock = Number.NEGATIVE_INFINITY;
  /** Latest `quietNow` given to `tick` (never past `clock`). */
  private quietClock = Number.NEGATIVE_INFINITY;
  /** Set while the flush callback runs: windows must not change under an iterating flush loop. */
  private flushing = false;

  private readonly decisions = new Map<string, DecisionNode>();
  private decisionHead: DecisionNode | null = null;
  private decisionTail: DecisionNode | null = null;

  constructor(
    private readonly onFlush: FlushSink<E>,
    options: TraceWindowsOptions = {},
  ) {
    this.quietMs = checkNumber('quietMs', options.quietMs ?? WINDOW_DEFAULTS.quietMs, 1, false);
    this.maxWindowMs = checkNumber('maxWindowMs', options.maxWindowMs ?? WINDOW_DEFAULTS.maxWindowMs, 1, false);
    const rootless = checkNumber('rootlessQuietMs', options.rootlessQuietMs ?? this.quietMs, 0, false);
    this.waitForRoot = rootless > this.quietMs;
    this.rootlessQuietMs = Math.max(rootless, this.quietMs);
    this.maxSpansPerTrace = checkNumber('maxSpansPerTrace', options.maxSpansPerTrace ?? WINDOW_DEFAULTS.maxSpansPerTrace, 1, true);
    const lowWaterRatio = options.lowWaterRatio ?? WINDOW_DEFAULTS.lowWaterRatio;
    if (!(lowWaterRatio > 0 && lowWaterRatio <= 1)) {
      throw new RangeError(`window.lowWaterRatio must be in (0, 1], got ${lowWaterRatio}`);
    }
    this.maxBytes = checkNumber('maxBufferedBytes', options.maxBufferedBytes ?? WINDOW_DEFAULTS.maxBufferedBytes, 1, false);
    this.lowWaterBytes = Math.floor(this.maxBytes * lowWaterRatio);
    this.lateDecisionTtlMs = checkNumber('lateDecisionTtlMs', options.lateDecisionTtlMs ?? this.maxWindowMs * 2, 0, false);
    this.lateDecisionCacheSize = checkNumber(
      'lateDecisionCacheSize',
      options.lateDecisionCacheSize ?? WINDOW_DEFAULTS.lateDecisionCacheSize,
      0,
      true,
    );
  }

  /** Buffered spans (gauge). */
  get bufferedSpans(): number {
    return this.spans;
  }

  /** Open windows (gauge). */
  get bufferedTraces(): number {
    return this.windows.size;
  }

  /** Sum of the byte sizes of buffered entries (gauge). */
  get bufferedBytes(): number {
    return this.bytes;
  }

  /** Decisions currently remembered (gauge). */
  get decisionCacheSize(): number {
    return this.decisions.size;
  }

  /**
   * Buffers one span (`entry`, `bytes` of budget, one unit of batch `batchId`; `root` when it has no
   * parent ID) of `traceId`, or, if
   * the trace was already flushed and its decision is remembered, returns that decision without
   * buffering: the caller then writes or drops the span itself and resolves its unit.
   * May call the flush callback synchronously (span cap, memory budget).
   */
  add(traceId: string, entry: E, bytes: number, batchId: number, now: number, root = false): 'buffered' | TraceDecision {
    if (this.flushing) throw new Error('TraceWindows.add called from inside the flush callback');
    if (!(bytes >= 0) || !(batchId >= 0)) {
      throw new RangeError(`TraceWindows.add: bytes and batchId must be ≥ 0, got bytes=${bytes} batchId=${batchId}`);
    }
    if (now > this.clock) this.clock = now;
    else now = this.clock;

    let w = this.windows.get(traceId);
    if (w === undefined) {
      if (this.decisions.size !== 0) {
        const decision = this.lookupDecision(traceId, now);
        if (decision !== undefined) {
          if (decision.keep) this.counters.lateKept++;
          else this.counters.lateDropped++;
          return decision;
        }
      }
      w = new Window(traceId, this.allocSlot(entry), bytes, batchId, now, now, root || !this.waitForRoot);
      this.windows.set(traceId, w);
      this.ageAppend(w);
      this.quietListOf(w).append(w);
    } else {
      const slot = this.allocSlot(entry);
      this.nextSlot[w.tail] = slot;
      w.tail = slot;
      w.count++;
      w.bytes += bytes;
      w.lastAt = now;
      w.countBatch(batchId);
      if (root && !w.rooted) {
        this.rootless.unlink(w);
        w.rooted = true;
        this.quiet.append(w);
      } else {
        const list = this.quietListOf(w);
        if (list.tail !== w) {
          list.unlink(w);
          list.append(w);
        }
      }
    }
    this.spans++;
    this.bytes += bytes;

    if (w.count >= this.maxSpansPerTrace) this.flush(w, 'span_cap');
    if (this.bytes > this.maxBytes) this.shed();
    return 'buffered';
  }

  /**
   * Advances time: flushes quiet and over-age windows, sheds memory if over budget, and forgets
   * expired decisions. Returns the number of traces flushed. Allocates nothing when nothing is due.
   * `quietNow` (at most `now`) is the time up to which every span that may join a window has
   * arrived (src/ingest/quiet-clock.ts): quiet time is measured against it, age and TTLs against `now`.
   */
  tick(now: number, quietNow?: number): number {
    if (this.flushing) throw new Error('TraceWindows.tick called from inside the flush callback');
    if (now > this.clock) this.clock = now;
    else now = this.clock;
    const q = quietNow === undefined ? now : Math.min(quietNow, now);
    if (q > this.quietClock) this.quietClock = q;
    const quietAt = this.quietClock;
    let flushed = 0;

    // A window that is both quiet and over age is labelled by its quiet list: it ended on its own.
    const quietBefore = quietAt - this.quietMs;
    for (let w = this.quiet.head; w !== null && w.lastAt <= quietBefore; w = this.quiet.head) {
      this.flush(w, 'quiet');
      flushed++;
    }
    const rootlessBefore = quietAt - this.rootlessQuietMs;
    for (let w = this.rootless.head; w !== null && w.lastAt <= rootlessBefore; w = this.rootless.head) {
      this.flush(w, 'no_root');
      flushed++;
    }
    const openedBefore = now - this.maxWindowMs;
    for (let w = this.ageHead; w !== null && w.openedAt <= openedBefore; w = this.ageHead) {
      this.flush(w, 'max_window');
      flushed++;
    }
    if (this.bytes > this.maxBytes) flushed += this.shed();

    for (let d = this.decisionHead; d !== null && d.expiresAt <= now; d = this.decisionHead) {
      this.decisionRemove(d);
      this.counters.decisionsExpired++;
    }
    return flushed;
  }

  /** Flushes every window (oldest first) with reason 'drain'. Returns the number flushed. */
  flushAll(): number {
    if (this.flushing) throw new Error('TraceWindows.flushAll called from inside the flush callback');
    let flushed = 0;
    for (let w = this.ageHead; w !== null; w = this.ageHead) {
      this.flush(w, 'drain');
      flushed++;
    }
    return flushed;
  }

  /**
   * Remembers what was decided for a flushed trace, so its late spans follow the same decision.
   * Call it from the flush callback (or before the next `add`), or late spans that arrive in
   * between open a new window instead.
   */
  recordDecision(traceId: string, decision: TraceDecision, now: number): void {
    if (this.lateDecisionCacheSize === 0 || this.lateDecisionTtlMs === 0) return;
    if (now > this.clock) this.clock = now;
    else now = this.clock;
    const expiresAt = now + this.lateDecisionTtlMs;
    let node = this.decisions.get(traceId);
    if (node !== undefined) {
      node.decision = decision;
      node.expiresAt = expiresAt;
      this.decisionToTail(node);
      return;
    }
    if (this.decisions.size >= this.lateDecisionCacheSize) {
      // Recycle the least recently used node: no allocation once the cache is full.
      node = this.decisionHead as DecisionNode;
      this.decisionRemove(node);
      this.counters.decisionsEvicted++;
      node.traceId = traceId;
      node.decision = decision;
      node.expiresAt = expiresAt;
    } else {
      node = new DecisionNode(traceId, decision, expiresAt);
    }
    this.decisions.set(traceId, node);
    this.decisionAppend(node);
  }

  /** The remembered decision for `traceId`, if any and not expired; does not count as a late span nor refresh it. */
  decisionFor(traceId: string, now: number): TraceDecision | undefined {
    const node = this.decisions.get(traceId);
    if (node === undefined || node.expiresAt <= Math.max(now, this.clock)) return undefined;
    return node.decision;
  }

  private lookupDecision(traceId: string, now: number): TraceDecision | undefined {
    const node = this.decisions.get(traceId);
    if (node === undefined) return undefined;
    if (node.expiresAt <= now) {
      this.decisionRemove(node);
      this.counters.decisionsExpired++;
      return undefined;
    }
    // Sliding TTL: a trace still receiving late spans stays remembered.
    node.expiresAt = now + this.lateDecisionTtlMs;
    this.decisionToTail(node);
    return node.decision;
  }

  /** Sheds oldest windows until at most the low-water mark. Returns the number flushed. */
  private shed(): number {
    let flushed = 0;
    for (let w = this.ageHead; w !== null && this.bytes > this.lowWaterBytes; w = this.ageHead) {
      this.flush(w, 'memory');
      flushed++;
    }
    return flushed;
  }

  private flush(w: Window, reason: FlushReason): void {
    this.windows.delete(w.traceId);
    this.ageUnlink(w);
    this.quietListOf(w).unlink(w);
    const spanCount = w.count;
    // Copy the chain into an array of exactly its size, clear the slots, give the chain back.
    const entries = new Array<E>(spanCount);
    const slots = this.slots;
    const nextSlot = this.nextSlot;
    for (let k = 0, i = w.head; k < spanCount; k++) {
      entries[k] = slots[i] as E;
      slots[i] = undefined;
      i = nextSlot[i] as number;
    }
    nextSlot[w.tail] = this.freeSlot;
    this.freeSlot = w.head;
    this.spans -= spanCount;
    this.bytes -= w.bytes;
    this.counters.flushedTraces[reason]++;
    this.counters.flushedSpans[reason] += spanCount;
    const trace: FlushedTrace<E> = {
      traceId: w.traceId,
      entries,
      bytes: w.bytes,
      spanCount,
      batches: w.batchUnits(),
      reason,
      openedAt: w.openedAt,
      lastAt: w.lastAt,
    };
    // State is consistent before the callback runs: if it throws, the trace is the caller's and
    // the remaining due windows flush on the next tick.
    this.flushing = true;
    try {
      this.onFlush(trace);
    } finally {
      this.flushing = false;
    }
  }

  private allocSlot(entry: E): number {
    let i = this.freeSlot;
    if (i !== -1) {
      this.freeSlot = this.nextSlot[i] as number;
      this.slots[i] = entry;
    } else {
      i = this.slots.length;
      this.slots.push(entry);
      if (i === this.nextSlot.length) {
        const grown = new Int32Array(i * 2);
        grown.set(this.nextSlot);
        this.nextSlot = grown;
      }
    }
    this.nextSlot[i] = -1;
    return i;
  }

  private ageAppend(w: Window): void {
    w.agePrev = this.ageTail;
    w.ageNext = null;
    if (this.ageTail === null) this.ageHead = w;
    else this.ageTail.ageNext = w;
    this.ageTail = w;
  }

  private ageUnlink(w: Window): void {
    if (w.agePrev === null) this.ageHead = w.ageNext;
    else w.agePrev.ageNext = w.ageNext;
    if (w.ageNext === null) this.ageTail = w.agePrev;
    else w.ageNext.agePrev = w.agePrev;
    w.agePrev = null;
    w.ageNext = null;
  }

  private quietListOf(w: Window): QuietList {
    return w.rooted ? this.quiet : this.rootless;
  }

  private decisionAppend(node: DecisionNode): void {
    node.prev = this.decisionTail;
    node.next = null;
    if (this.decisionTail === null) this.decisionHead = node;
    else this.decisionTail.next = node;
    this.decisionTail = node;
  }

  private decisionToTail(node: DecisionNode): void {
    if (this.decisionTail === node) return;
    // Unlink without touching the map, then append.
    if (node.prev === null) this.decisionHead = node.next;
    else node.prev.next = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    this.decisionAppend(node);
  }

  private decisionRemove(node: DecisionNode): void {
    this.decisions.delete(node.traceId);
    if (node.prev === null) this.decisionHead = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.decisionTail = node.prev;
    else node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
  }
}
