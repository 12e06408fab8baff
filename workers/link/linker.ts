/**
 * Dependency links of one trace, by Zipkin's own rules (`zipkin2.internal.DependencyLinker` over
 * the tree `SpanNode.Builder` makes of `Trace.merge`d spans), so the graph tracefold writes equals
 * what Zipkin's in-memory store or its Spark job would compute from the same spans.
 *
 * The rules, in short:
 * - spans sent in pieces (same id, same shared flag, compatible local endpoints) are merged first;
 *   a SERVER span reusing its CLIENT's id without `shared` is treated as shared, and a shared span
 *   without a parent id inherits its client's;
 * - the tree is walked breadth first from the root (or from every headless span);
 * - a CLIENT span with children is skipped: the server below names the callee better;
 * - a span without kind counts as CLIENT only when both local and remote service are known;
 * - SERVER/CONSUMER link remote → local, CLIENT/PRODUCER local → remote; a root SERVER without a
 *   known caller links nothing; messaging spans link only when both ends are named;
 * - for RPC spans the nearest ancestor with a kind supplies the caller (always for SERVER, for a
 *   CLIENT only when it lacks a local name), and a CLIENT whose local service differs from that
 *   ancestor's adds a backfilled, error-free ancestor → client link;
 * - a span is an error when it has an `error` tag; a server span with no error of its own inherits
 *   its direct CLIENT parent's.
 *
 * Input is a minimal per-span record (LinkSpan) so the pipeline can map its compact span facts to
 * it; `linkSpanOf` maps a full Span.
 */
import type { Kind, Span } from '../../core/model/span.js';
import { EdgeCounts } from './edges.js';

export interface LinkSpan {
  traceId: string;
  id: string;
  parentId?: string;
  kind?: Kind;
  shared?: boolean;
  localServiceName?: string;
  remoteServiceName?: string;
  /** The span has an `error` tag (any value, even empty). */
  error: boolean;
  /** Epoch µs; orders siblings like Zipkin does (missing sorts as 0). */
  timestamp?: number;
  /** Rest of the local endpoint: Zipkin tells apart servers sharing a client's span id by it. */
  localIpv4?: string;
  localIpv6?: string;
  localPort?: number;
}

export interface Link {
  parent: string;
  child: string;
  callCount: number;
  errorCount: number;
}

export function linkSpanOf(span: Span): LinkSpan {
  const out: LinkSpan = { traceId: span.traceId, id: span.id, error: span.tags?.error !== undefined };
  if (span.parentId !== undefined) out.parentId = span.parentId;
  if (span.kind !== undefined) out.kind = span.kind;
  if (span.shared === true) out.shared = true;
  if (span.timestamp !== undefined) out.timestamp = span.timestamp;
  const local = span.localEndpoint;
  if (local?.serviceName) out.localServiceName = local.serviceName;
  if (local?.ipv4) out.localIpv4 = local.ipv4;
  if (local?.ipv6) out.localIpv6 = local.ipv6;
  if (local?.port) out.localPort = local.port;
  if (span.remoteEndpoint?.serviceName) out.remoteServiceName = span.remoteEndpoint.serviceName;
  return out;
}

/** Accumulates call and error counts per parent → child edge over any number of traces. */
export class LinkCounter {
  private readonly counts = new Map<string, Link>();

  add(parent: string, child: string, calls: number, errors: number): void {
    const key = edgeKey(parent, child);
    const link = this.counts.get(key);
    if (link) {
      link.callCount += calls;
      link.errorCount += errors;
    } else {
      this.counts.set(key, { parent, child, callCount: calls, errorCount: errors });
    }
  }

  /** Adds the links of one trace (all spans must share a trace id). */
  putTrace(spans: readonly LinkSpan[]): this {
    for (const l of linkTrace(spans)) this.add(l.parent, l.child, l.callCount, l.errorCount);
    return this;
  }

  links(): Link[] {
    return [...this.counts.values()].map((l) => ({ ...l }));
  }

  get size(): number {
    return this.counts.size;
  }
}

/** Where a linker puts the links it finds: one call per link (an edge may repeat). */
export interface LinkOut {
  add(parent: string, child: string, isError: boolean): void;
}

/** One trace's links while its nodes are visited, summed per edge (edges.ts), in first-seen order. */
export class TraceLinks implements LinkOut {
  private readonly counts = new EdgeCounts();
  readonly list: Link[] = [];

  add(parent: string, child: string, isError: boolean): void {
    const link = this.counts.add(parent, child, 1, isError ? 1 : 0);
    if (link !== undefined) this.list.push(link);
  }
}

/** A separator no service name contains (they are printable, lower-cased strings). */
export function edgeKey(parent: string, child: string): string {
  return parent + '\u0000' + child;
}

/** The links of one trace, in first-seen order. */
export function linkTrace(input: readonly LinkSpan[]): Link[] {
  const out = new TraceLinks();
  if (input.length === 0) return [];
  const root = buildTree(mergeSpans(input));
  const queue: Node[] = root.span ? [root] : [...root.children];
  for (let qi = 0; qi < queue.length; qi++) {
    const current = queue[qi] as Node;
    for (const c of current.children) queue.push(c);
    const span = current.span as LinkSpan;
    const a = firstRemoteAncestor(current);
    linkNode(
      out,
      span.kind,
      span.localServiceName,
      span.remoteServiceName,
      span.error,
      current === root,
      current.children.length > 0,
      a !== undefined && span.parentId !== undefined && span.parentId === a.id,
      a?.kind,
      a?.localServiceName,
      a?.error === true,
    );
  }
  return out.list;
}

/**
 * Zipkin's rules for one node of the tree (see the top of this file), adding its links to `out`;
 * both linkers call it. `ancestor*` describe the nearest ancestor with a kind (service undefined:
 * none, or unnamed); `parentIsAncestor`: the span's parent ID is that ancestor's ID.
 * Plain arguments rather than a record: the fast path calls this once per span.
 */
export function linkNode(
  out: LinkOut,
  spanKind: Kind | '' | undefined,
  serviceName: string | undefined,
  remoteServiceName: string | undefined,
  error: boolean,
  isRoot: boolean,
  hasChildren: boolean,
  parentIsAncestor: boolean,
  ancestorKind: Kind | '' | undefined,
  ancestorService: string | undefined,
  ancestorError: boolean,
): void {
  let kind = spanKind === '' ? undefined : spanKind;
  if (kind === 'CLIENT' && hasChildren) return;
  if (kind === undefined) {
    if (serviceName === undefined || remoteServiceName === undefined) return;
    kind = 'CLIENT';
  }
  let parent: string | undefined;
  let child: string | undefined;
  if (kind === 'SERVER' || kind === 'CONSUMER') {
    child = serviceName;
    parent = remoteServiceName;
    if (isRoot && parent === undefined) return;
  } else {
    parent = serviceName;
    child = remoteServiceName;
  }
  let isError = error;
  if (kind === 'PRODUCER' || kind === 'CONSUMER') {
    if (parent !== undefined && child !== undefined) out.add(parent, child, isError);
    return;
  }
  if (ancestorService !== undefined) {
    // Instrumentation that put the callee's name on the client side: backfill the hop into it.
    if (kind === 'CLIENT' && serviceName !== undefined && ancestorService !== serviceName) out.add(ancestorService, serviceName, false);
    if (kind === 'SERVER' || parent === undefined) parent = ancestorService;
    // An RPC split into client and server spans is linked once, at the server: take the
    // client's error too.
    if (!isError && ancestorKind === 'CLIENT' && parentIsAncestor) isError = ancestorError;
  }
  if (parent === undefined || child === undefined) return;
  out.add(parent, child, isError);
}

interface Node {
  span: LinkSpan | undefined;
  parent: Node | undefined;
  children: Node[];
}

function firstRemoteAncestor(node: Node): LinkSpan | undefined {
  for (let a = node.parent; a; a = a.parent) {
    if (a.span?.kind !== undefined) return a.span;
  }
  return undefined;
}

function hasEndpoint(s: LinkSpan): boolean {
  return s.localServiceName !== undefined || s.localIpv4 !== undefined || s.localIpv6 !== undefined || s.localPort !== undefined;
}

/** Absent parts are \u0002, parts are separated by \u0001 (neither occurs in names or addresses): no JSON per span. */
function endpointKey(s: LinkSpan | undefined): string {
  if (!s || !hasEndpoint(s)) return 'null';
  return (
    (s.localServiceName ?? '\u0002') +
    '\u0001' +
    (s.localIpv4 ?? '\u0002') +
    '\u0001' +
    (s.localIpv6 ?? '\u0002') +
    '\u0001' +
    (s.localPort ?? 0)
  );
}

/**
 * Zipkin keys a shared (server) span by ID and local endpoint, any other span by ID alone. An
 * unshared key is the ID itself (no string built per span); a shared key adds a separator no hex ID
 * contains, so the two never collide.
 */
function sharedKey(id: string, endpoint: LinkSpan | undefined): string {
  return id + '\u0000' + endpointKey(endpoint);
}

function buildTree(spans: readonly LinkSpan[]): Node {
  let root: Node | undefined;
  const keyToNode = new Map<string, Node>();
  const spanToParent = new Map<string, string | undefined>();
  // Shared keys are built only for IDs some shared span has: most spans never need one.
  let sharedIds: Set<string> | undefined;
  for (const s of spans) {
    if (s.shared === true) {
      spanToParent.set(sharedKey(s.id, s), s.id);
      sharedIds ??= new Set();
      sharedIds.add(s.id);
    } else {
      spanToParent.set(s.id, s.parentId);
    }
  }
  for (const s of spans) {
    const shared = s.shared === true;
    let parent: string | undefined;
    let node: Node;
    if (shared) {
      const k = sharedKey(s.id, s);
      node = { span: s, parent: undefined, children: [] };
      keyToNode.set(k, node);
      if (hasEndpoint(s)) keyToNode.set(sharedKey(s.id, undefined), node);
      continue;
    }
    if (s.parentId !== undefined) {
      // A local span under a shared server span on the same endpoint belongs to that server span.
      const candidate = sharedIds?.has(s.parentId) === true ? sharedKey(s.parentId, s) : undefined;
      if (candidate !== undefined && spanToParent.has(candidate)) {
        spanToParent.set(s.id, candidate);
        parent = candidate;
      } else {
        parent = s.parentId;
      }
    }
    node = { span: s, parent: undefined, children: [] };
    if (parent === undefined && root === undefined) {
      root = node;
      spanToParent.delete(s.id);
    } else {
      keyToNode.set(s.id, node);
    }
  }
  const top: Node = root ?? { span: undefined, parent: undefined, children: [] };
  for (const [childKey, parentKey] of spanToParent) {
    const child = keyToNode.get(childKey);
    if (!child) continue; // Zipkin would fail here; only reachable with inconsistent keys
    const parent = parentKey === undefined ? undefined : keyToNode.get(parentKey);
    const into = parent ?? top;
    if (child === into) continue;
    into.children.push(child);
    child.parent = into;
  }
  // Siblings in timestamp order (stable, like Java's merge sort), breadth-first from the top.
  const queue: Node[] = [top];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i] as Node;
    if (n.children.length > 1) n.children.sort((a, b) => (a.span?.timestamp ?? 0) - (b.span?.timestamp ?? 0));
    for (const c of n.children) queue.push(c);
  }
  return top;
}

function compareNullsLast(a: string | undefined, b: string | undefined): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Zipkin's cleanup order: by id, unshared (clients first) before shared, endpoint-less first. */
function cleanupOrder(l: LinkSpan, r: LinkSpan): number {
  if (l.id !== r.id) return l.id < r.id ? -1 : 1;
  const ls = l.shared === true;
  const rs = r.shared === true;
  if (ls !== rs) return ls ? 1 : -1;
  if (!ls) {
    const lc = l.kind === 'CLIENT';
    const rc = r.kind === 'CLIENT';
    if (lc !== rc) return lc ? -1 : 1;
  }
  const le = hasEndpoint(l);
  const re = hasEndpoint(r);
  if (!le || !re) return le === re ? 0 : le ? 1 : -1;
  return (
    compareNullsLast(l.localServiceName, r.localServiceName) ||
    compareNullsLast(l.localIpv4, r.localIpv4) ||
    compareNullsLast(l.localIpv6, r.localIpv6)
  );
}

interface EndpointTracker {
  serviceName?: string | undefined;
  ipv4?: string | undefined;
  ipv6?: string | undefined;
  port: number;
}

function tryMerge(t: EndpointTracker, s: LinkSpan): boolean {
  if (!hasEndpoint(s)) return true;
  if (t.serviceName !== undefined && s.localServiceName !== undefined && t.serviceName !== s.localServiceName) return false;
  if (t.ipv4 !== undefined && s.localIpv4 !== undefined && t.ipv4 !== s.localIpv4) return false;
  if (t.ipv6 !== undefined && s.localIpv6 !== undefined && t.ipv6 !== s.localIpv6) return false;
  const port = s.localPort ?? 0;
  if (t.port !== 0 && port !== 0 && t.port !== port) return false;
  t.serviceName ??= s.localServiceName;
  t.ipv4 ??= s.localIpv4;
  t.ipv6 ??= s.localIpv6;
  if (t.port === 0) t.port = port;
  return true;
}

/** Fills what `into` lacks from `from`, as Zipkin's `Span.Builder.merge` does for these fields. */
function mergeInto(into: LinkSpan, from: LinkSpan): void {
  into.parentId ??= from.parentId;
  into.kind ??= from.kind;
  if (!into.timestamp && from.timestamp) into.timestamp = from.timestamp;
  if (from.shared === true) into.shared = true;
  into.localServiceName ??= from.localServiceName;
  into.localIpv4 ??= from.localIpv4;
  into.localIpv6 ??= from.localIpv6;
  if (!into.localPort && from.localPort) into.localPort = from.localPort;
  into.remoteServiceName ??= from.remoteServiceName;
  into.error = into.error || from.error;
}

/** Zipkin's `Trace.merge`: joins spans reported in pieces and repairs missing shared flags. */
export function mergeSpans(input: readonly LinkSpan[]): LinkSpan[] {
  // Spans are copied only where the merge changes them: the caller's records stay as they were.
  const sorted = [...input].sort(cleanupOrder);
  const result: LinkSpan[] = [];
  let last: LinkSpan | undefined;
  for (let i = 0; i < sorted.length; i++) {
    let span = sorted[i] as LinkSpan;
    let copied = false;
    const spanShared = span.shared === true;
    let tracker: EndpointTracker | undefined;
    while (i + 1 < sorted.length) {
      const next = sorted[i + 1] as LinkSpan;
      if (next.id !== span.id) break;
      if (!tracker) {
        tracker = { port: 0 };
        tryMerge(tracker, span);
      }
      if (spanShared === (next.shared === true) && tryMerge(tracker, next)) {
        if (!copied) {
          span = { ...span };
          copied = true;
        }
        mergeInto(span, next);
        i++;
        continue;
      }
      break;
    }
    if (last && last.id === span.id) {
      const makeShared = last.kind === 'CLIENT' && span.kind === 'SERVER' && span.shared !== true;
      const shared = makeShared || span.shared === true;
      const inheritParent = shared && span.parentId === undefined && last.parentId !== undefined;
      if (makeShared || inheritParent) {
        if (!copied) span = { ...span };
        if (makeShared) span.shared = true;
        if (inheritParent) span.parentId = last.parentId;
      }
    }
    result.push(span);
    last = span;
  }
  return result;
}
