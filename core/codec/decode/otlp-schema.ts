/**
 * The OTLP trace schema as tracefold's decoders read it: for each message of an
 * `ExportTraceServiceRequest` that they walk, the fields they decode, with the field number, proto
 * type, repetition and JSON name of the official definitions (opentelemetry-proto:
 * collector/trace/v1/trace_service.proto, trace/v1/trace.proto, common/v1/common.proto,
 * resource/v1/resource.proto). Fields left out are skipped by the decoders.
 *
 * No maintained npm package ships these definitions or decoders generated from them, so this table
 * is the one place the numbers live, and test/integration/decode/otlp-schema.test.ts holds it
 * against the compiled descriptors of the official `opentelemetry-proto` Python package (also
 * listing the official fields not decoded, so a schema change shows up there).
 *
 * The protobuf decoder uses the tag constants below (field number and wire type, computed once at
 * load) rather than reading the table per field; the JSON decoder's property names are typed from
 * the table's JSON names.
 */

/** Proto scalar/message types of the fields decoded (descriptor type names, lower case). */
export type ProtoType = 'double' | 'int64' | 'uint32' | 'bool' | 'string' | 'bytes' | 'message' | 'enum' | 'fixed64';

export interface OtlpField {
  readonly number: number;
  readonly type: ProtoType;
  readonly repeated: boolean;
  /** The lowerCamelCase name OTLP/JSON uses (the descriptor's json_name). */
  readonly json: string;
}

/** Wire types of the protobuf encoding. */
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;

const WIRE: Readonly<Record<ProtoType, number>> = {
  double: WIRE_I64,
  int64: WIRE_VARINT,
  uint32: WIRE_VARINT,
  bool: WIRE_VARINT,
  string: WIRE_LEN,
  bytes: WIRE_LEN,
  message: WIRE_LEN,
  enum: WIRE_VARINT,
  fixed64: WIRE_I64,
};

export function wireType(f: OtlpField): number {
  return WIRE[f.type];
}

/** A field's tag as it appears on the wire: (number << 3) | wire type. */
export function tagOf(f: OtlpField): number {
  return (f.number << 3) | WIRE[f.type];
}

// Generic in the JSON name so OtlpJson below gets the literal names.
const one = <J extends string>(number: number, type: ProtoType, json: J) => ({ number, type, repeated: false, json }) as const;
const many = <J extends string>(number: number, type: ProtoType, json: J) => ({ number, type, repeated: true, json }) as const;

/** Message (as named inside its package, nested with a dot) → proto field name → field. */
export const OTLP_SCHEMA = {
  ExportTraceServiceRequest: {
    resource_spans: many(1, 'message', 'resourceSpans'),
  },
  ResourceSpans: {
    resource: one(1, 'message', 'resource'),
    scope_spans: many(2, 'message', 'scopeSpans'),
  },
  Resource: {
    attributes: many(1, 'message', 'attributes'),
  },
  ScopeSpans: {
    scope: one(1, 'message', 'scope'),
    spans: many(2, 'message', 'spans'),
  },
  InstrumentationScope: {
    name: one(1, 'string', 'name'),
    version: one(2, 'string', 'version'),
  },
  Span: {
    trace_id: one(1, 'bytes', 'traceId'),
    span_id: one(2, 'bytes', 'spanId'),
    parent_span_id: one(4, 'bytes', 'parentSpanId'),
    name: one(5, 'string', 'name'),
    kind: one(6, 'enum', 'kind'),
    start_time_unix_nano: one(7, 'fixed64', 'startTimeUnixNano'),
    end_time_unix_nano: one(8, 'fixed64', 'endTimeUnixNano'),
    attributes: many(9, 'message', 'attributes'),
    dropped_attributes_count: one(10, 'uint32', 'droppedAttributesCount'),
    events: many(11, 'message', 'events'),
    dropped_events_count: one(12, 'uint32', 'droppedEventsCount'),
    dropped_links_count: one(14, 'uint32', 'droppedLinksCount'),
    status: one(15, 'message', 'status'),
  },
  'Span.Event': {
    time_unix_nano: one(1, 'fixed64', 'timeUnixNano'),
    name: one(2, 'string', 'name'),
    attributes: many(3, 'message', 'attributes'),
  },
  // Links are not mapped (the Zipkin transformation leaves them TBD): listed so the conformance
  // test reports all of Link's fields as ignored.
  'Span.Link': {},
  Status: {
    message: one(2, 'string', 'message'),
    code: one(3, 'enum', 'code'),
  },
  KeyValue: {
    key: one(1, 'string', 'key'),
    value: one(2, 'message', 'value'),
  },
  AnyValue: {
    string_value: one(1, 'string', 'stringValue'),
    bool_value: one(2, 'bool', 'boolValue'),
    int_value: one(3, 'int64', 'intValue'),
    double_value: one(4, 'double', 'doubleValue'),
    array_value: one(5, 'message', 'arrayValue'),
    kvlist_value: one(6, 'message', 'kvlistValue'),
    bytes_value: one(7, 'bytes', 'bytesValue'),
  },
  ArrayValue: {
    values: many(1, 'message', 'values'),
  },
  KeyValueList: {
    values: many(1, 'message', 'values'),
  },
} as const satisfies Record<string, Record<string, OtlpField>>;

export type OtlpMessage = keyof typeof OTLP_SCHEMA;

/** Each message's full protobuf name. */
export const OTLP_FULL_NAMES: Readonly<Record<OtlpMessage, string>> = {
  ExportTraceServiceRequest: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  ResourceSpans: 'opentelemetry.proto.trace.v1.ResourceSpans',
  Resource: 'opentelemetry.proto.resource.v1.Resource',
  ScopeSpans: 'opentelemetry.proto.trace.v1.ScopeSpans',
  InstrumentationScope: 'opentelemetry.proto.common.v1.InstrumentationScope',
  Span: 'opentelemetry.proto.trace.v1.Span',
  'Span.Event': 'opentelemetry.proto.trace.v1.Span.Event',
  'Span.Link': 'opentelemetry.proto.trace.v1.Span.Link',
  Status: 'opentelemetry.proto.trace.v1.Status',
  KeyValue: 'opentelemetry.proto.common.v1.KeyValue',
  AnyValue: 'opentelemetry.proto.common.v1.AnyValue',
  ArrayValue: 'opentelemetry.proto.common.v1.ArrayValue',
  KeyValueList: 'opentelemetry.proto.common.v1.KeyValueList',
};

/** The enum value names by number, as OTLP/JSON may spell them. */
export const OTLP_ENUMS = {
  'Span.SpanKind': [
    'SPAN_KIND_UNSPECIFIED',
    'SPAN_KIND_INTERNAL',
    'SPAN_KIND_SERVER',
    'SPAN_KIND_CLIENT',
    'SPAN_KIND_PRODUCER',
    'SPAN_KIND_CONSUMER',
  ],
  'Status.StatusCode': ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'],
} as const satisfies Record<string, readonly string[]>;

/** The OTLP/JSON object of message M: the properties the JSON decoder may read. */
export type OtlpJson<M extends OtlpMessage> = {
  readonly [F in keyof (typeof OTLP_SCHEMA)[M] as (typeof OTLP_SCHEMA)[M][F] extends { json: infer J extends string }
    ? J
    : never]?: unknown;
};

const S = OTLP_SCHEMA;

// Wire tags of the fields the protobuf decoder reads. Module constants, so its hot loop compares
// numbers and never looks a field up.
export const REQUEST_RESOURCE_SPANS = tagOf(S.ExportTraceServiceRequest.resource_spans);
export const RESOURCE_SPANS_RESOURCE = tagOf(S.ResourceSpans.resource);
export const RESOURCE_SPANS_SCOPE_SPANS = tagOf(S.ResourceSpans.scope_spans);
export const RESOURCE_ATTRIBUTES = tagOf(S.Resource.attributes);
export const SCOPE_SPANS_SCOPE = tagOf(S.ScopeSpans.scope);
export const SCOPE_SPANS_SPANS = tagOf(S.ScopeSpans.spans);
export const SCOPE_NAME = tagOf(S.InstrumentationScope.name);
export const SCOPE_VERSION = tagOf(S.InstrumentationScope.version);
export const SPAN_TRACE_ID = tagOf(S.Span.trace_id);
export const SPAN_SPAN_ID = tagOf(S.Span.span_id);
export const SPAN_PARENT_SPAN_ID = tagOf(S.Span.parent_span_id);
export const SPAN_NAME = tagOf(S.Span.name);
export const SPAN_KIND = tagOf(S.Span.kind);
export const SPAN_START_TIME = tagOf(S.Span.start_time_unix_nano);
export const SPAN_END_TIME = tagOf(S.Span.end_time_unix_nano);
export const SPAN_ATTRIBUTES = tagOf(S.Span.attributes);
export const SPAN_DROPPED_ATTRIBUTES = tagOf(S.Span.dropped_attributes_count);
export const SPAN_EVENTS = tagOf(S.Span.events);
export const SPAN_DROPPED_EVENTS = tagOf(S.Span.dropped_events_count);
export const SPAN_DROPPED_LINKS = tagOf(S.Span.dropped_links_count);
export const SPAN_STATUS = tagOf(S.Span.status);
export const EVENT_TIME = tagOf(S['Span.Event'].time_unix_nano);
export const EVENT_NAME = tagOf(S['Span.Event'].name);
export const EVENT_ATTRIBUTES = tagOf(S['Span.Event'].attributes);
export const STATUS_MESSAGE = tagOf(S.Status.message);
export const STATUS_CODE = tagOf(S.Status.code);
export const KEY_VALUE_KEY = tagOf(S.KeyValue.key);
export const KEY_VALUE_VALUE = tagOf(S.KeyValue.value);
export const ANY_STRING = tagOf(S.AnyValue.string_value);
export const ANY_BOOL = tagOf(S.AnyValue.bool_value);
export const ANY_INT = tagOf(S.AnyValue.int_value);
export const ANY_DOUBLE = tagOf(S.AnyValue.double_value);
export const ANY_ARRAY = tagOf(S.AnyValue.array_value);
export const ANY_KVLIST = tagOf(S.AnyValue.kvlist_value);
export const ANY_BYTES = tagOf(S.AnyValue.bytes_value);
export const ARRAY_VALUES = tagOf(S.ArrayValue.values);
export const KVLIST_VALUES = tagOf(S.KeyValueList.values);
