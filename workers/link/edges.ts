/**
 * Edge counting for the dependency stage: the links found in one trace (`FoundLinks`, refilled per
 * trace) and their sums (`EdgeCounts`, per window group and for the live graph). Sums are looked up
 * parent then child: names are interned, so their hashes are cached, and no key string is built per
 * edge and trace.
 */
import type { Link } from './linker.js';

/** Parallel arrays of one trace's links, in the order found (an edge may repeat). */
export class FoundLinks {
  length = 0;
  readonly parents: string[] = [];
  readonly children: string[] = [];
  readonly calls: number[] = [];
  readonly errors: number[] = [];

  /** One call from `parent` to `child` (the linker's output). */
  add(parent: string, child: string, isError: boolean): void {
    this.push(parent, child, 1, isError ? 1 : 0);
  }

  push(parent: string, child: string, calls: number, errors: number): void {
    const i = this.length++;
    this.parents[i] = parent;
    this.children[i] = child;
    this.calls[i] = calls;
    this.errors[i] = errors;
  }

  clear(): void {
    this.length = 0;
  }
}

export class EdgeCounts {
  private byParent = new Map<string, Map<string, Link>>();

  /** Adds to an edge's sums; returns the edge's record when this call created it. */
  add(parent: string, child: string, calls: number, errors: number): Link | undefined {
    let children = this.byParent.get(parent);
    if (children === undefined) {
      children = new Map();
      this.byParent.set(parent, children);
    }
    const link = children.get(child);
    if (link !== undefined) {
      link.callCount += calls;
      link.errorCount += errors;
      return undefined;
    }
    const created: Link = { parent, child, callCount: calls, errorCount: errors };
    children.set(child, created);
    return created;
  }

  addAll(found: FoundLinks): void {
    for (let i = 0; i < found.length; i++) {
      this.add(found.parents[i] as string, found.children[i] as string, found.calls[i] as number, found.errors[i] as number);
    }
  }

  /** The sums, parent by parent in first-seen order (the objects themselves: the caller owns them now). */
  list(): Link[] {
    const out: Link[] = [];
    for (const children of this.byParent.values()) for (const link of children.values()) out.push(link);
    return out;
  }

  get empty(): boolean {
    return this.byParent.size === 0;
  }
}
