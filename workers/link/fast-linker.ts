/**
 * The common case of `linkTrace`, read straight from buffered span facts: every unshared span ID
 * occurs once, and a shared span (a server reusing its client's ID, as Brave and most Zipkin
 * instrumentation report RPCs) at most once per ID. Then Zipkin's merge step (`Trace.merge`) has
 * nothing to join, its one repair (a shared span without a parent takes its client's) is applied
 * here, and the tree is the one `SpanNode.Builder` makes: a shared span hangs under the span whose
 * ID it shares; a span's parent is the shared span of its parent ID when that one has the same
 * local endpoint, else the unshared span of that ID. The same rules (linker.ts) then apply node by
 * node. The trace is read as columns (columns.ts): IDs as words in open-addressing tables, index
 * arrays instead of string-keyed maps, no merged copies and no node per span; that is what keeps
 * linking every assembled trace affordable (benchmark: pipeline phase).
 *
 * Other repeated IDs are merged by Zipkin's rules first (mergeRepeatedIds, on facts records). For
 * the rare shapes whose tree this does not reproduce (and IDs that are not 16 hex digits) it says
 * so; the general path takes those.
 * Links come out in a different order than `linkTrace`'s (counting needs no sibling sort); the
 * counts are the same, which the unit test checks against `linkTrace` on random traces.
 */
import { FACT_ERROR_TAG, FACT_SHARED } from '../assemble/facts.js';
import { flagsOfBits, kindOfBits } from '../assemble/rows.js';
import { HAS_PARENT, TraceColumns } from './columns.js';
import { type LinkFacts, linkSpanOfFacts } from './facts.js';
import { readHexId } from './hex-id.js';
import { type Link, type LinkOut, type LinkSpan, linkNode, mergeSpans, TraceLinks } from './linker.js';

/** Parent slot of the virtual top node (the root's place when the trace has no root span). */
const TOP = -1;
/** Parent slot of a span that is its own parent: never attached, never linked (as in Zipkin). */
const DETACHED = -2;
/** No slot found (yet). */
const NONE = -3;

/**
 * The links of the trace in `c` into `out`. False when this path does not reproduce Zipkin's tree:
 * nothing was added then, and the general linker (linkTrace) must take the trace. Only the shared
 * spans' parent IDs in `c` may change (Zipkin's repair, below).
 */
export function linkColumns(trace: TraceColumns, out: LinkOut): boolean {
  let c = trace;
  if (c.n === 0) return true;
  if (c.n === 1) {
    linkAlone(c, out);
    return true;
  }
  const ix = index.resize(c.n);
  let overrides: Map<number, LinkFacts[]> | undefined;
  const conflicted = ix.build(c, false);
  if (conflicted > 0) {
    // An ID repeats beyond one RPC's client and server: merge those first, as Zipkin does.
    overrides = mergeRepeatedIds(c, ix, conflicted, merged);
    if (overrides === undefined) return false;
    if (overrides.size === 0) overrides = undefined;
    c = merged;
    if (ix.resize(c.n).build(c, true) < 0) return false;
  }
  const n = c.n;
  const ids = c.ids;
  const bits = c.bits;
  const root = ix.root;
  const top = root >= 0 ? root : TOP;
  const parent = ix.parent;
  const childCount = ix.childCount;
  childCount.fill(0, 0, n);
  for (let i = 0; i < n; i++) {
    if (i === root) {
      parent[i] = TOP;
      continue;
    }
    const b = bits[i] as number;
    let slot = NONE;
    if ((flagsOfBits(b) & FACT_SHARED) !== 0) {
      const client = ix.find(ix.unshared, ids[i * 4] as number, ids[i * 4 + 1] as number);
      slot = client < 0 ? top : client;
      if ((b & HAS_PARENT) === 0 && client >= 0 && ((bits[client] as number) & HAS_PARENT) !== 0) {
        // Zipkin's repair: a shared span without a parent takes its client's (the columns are scratch).
        ids[i * 4 + 2] = ids[client * 4 + 2] as number;
        ids[i * 4 + 3] = ids[client * 4 + 3] as number;
        bits[i] = b | HAS_PARENT;
      }
    } else {
      const pieces = overrides?.get(i);
      if (pieces !== undefined) {
        // Unmerged pieces of one ID: the last piece (in Zipkin's order) naming a shared parent on
        // its own endpoint decides, as its map write is the last.
        const words = ix.words;
        for (let k = pieces.length - 1; k >= 0 && slot === NONE; k--) {
          const piece = pieces[k] as LinkFacts;
          if (piece.parentId !== '' && readHexId(piece.parentId, words, 0)) {
            slot = ix.serverOf(c, words[0] as number, words[1] as number, piece.service, piece.endpoint);
          }
        }
      } else if ((b & HAS_PARENT) !== 0) {
        slot = ix.serverOf(c, ids[i * 4 + 2] as number, ids[i * 4 + 3] as number, c.services[i] as string, c.endpoints[i] as string);
      }
      if (slot === NONE) {
        const p = (b & HAS_PARENT) !== 0 ? ix.find(ix.unshared, ids[i * 4 + 2] as number, ids[i * 4 + 3] as number) : -1;
        // A missing or unknown parent hangs the span under the root (or the virtual top).
        slot = p < 0 ? top : p === i ? DETACHED : p;
      }
    }
    parent[i] = slot;
    if (slot >= 0) childCount[slot] = (childCount[slot] as number) + 1;
  }
  // Spans in a parent cycle are not reachable from the top: Zipkin's walk never visits them.
  const reached = reachable(parent, n, ix.state);
  for (let i = 0; i < n; i++) {
    if (reached[i] === 0) continue;
    let a = parent[i] as number;
    while (a >= 0 && kindOfBits(bits[a] as number) === '') a = parent[a] as number;
    const b = bits[i] as number;
    const parentIsAncestor = a >= 0 && (b & HAS_PARENT) !== 0 && ids[i * 4 + 2] === ids[a * 4] && ids[i * 4 + 3] === ids[a * 4 + 1];
    linkRow(out, c, i, i === root, childCount[i] !== 0, parentIsAncestor, a);
  }
  return true;
}

/** `linkColumns` over facts records (tests, the oracle); undefined where the general linker is needed. */
export function linkFacts(input: readonly LinkFacts[]): Link[] | undefined {
  const c = new TraceColumns();
  if (!c.fill(input)) return undefined;
  const out = new TraceLinks();
  return linkColumns(c, out) ? out.list : undefined;
}

/**
 * Where each ID is: open-addressing tables of row + 1 by ID words (unshared spans; the first
 * shared span of an ID, further ones chained in `nextShared`), the root, and the tree's scratch.
 */
class IdIndex {
  unshared = new Int32Array(0);
  shared = new Int32Array(0);
  /** IDs that repeat with the same shared flag (before the merge), by the row that repeated it. */
  conflicts = new Int32Array(0);
  /** Group number of such a row: the conflicted IDs numbered from 0. */
  group = new Int32Array(0);
  nextShared = new Int32Array(0);
  lastShared = new Int32Array(0);
  parent = new Int32Array(0);
  childCount = new Int32Array(0);
  state = new Uint8Array(0);
  /** Scratch for one ID's two words. */
  readonly words = new Int32Array(2);
  /** The parentless unshared span with the lowest ID (Zipkin sorts by ID before building the tree), or -1. */
  root = -1;
  private mask = 0;
  private shift = 0;
  private rows = 0;
  private ids = new Int32Array(0);

  /** Room for `n` spans. */
  resize(n: number): this {
    if (n > this.rows) {
      let rows = Math.max(64, this.rows);
      while (rows < n) rows *= 2;
      this.rows = rows;
      this.nextShared = new Int32Array(rows);
      this.group = new Int32Array(rows);
      this.lastShared = new Int32Array(rows);
      this.parent = new Int32Array(rows);
      this.childCount = new Int32Array(rows);
      this.state = new Uint8Array(rows);
    }
    // Tables at most half full.
    let size = 16;
    while (size < n * 2) size *= 2;
    if (this.unshared.length < size) {
      this.unshared = new Int32Array(size);
      this.shared = new Int32Array(size);
      this.conflicts = new Int32Array(size);
    }
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
    this.unshared.fill(0, 0, size);
    this.shared.fill(0, 0, size);
    this.conflicts.fill(0, 0, size);
    return this;
  }

  /**
   * One pass over the spans. Before the merge (`merged` false) it returns how many IDs repeat with
   * the same shared flag, numbered in `conflicts` (then the index is only good for finding them: the
   * caller merges and builds again). After the merge several shared spans of one ID (servers on
   * different endpoints) are expected, and an unshared ID that still repeats makes it -1.
   */
  build(c: TraceColumns, merged: boolean): number {
    const ids = c.ids;
    this.ids = ids;
    let conflicted = 0;
    let root = -1;
    for (let i = 0; i < c.n; i++) {
      const hi = ids[i * 4] as number;
      const lo = ids[i * 4 + 1] as number;
      const b = c.bits[i] as number;
      if ((flagsOfBits(b) & FACT_SHARED) !== 0) {
        const first = this.find(this.shared, hi, lo);
        this.nextShared[i] = -1;
        if (first < 0) {
          this.insert(this.shared, hi, lo, i);
          this.lastShared[i] = i;
          continue;
        }
        if (!merged) {
          conflicted = this.conflict(hi, lo, i, conflicted);
          continue;
        }
        this.nextShared[this.lastShared[first] as number] = i;
        this.lastShared[first] = i;
        continue;
      }
      if (this.find(this.unshared, hi, lo) >= 0) {
        if (merged) return -1;
        conflicted = this.conflict(hi, lo, i, conflicted);
        continue;
      }
      this.insert(this.unshared, hi, lo, i);
      if ((b & HAS_PARENT) === 0 && (root < 0 || idBelow(ids, i, root))) root = i;
    }
    this.root = root;
    return conflicted;
  }

  /** The row `table` holds for an ID, or -1. */
  find(table: Int32Array, hi: number, lo: number): number {
    const ids = this.ids;
    for (let j = this.slot(hi, lo); ; j = (j + 1) & this.mask) {
      const v = table[j] as number;
      if (v === 0) return -1;
      const row = v - 1;
      if (ids[row * 4] === hi && ids[row * 4 + 1] === lo) return row;
    }
  }

  /** The group of a span whose ID repeats (numbered by `build`), or -1. */
  groupOfId(hi: number, lo: number): number {
    const row = this.find(this.conflicts, hi, lo);
    return row < 0 ? -1 : (this.group[row] as number);
  }

  /** The shared span of a parent ID on the child's own local endpoint, if any: the child's parent then. */
  serverOf(c: TraceColumns, hi: number, lo: number, service: string, endpoint: string): number {
    for (let j = this.find(this.shared, hi, lo); j >= 0; j = this.nextShared[j] as number) {
      // Zipkin's key of a local endpoint: service name, addresses and port all equal (or both absent).
      if (c.services[j] === service && c.endpoints[j] === endpoint) return j;
    }
    return NONE;
  }

  /** Numbers a repeated ID (seen again at `row`) unless it already is; the count of groups after. */
  private conflict(hi: number, lo: number, row: number, groups: number): number {
    if (this.find(this.conflicts, hi, lo) >= 0) return groups;
    this.insert(this.conflicts, hi, lo, row);
    this.group[row] = groups;
    return groups + 1;
  }

  private insert(table: Int32Array, hi: number, lo: number, row: number): void {
    let j = this.slot(hi, lo);
    while (table[j] !== 0) j = (j + 1) & this.mask;
    table[j] = row + 1;
  }

  private slot(hi: number, lo: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }
}

const index = new IdIndex();
/** The trace after Zipkin's merge of its repeated IDs. */
const merged = new TraceColumns();

/** Whether span `i`'s ID sorts before span `j`'s (as hex strings: unsigned words, high first). */
function idBelow(ids: Int32Array, i: number, j: number): boolean {
  const a = (ids[i * 4] as number) >>> 0;
  const b = (ids[j * 4] as number) >>> 0;
  if (a !== b) return a < b;
  return (ids[i * 4 + 1] as number) >>> 0 < (ids[j * 4 + 1] as number) >>> 0;
}

/**
 * Zipkin's merge step for the IDs that repeat: `groups` of them, numbered by `ix.build`. One unshared
 * and one shared span of an ID (an RPC reported by both sides) need nothing; other repeats are
 * merged by Zipkin's own code (`mergeSpans`) on just those spans, as records. Of pieces that stay
 * apart Zipkin's tree keeps the last (by its sort order) under their key: the others are never
 * attached, so they are left out here. The merged trace goes into `into` (the other spans copied as
 * they are); returned: node index → the unmerged unshared pieces of its ID, in Zipkin's order (the
 * node is the last). Undefined for the cases whose map semantics this does not reproduce (the
 * general path takes them).
 */
function mergeRepeatedIds(c: TraceColumns, ix: IdIndex, groups: number, into: TraceColumns): Map<number, LinkFacts[]> | undefined {
  const members: number[][] = Array.from({ length: groups }, () => []);
  const groupOf = ix.parent; // free until the tree is built
  for (let i = 0; i < c.n; i++) {
    const g = ix.groupOfId(c.ids[i * 4] as number, c.ids[i * 4 + 1] as number);
    groupOf[i] = g;
    if (g >= 0) (members[g] as number[]).push(i);
  }
  const kept: LinkFacts[][] = [];
  const piecesOf: (LinkFacts[] | undefined)[] = [];
  for (const group of members) {
    const survivors = mergeSpans(group.map((i) => linkSpanOfFacts('', c.factsAt(i)))).map(factsOfLinkSpan);
    const pieces = survivors.filter((f) => (f.flags & FACT_SHARED) === 0);
    const servers = survivors.filter((f) => (f.flags & FACT_SHARED) !== 0);
    if (pieces.length > 1 && pieces.some((f) => f.parentId === '')) return undefined;
    if (servers.length > 1 && servers.some((f) => f.service === '' && f.endpoint === '')) return undefined;
    for (let k = 0; k < servers.length; k++) {
      for (let m = k + 1; m < servers.length; m++)
        if (sameLocalEndpoint(servers[k] as LinkFacts, servers[m] as LinkFacts)) return undefined;
    }
    kept.push(pieces.length > 0 ? [pieces[pieces.length - 1] as LinkFacts, ...servers] : servers);
    piecesOf.push(pieces.length > 1 ? pieces : undefined);
  }
  // Merging never adds spans: `into` needs no more rows than the input.
  into.resize(c.n);
  const overrides = new Map<number, LinkFacts[]>();
  let n = 0;
  for (let i = 0; i < c.n; i++) {
    const g = groupOf[i] as number;
    if (g < 0) {
      into.copy(n++, c, i);
      continue;
    }
    // The group takes the place of its first span.
    if ((members[g] as number[])[0] !== i) continue;
    const pieces = piecesOf[g];
    if (pieces !== undefined) overrides.set(n, pieces);
    for (const f of kept[g] as LinkFacts[]) if (!into.set(n++, f)) return undefined;
  }
  into.n = n;
  return overrides;
}

/** A merged record back in facts form (endpoint key as `localEndpointKey` makes it). */
function factsOfLinkSpan(s: LinkSpan): LinkFacts {
  const port = s.localPort ?? 0;
  const hasAddress = s.localIpv4 !== undefined || s.localIpv6 !== undefined || port !== 0;
  return {
    id: s.id,
    parentId: s.parentId ?? '',
    kind: s.kind ?? '',
    service: s.localServiceName ?? '',
    remoteService: s.remoteServiceName ?? '',
    name: '',
    timestamp: s.timestamp ?? 0,
    duration: 0,
    flags: (s.error ? FACT_ERROR_TAG : 0) | (s.shared === true ? FACT_SHARED : 0),
    endpoint: hasAddress ? `${s.localIpv4 ?? ''}|${s.localIpv6 ?? ''}|${port}` : '',
  };
}

/** Zipkin's key of a local endpoint: service name, addresses and port all equal (or both absent). */
function sameLocalEndpoint(a: LinkFacts, b: LinkFacts): boolean {
  return a.service === b.service && a.endpoint === b.endpoint;
}

/**
 * A one-span trace (fragment): the common case of late spans. Root or under the virtual top, it has
 * no ancestor and no child, so only its own kind and names can make a link (none when it is its
 * own parent: Zipkin never attaches it).
 */
function linkAlone(c: TraceColumns, out: LinkOut): void {
  const b = c.bits[0] as number;
  const shared = (flagsOfBits(b) & FACT_SHARED) !== 0;
  const hasParent = (b & HAS_PARENT) !== 0;
  if (!shared && hasParent && c.ids[2] === c.ids[0] && c.ids[3] === c.ids[1]) return;
  linkRow(out, c, 0, !shared && !hasParent, false, false, -1);
}

/** `linkNode` for span `i` ('' is absent), with the nearest ancestor with a kind at `a` (-1: none). */
function linkRow(
  out: LinkOut,
  c: TraceColumns,
  i: number,
  isRoot: boolean,
  hasChildren: boolean,
  parentIsAncestor: boolean,
  a: number,
): void {
  const service = c.services[i] as string;
  const remote = c.remoteServices[i] as string;
  const b = c.bits[i] as number;
  let ancestorKind: ReturnType<typeof kindOfBits> | undefined;
  let ancestorService: string | undefined;
  let ancestorError = false;
  if (a >= 0) {
    const ab = c.bits[a] as number;
    ancestorKind = kindOfBits(ab);
    const s = c.services[a] as string;
    ancestorService = s === '' ? undefined : s;
    ancestorError = (flagsOfBits(ab) & FACT_ERROR_TAG) !== 0;
  }
  linkNode(
    out,
    kindOfBits(b),
    service === '' ? undefined : service,
    remote === '' ? undefined : remote,
    (flagsOfBits(b) & FACT_ERROR_TAG) !== 0,
    isRoot,
    hasChildren,
    parentIsAncestor,
    ancestorKind,
    ancestorService,
    ancestorError,
  );
}

/** 1 for each span whose parent chain ends at the top (or the root), 0 for spans in a cycle or detached. */
function reachable(parent: Int32Array, n: number, state: Uint8Array): Uint8Array {
  // 0 unknown, 1 reachable, 2 not reachable, 3 on the current walk.
  state.fill(0, 0, n);
  for (let i = 0; i < n; i++) {
    if (state[i] !== 0) continue;
    let j = i;
    let verdict = 0;
    for (;;) {
      const p = parent[j] as number;
      state[j] = 3;
      if (p === TOP) {
        verdict = 1;
        break;
      }
      if (p === DETACHED) {
        verdict = 2;
        break;
      }
      const sp = state[p] as number;
      if (sp === 1 || sp === 2) {
        verdict = sp;
        break;
      }
      if (sp === 3) {
        verdict = 2;
        break;
      }
      j = p;
    }
    // Second pass over the same walk sets the verdict.
    j = i;
    while (state[j] === 3) {
      state[j] = verdict;
      const p = parent[j] as number;
      if (p < 0) break;
      j = p;
    }
  }
  for (let i = 0; i < n; i++) if (state[i] !== 1) state[i] = 0;
  return state;
}
