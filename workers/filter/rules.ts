/**
 * The filter stage: drop spans by service, span name or tag, as configured. Stateless; every
 * drop is counted by the caller under the rule that matched.
 */
import type { Span } from '../../core/model/span.js';
import type { WorkerSettings } from '../protocol.js';

export type FilterReason = 'service' | 'span_name' | 'tag';

export class SpanFilter {
  private readonly services: ReadonlySet<string>;
  private readonly names: ReadonlySet<string>;
  private readonly tags: ReadonlyArray<[string, string]>;
  readonly active: boolean;

  constructor(settings: WorkerSettings['filter']) {
    // Names are compared after normalisation, which lower-cases them.
    this.services = new Set(settings.dropServices.map((s) => s.toLowerCase()));
    this.names = new Set(settings.dropSpanNames.map((s) => s.toLowerCase()));
    this.tags = Object.entries(settings.dropTags);
    this.active = this.services.size + this.names.size + this.tags.length > 0;
  }

  /** Why the span is dropped, or null to keep it. */
  match(span: Span): FilterReason | null {
    if (!this.active) return null;
    const svc = span.localEndpoint?.serviceName;
    if (svc !== undefined && this.services.has(svc)) return 'service';
    if (span.name !== undefined && this.names.has(span.name)) return 'span_name';
    const tags = span.tags;
    if (tags !== undefined) {
      for (const [k, v] of this.tags) {
        const actual = tags[k];
        if (actual !== undefined && (v === '*' || v === actual)) return 'tag';
      }
    }
    return null;
  }
}
