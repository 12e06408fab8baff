/**
 * otlp-schema.ts against the official OTLP definitions: the compiled descriptors of the
 * `opentelemetry-proto` Python package (in the OpenTelemetry SDK venv). Every field the decoders
 * read must have the official number, type, repetition and JSON name; the official fields they
 * skip are pinned here, so a new or changed field in a schema update fails this test until it is
 * decided whether to decode it. The JSON decoder is also run on protobuf's own OTLP/JSON rendering
 * of an SDK request, which must decode to the same spans as its protobuf bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeOtlpJson } from '../../../core/codec/decode/otlp-json.js';
import { OTLP_KINDS } from '../../../core/codec/decode/otlp-map.js';
import { decodeOtlpProto } from '../../../core/codec/decode/otlp-proto.js';
import {
  OTLP_ENUMS,
  OTLP_FULL_NAMES,
  OTLP_SCHEMA,
  type OtlpField,
  type OtlpMessage,
  tagOf,
} from '../../../core/codec/decode/otlp-schema.js';
import { type OfficialField, officialOtlpSchema, otelOracle, otlpJsonOf } from '../../helpers/otel.js';

/** Official fields the decoders skip (message → field names), as of the opentelemetry-proto Python package 1.45.2. */
const IGNORED: Record<OtlpMessage, string[]> = {
  ExportTraceServiceRequest: [],
  ResourceSpans: ['schema_url'],
  Resource: ['dropped_attributes_count', 'entity_refs'],
  ScopeSpans: ['schema_url'],
  InstrumentationScope: ['attributes', 'dropped_attributes_count'],
  // Trace state and links are left TBD by the Zipkin transformation; flags carry only the
  // W3C trace flags and the remote-parent bits, which Zipkin has no field for.
  Span: ['trace_state', 'flags', 'links'],
  'Span.Event': ['dropped_attributes_count'],
  'Span.Link': ['trace_id', 'span_id', 'trace_state', 'attributes', 'dropped_attributes_count', 'flags'],
  Status: [],
  // The *_strindex fields index a dictionary only the profiles signal has.
  KeyValue: ['key_strindex'],
  AnyValue: ['string_value_strindex'],
  ArrayValue: [],
  KeyValueList: [],
};

/** Wire type per descriptor type, from the protobuf encoding spec (independent of otlp-schema.ts). */
const WIRE: Record<string, number> = {
  int32: 0,
  int64: 0,
  uint32: 0,
  uint64: 0,
  sint32: 0,
  sint64: 0,
  bool: 0,
  enum: 0,
  fixed64: 1,
  sfixed64: 1,
  double: 1,
  string: 2,
  bytes: 2,
  message: 2,
  fixed32: 5,
  sfixed32: 5,
  float: 5,
};

const official = officialOtlpSchema();
const messages = Object.keys(OTLP_SCHEMA) as OtlpMessage[];
const fieldsOf = (m: OtlpMessage): [string, OtlpField][] => Object.entries(OTLP_SCHEMA[m]);

function officialFields(m: OtlpMessage): Map<string, OfficialField> {
  const fields = official.messages[OTLP_FULL_NAMES[m]];
  assert.ok(fields, `${OTLP_FULL_NAMES[m]} is in the official schema (opentelemetry-proto ${official.version})`);
  return new Map(fields.map((f) => [f.name, f]));
}

test('every field the decoders read has the official number, type, repetition and JSON name', (t) => {
  t.diagnostic(`opentelemetry-proto ${official.version}`);
  for (const m of messages) {
    const theirs = officialFields(m);
    for (const [name, ours] of fieldsOf(m)) {
      const f = theirs.get(name);
      assert.ok(f, `${m}.${name} exists in the official schema`);
      assert.deepEqual(
        { number: ours.number, type: ours.type, repeated: ours.repeated, json: ours.json },
        { number: f.number, type: f.type, repeated: f.repeated, json: f.json_name },
        `${m}.${name}`,
      );
      assert.equal(tagOf(ours), (f.number << 3) | (WIRE[f.type] as number), `${m}.${name}: wire tag`);
      // Tags the protobuf decoder compares against a single byte (attributeInto's string fast path).
      assert.ok(tagOf(ours) < 0x80, `${m}.${name}: a one-byte tag`);
    }
  }
});

test('the messages the decoded fields lead to are all in the table, and their enums match', () => {
  const fullNames = new Set(Object.values(OTLP_FULL_NAMES));
  for (const m of messages) {
    const theirs = officialFields(m);
    for (const [name, ours] of fieldsOf(m)) {
      const f = theirs.get(name) as OfficialField;
      if (ours.type === 'message') assert.ok(fullNames.has(f.message_type as string), `${m}.${name}: ${f.message_type} is in the table`);
    }
  }
  const enumOf = (m: OtlpMessage, field: string): string | null => officialFields(m).get(field)?.enum_type ?? null;
  assert.equal(enumOf('Span', 'kind'), 'opentelemetry.proto.trace.v1.Span.SpanKind');
  assert.equal(enumOf('Status', 'code'), 'opentelemetry.proto.trace.v1.Status.StatusCode');
  for (const [name, values] of Object.entries(OTLP_ENUMS)) {
    const theirs = official.enums[`opentelemetry.proto.trace.v1.${name}`];
    assert.deepEqual(
      theirs,
      values.map((v, number) => ({ name: v, number })),
      name,
    );
  }
  // The Zipkin kinds by OTLP number: SERVER, CLIENT, PRODUCER and CONSUMER are named alike.
  OTLP_KINDS.forEach((k, i) => {
    if (k !== undefined) assert.equal(OTLP_ENUMS['Span.SpanKind'][i], `SPAN_KIND_${k}`);
  });
});

test('the official fields the decoders skip are exactly the known ones', (t) => {
  const skipped: Record<string, string[]> = {};
  for (const m of messages) {
    const ours = new Set(Object.keys(OTLP_SCHEMA[m]));
    skipped[m] = [...officialFields(m).values()].filter((f) => !ours.has(f.name)).map((f) => f.name);
    t.diagnostic(`${m}: not decoded: ${skipped[m].join(', ') || '(none)'}`);
  }
  assert.deepEqual(skipped, IGNORED, 'a field was added to or removed from the official schema: decide whether to decode it');
});

test("protobuf's own OTLP/JSON rendering of an SDK request decodes to the same spans as its bytes", () => {
  const { otlpProto } = otelOracle('schema');
  const json = otlpJsonOf(otlpProto);
  const text = json.toString();
  // The rendering uses the JSON names the decoder reads, not the proto field names.
  assert.match(text, /"startTimeUnixNano"/);
  assert.doesNotMatch(text, /"start_time_unix_nano"/);
  const fromProto = decodeOtlpProto(otlpProto);
  const fromJson = decodeOtlpJson(json);
  assert.deepEqual(fromProto.errors, []);
  assert.deepEqual(fromJson.errors, []);
  assert.equal(fromJson.spans.length, 6);
  assert.deepEqual(fromJson.spans, fromProto.spans);
});
