/**
 * The common case of `linkTrace`, read straight from buffered span facts: every unshared span ID
 * occurs once, and a shared span (a server reusing its client's ID, as Brave and most Zipkin
 * instrumentation report RPCs) at most once per ID. Then Zipkin's merge step (`Trace.merge`) has
 * nothing to join, its one repair (a shared span without a parent takes its client's) is applied
 * here, and the tree is the one `SpanNode.Builder` makes: a shared span hangs under the span whose
 * ID it shares; a span's parent is the shared span of its parent ID when that one has the same
 * local endpoint, else the unshared span of that ID. The same rules (linker.ts) then apply node by
 * node. Index arrays instead of string-keyed maps, merged copies and a node per span are what keep
 * linking every assembled trace affordable (benchmark: pipeline phase).
 *
 * Other repeated IDs are merged by Zipkin's rules first (mergeRepeatedIds). Returns undefined for
 * the rare shapes whose tree this does not reproduce; the general path takes those.
 * Links come out in a different order than `linkTrace`'s (counting needs no sibling sort); the
 * counts are the same, which the unit test checks against `linkTrace` on random traces.
 */
import { FACT_ERROR_TAG, FACT_SHARED } from '../assemble/facts.js';
import { type LinkFacts, linkSpanOfFacts } from './facts.js';
import { type Link, type LinkSpan, linkNode, mergeSpans, TraceLinks } from './linker.js';

/** Parent slot of the virtual top node (the root's place when the trace has no root span). */
const TOP = -1;
/** Parent slot of a span that is its own parent: never attached, never linked (as in Zipkin). */
const DETACHED = -2;

export function linkFacts(input: readonly LinkFacts[]): Link[] | undefined {
  if (input.length === 0) return [];
  if (input.length === 1) return linkAlone(input[0] as LinkFacts);
  let spans = input;
  let overrides: Map<number, LinkFacts[]> | undefined;
  let ids = indexIds(spans, false);
  if (ids?.conflicted !== undefined) {
    // An ID repeats beyond one RPC's client and server: merge those first, as Zipkin does.
    const merged = mergeRepeatedIds(input, ids.conflicted);
    if (merged === undefined) return undefined;
    spans = merged.spans;
    overrides = merged.overrides;
    ids = indexIds(spans, true);
  }
  if (ids === undefined) return undefined;
  const n = spans.length;
  const { unshared, root } = ids;
  const top = root >= 0 ? root : TOP;
  const parent = new Int32Array(n);
  const childCount = new Int32Array(n);
  /** Parent IDs after Zipkin's repair of shared spans (only those can differ from the facts). */
  let parentIds: string[] | undefined;
  for (let i = 0; i < n; i++) {
    if (i === root) {
      parent[i] = TOP;
      continue;
    }
    const s = spans[i] as LinkFacts;
    let slot: number | undefined;
    if ((s.flags & FACT_SHARED) !== 0) {
      const client = unshared.get(s.id);
      slot = client === undefined ? top : client;
      if (s.parentId === '' && client !== undefined && (spans[client] as LinkFacts).parentId !== '') {
        parentIds ??= spans.map((f) => f.parentId);
        parentIds[i] = (spans[client] as LinkFacts).parentId;
      }
    } else {
      const pieces = overrides?.get(i);
      if (pieces !== undefined) {
        // Unmerged pieces of one ID: the last piece (in Zipkin's order) naming a shared parent on
        // its own endpoint decides, as its map write is the last.
        for (let k = pieces.length - 1; k >= 0 && slot === undefined; k--) {
          const piece = pieces[k] as LinkFacts;
          if (piece.parentId !== '') slot = serverOf(spans, ids, piece.parentId, piece);
        }
      } else if (s.parentId !== '') {
        slot = serverOf(spans, ids, s.parentId, s);
      }
      if (slot === undefined) {
        const p = unshared.get(s.parentId);
        // A missing or unknown parent hangs the span under the root (or the virtual top).
        slot = p === undefined ? top : p === i ? DETACHED : p;
      }
    }
    parent[i] = slot;
    if (slot >= 0) childCount[slot] = (childCount[slot] as number) + 1;
  }
  // Spans in a parent cycle are not reachable from the top: Zipkin's walk never visits them.
  const reached = reachable(parent, n);

  const out = new TraceLinks();
  for (let i = 0; i < n; i++) {
    if (reached[i] === 0) continue;
    const span = spans[i] as LinkFacts;
    let a = parent[i] as number;
    while (a >= 0 && (spans[a] as LinkFacts).kind === '') a = parent[a] as number;
    const ancestor = a >= 0 ? (spans[a] as LinkFacts) : undefined;
    linkSpan(out, span, i === root, childCount[i] !== 0, parentIds === undefined ? span.parentId : (parentIds[i] as string), ancestor);
  }
  return out.list;
}

interface IdIndex {
  /** Unshared span by ID. */
  unshared: Map<string, number>;
  /** The first shared span of an ID; further ones (other endpoints, after a merge) in `moreShared`. */
  shared: Map<string, number> | undefined;
  moreShared: Map<string, number[]> | undefined;
  /** The parentless unshared span with the lowest ID (Zipkin sorts by ID before building the tree), or -1. */
  root: number;
  /** Before the merge: the IDs that repeat with the same shared flag (the caller merges them first). */
  conflicted: Set<string> | undefined;
}

/**
 * One pass over the spans: where each ID is, and which IDs repeat with the same shared flag (then
 * the index is only good for finding them: the caller merges and indexes again). After the merge
 * (`merged`), several shared spans of one ID (servers on different endpoints) are expected, and an
 * unshared ID that still repeats makes it undefined.
 */
function indexIds(spans: readonly LinkFacts[], merged: boolean): IdIndex | undefined {
  const unshared = new Map<string, number>();
  let shared: Map<string, number> | undefined;
  let moreShared: Map<string, number[]> | undefined;
  let conflicted: Set<string> | undefined;
  let root = -1;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i] as LinkFacts;
    if ((s.flags & FACT_SHARED) !== 0) {
      shared ??= new Map();
      if (!shared.has(s.id)) {
        shared.set(s.id, i);
        continue;
      }
      if (!merged) {
        conflicted ??= new Set();
        conflicted.add(s.id);
        continue;
      }
      moreShared ??= new Map();
      const list = moreShared.get(s.id);
      if (list === undefined) moreShared.set(s.id, [i]);
      else list.push(i);
      continue;
    }
    if (unshared.has(s.id)) {
      if (merged) return undefined;
      conflicted ??= new Set();
      conflicted.add(s.id);
      continue;
    }
    unshared.set(s.id, i);
    if (s.parentId === '' && (root < 0 || s.id < (spans[root] as LinkFacts).id)) root = i;
  }
  return { unshared, shared, moreShared, root, conflicted };
}

/** The shared span of `parentId` on the child's own local endpoint, if any: the child's parent then. */
function serverOf(spans: readonly LinkFacts[], ids: IdIndex, parentId: string, child: LinkFacts): number | undefined {
  const first = ids.shared?.get(parentId);
  if (first === undefined) return undefined;
  if (sameLocalEndpoint(child, spans[first] as LinkFacts)) return first;
  const more = ids.moreShared?.get(parentId);
  if (more !== undefined) for (const j of more) if (sameLocalEndpoint(child, spans[j] as LinkFacts)) return j;
  return undefined;
}

interface Merged {
  /** One record per tree node: the input, or with repeated IDs replaced by what Zipkin merges them to. */
  spans: readonly LinkFacts[];
  /** Node index → the unmerged unshared pieces of its ID, in Zipkin's order (the node is the last). */
  overrides: Map<number, LinkFacts[]> | undefined;
}

/**
 * Zipkin's merge step for the IDs that repeat. One unshared and one shared span of an ID (an RPC
 * reported by both sides) need nothing; other repeats are merged by Zipkin's own code
 * (`mergeSpans`) on just those spans. Of pieces that stay apart Zipkin's tree keeps the last (by
 * its sort order) under their key: the others are never attached, so they are left out here.
 * Undefined for the cases whose map semantics this does not reproduce (the general path takes them).
 */
function mergeRepeatedIds(input: readonly LinkFacts[], conflicted: ReadonlySet<string>): Merged | undefined {
  // `conflicted`: IDs whose unshared or whose shared spans repeat (indexIds); an RPC's one client and
  // one server stay as they are.
  const first = new Map<string, number>();
  const repeated = new Map<string, number[]>();
  for (let i = 0; i < input.length; i++) {
    const id = (input[i] as LinkFacts).id;
    if (!conflicted.has(id)) continue;
    const group = repeated.get(id);
    if (group === undefined) {
      first.set(id, i);
      repeated.set(id, [i]);
    } else {
      group.push(i);
    }
  }
  const replaced = new Map<string, LinkFacts[] | undefined>();
  const overrides = new Map<number, LinkFacts[]>();
  const piecesOf = new Map<string, LinkFacts[]>();
  for (const [id, group] of repeated) {
    const survivors = mergeSpans(group.map((i) => linkSpanOfFacts('', input[i] as LinkFacts))).map(factsOfLinkSpan);
    const pieces = survivors.filter((f) => (f.flags & FACT_SHARED) === 0);
    const servers = survivors.filter((f) => (f.flags & FACT_SHARED) !== 0);
    if (pieces.length > 1 && pieces.some((f) => f.parentId === '')) return undefined;
    if (servers.length > 1 && servers.some((f) => f.service === '' && f.endpoint === '')) return undefined;
    for (let k = 0; k < servers.length; k++) {
      for (let m = k + 1; m < servers.length; m++)
        if (sameLocalEndpoint(servers[k] as LinkFacts, servers[m] as LinkFacts)) return undefined;
    }
    const kept = pieces.length > 0 ? [pieces[pieces.length - 1] as LinkFacts, ...servers] : servers;
    replaced.set(id, kept);
    if (pieces.length > 1) piecesOf.set(id, pieces);
  }
  if (replaced.size === 0) return { spans: input, overrides: undefined };
  const spans: LinkFacts[] = [];
  for (let i = 0; i < input.length; i++) {
    const s = input[i] as LinkFacts;
    const kept = replaced.get(s.id);
    if (kept === undefined) {
      spans.push(s);
      continue;
    }
    if (first.get(s.id) !== i) continue;
    const pieces = piecesOf.get(s.id);
    if (pieces !== undefined) overrides.set(spans.length, pieces);
    for (const f of kept) spans.push(f);
  }
  return { spans, overrides: overrides.size > 0 ? overrides : undefined };
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

/**
 * A one-span trace (fragment): the common case of late spans. Root or under the virtual top, it has
 * no ancestor and no child, so only its own kind and names can make a link (none when it is its
 * own parent: Zipkin never attaches it).
 */
function linkAlone(span: LinkFacts): Link[] {
  const shared = (span.flags & FACT_SHARED) !== 0;
  if (span.parentId === span.id && !shared) return [];
  const out = new TraceLinks();
  linkSpan(out, span, !shared && span.parentId === '', false, span.parentId, undefined);
  return out.list;
}

/** `linkNode` for a span in facts form ('' is absent). */
function linkSpan(
  out: TraceLinks,
  span: LinkFacts,
  isRoot: boolean,
  hasChildren: boolean,
  parentId: string,
  ancestor: LinkFacts | undefined,
): void {
  linkNode(
    out,
    span.kind,
    span.service === '' ? undefined : span.service,
    span.remoteService === '' ? undefined : span.remoteService,
    (span.flags & FACT_ERROR_TAG) !== 0,
    isRoot,
    hasChildren,
    parentId === '' ? undefined : parentId,
    ancestor?.id,
    ancestor?.kind,
    ancestor === undefined || ancestor.service === '' ? undefined : ancestor.service,
    ancestor !== undefined && (ancestor.flags & FACT_ERROR_TAG) !== 0,
  );
}

/** Zipkin's key of a local endpoint: service name, addresses and port all equal (or both absent). */
function sameLocalEndpoint(a: LinkFacts, b: LinkFacts): boolean {
  return a.service === b.service && a.endpoint === b.endpoint;
}

/** 1 for each span whose parent chain ends at the top (or the root), 0 for spans in a cycle or detached. */
function reachable(parent: Int32Array, n: number): Uint8Array {
  // 0 unknown, 1 reachable, 2 not reachable, 3 on the current walk.
  const state = new Uint8Array(n);
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
