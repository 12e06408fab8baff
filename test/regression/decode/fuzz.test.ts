/**
 * Hostile input at volume: 100,000 random and mutated messages (fixed seed) through the decode
 * stage. No exception may escape, and no message may take unbounded time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage } from '../../../core/codec/decode/index.js';
import { ENCODERS } from '../../../core/codec/formats.js';
import type { ZipkinEncoding } from '../../../core/model/span.js';
import { createPrng, type Prng } from '../../helpers/prng.js';
import { sharedTraces } from '../../helpers/traffic.js';

const CASES = 100_000;
/** Generous: GC pauses on a loaded 2-core machine reach ~200 ms; a quadratic path on a 1 MB message blows far past it. */
const MAX_MS_PER_MESSAGE = 1000;

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const t of sharedTraces()) {
    const spans = t.spans.slice(0, 20);
    for (const f of Object.keys(ENCODERS) as ZipkinEncoding[]) out.push(ENCODERS[f](spans));
  }
  return out;
}

/** One hostile message: random bytes, or a real message mutated in a way parsers find hard. */
function hostile(prng: Prng, corpus: readonly Uint8Array[]): Uint8Array {
  const kind = prng.int(8);
  if (kind === 0) {
    const b = new Uint8Array(prng.int(64));
    for (let i = 0; i < b.length; i++) b[i] = prng.int(256);
    return b;
  }
  const src = prng.pick(corpus);
  const b = Uint8Array.from(src);
  switch (kind) {
    case 1: // flip random bytes
      for (let n = prng.range(1, 8); n > 0; n--) b[prng.int(b.length)] = prng.int(256);
      return b;
    case 2: // truncate
      return b.subarray(0, prng.int(b.length));
    case 3: {
      // huge length / count fields: 0xff runs somewhere
      const at = prng.int(b.length);
      for (let i = at; i < Math.min(b.length, at + 5); i++) b[i] = 0xff;
      return b;
    }
    case 4: {
      // splice two messages together
      const other = prng.pick(corpus);
      const cut = prng.int(b.length);
      const out = new Uint8Array(cut + other.length);
      out.set(b.subarray(0, cut));
      out.set(other, cut);
      return out;
    }
    case 5: {
      // deep nesting in JSON / Thrift struct-like bytes
      const depth = prng.range(100, 20_000);
      const open = prng.chance(0.5) ? 0x5b : 0x7b;
      const out = new Uint8Array(depth + 1);
      out.fill(open);
      out[0] = 0x5b;
      if (prng.chance(0.5)) out.fill(12, 1);
      return out;
    }
    case 6: {
      // invalid UTF-8 inside an otherwise valid JSON message
      const at = prng.int(b.length);
      b[at] = prng.pick([0xc0, 0xc1, 0xf5, 0xff, 0x80]);
      return b;
    }
    default: {
      // a long string: 1 MB of one byte inside brackets
      const out = new Uint8Array(prng.range(1000, 1_000_000));
      out.fill(prng.pick([0x61, 0x22, 0x5c, 0x00]));
      out[0] = prng.pick([0x5b, 10, 12, 11]);
      return out;
    }
  }
}

test(`${CASES} hostile messages: no escaped exception, bounded time per message`, { timeout: 900_000 }, () => {
  const prng = createPrng(20261125);
  const corpus = seeds();
  let slowest = 0;
  let withSpans = 0;
  let withErrors = 0;
  for (let i = 0; i < CASES; i++) {
    const msg = hostile(prng, corpus);
    const t0 = performance.now();
    let result: ReturnType<typeof decodeMessage>;
    try {
      result = decodeMessage(msg);
    } catch (err) {
      assert.fail(`case ${i} threw: ${(err as Error).stack}`);
    }
    const ms = performance.now() - t0;
    if (ms > slowest) slowest = ms;
    assert.ok(ms < MAX_MS_PER_MESSAGE, `case ${i} took ${ms.toFixed(1)} ms (${msg.length} bytes)`);
    assert.ok(Array.isArray(result.spans) && Array.isArray(result.errors));
    if (result.spans.length > 0) withSpans++;
    if (result.errors.length > 0) withErrors++;
  }
  // The generator must really exercise both paths, or this test proves nothing.
  assert.ok(withErrors > CASES / 2, `most cases are rejected (${withErrors})`);
  assert.ok(withSpans > CASES / 20, `mutations still salvage spans (${withSpans})`);
  process.stdout.write(`# slowest message: ${slowest.toFixed(1)} ms; salvaged spans in ${withSpans}, errors in ${withErrors}\n`);
});
