/** The stateless policies: keep everything, keep errors, keep debug traces. */
import type { TraceSummary } from '../../assemble/facts.js';
import type { SamplePolicy } from '../policy.js';

export class KeepAll implements SamplePolicy {
  constructor(readonly name: string) {}
  keeps(): boolean {
    return true;
  }
}

/** A trace with any failed span (error tag, HTTP 5xx, gRPC non-OK: see facts.ts `isErrorSpan`). */
export class KeepErrors implements SamplePolicy {
  constructor(readonly name: string) {}
  keeps(trace: TraceSummary): boolean {
    return trace.error;
  }
}

/** A trace some span of which asked to be recorded (`debug`, B3's `X-B3-Flags: 1`). */
export class KeepDebug implements SamplePolicy {
  constructor(readonly name: string) {}
  keeps(trace: TraceSummary): boolean {
    return trace.debug;
  }
}
