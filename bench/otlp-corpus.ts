/**
 * Zipkin spans written as an OTLP ExportTraceServiceRequest (protobuf), so the micro benchmark can
 * decode the same spans as OTLP beside Proto3. Benchmark input only: tags become string attributes,
 * annotations events, one ResourceSpans per local service. Not a Zipkin → OTLP mapping to rely on.
 */
import type { Span } from '../core/model/span.js';

const KIND: Record<string, number> = { SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };

class Writer {
  private parts: number[] = [];
  varint(n: number): this {
    let v = n;
    while (v >= 0x80) {
      this.parts.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.parts.push(v);
    return this;
  }
  bytes(tag: number, b: Uint8Array | number[]): this {
    this.parts.push(tag);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  string(tag: number, s: string): this {
    return this.bytes(tag, Buffer.from(s, 'utf8'));
  }
  fixed64(tag: number, micros: number): this {
    const ns = BigInt(Math.trunc(micros)) * 1000n;
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(ns);
    this.parts.push(tag);
    for (const x of b) this.parts.push(x);
    return this;
  }
  done(): number[] {
    return this.parts;
  }
}

function keyValue(key: string, value: string): number[] {
  return new Writer().string(0x0a, key).bytes(0x12, new Writer().string(0x0a, value).done()).done();
}

function span(s: Span): number[] {
  const w = new Writer().bytes(0x0a, Buffer.from(s.traceId.padStart(32, '0'), 'hex')).bytes(0x12, Buffer.from(s.id, 'hex'));
  if (s.parentId) w.bytes(0x22, Buffer.from(s.parentId, 'hex'));
  if (s.name) w.string(0x2a, s.name);
  w.varint(0x30).varint(s.kind ? (KIND[s.kind] as number) : 1);
  if (s.timestamp !== undefined) {
    w.fixed64(0x39, s.timestamp);
    w.fixed64(0x41, s.timestamp + (s.duration ?? 0));
  }
  for (const [k, v] of Object.entries(s.tags ?? {})) w.bytes(0x4a, keyValue(k, v));
  for (const a of s.annotations ?? []) w.bytes(0x5a, new Writer().fixed64(0x09, a.timestamp).string(0x12, a.value).done());
  return w.done();
}

export function encodeOtlpRequest(spans: readonly Span[]): Uint8Array {
  const byService = new Map<string, Span[]>();
  for (const s of spans) {
    const svc = s.localEndpoint?.serviceName ?? '';
    const list = byService.get(svc);
    if (list) list.push(s);
    else byService.set(svc, [s]);
  }
  const req = new Writer();
  for (const [svc, list] of byService) {
    const resource = new Writer().bytes(0x0a, keyValue('service.name', svc)).done();
    const scope = new Writer().bytes(0x0a, new Writer().string(0x0a, 'bench').done());
    for (const s of list) scope.bytes(0x12, span(s));
    req.bytes(0x0a, new Writer().bytes(0x0a, resource).bytes(0x12, scope.done()).done());
  }
  return Uint8Array.from(req.done());
}
