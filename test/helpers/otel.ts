/**
 * OpenTelemetry Python SDK traffic for tests (test/fixtures/otel/make_spans.py), from the venv
 * scripts/setup.sh installs. Fails loudly when the venv is missing: OTLP tests never skip.
 * `exportOtlpHttp` and `exportOtlpHttpTrace` make a real SDK send OTLP/HTTP to an intake.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VENV = process.env.TRACEFOLD_OTEL_VENV ?? join(homedir(), '.cache', 'tracefold', 'otel-venv');
const SCRIPT = fileURLToPath(new URL('../fixtures/otel/make_spans.py', import.meta.url));

function python(): string {
  const py = join(VENV, 'bin', 'python');
  if (!existsSync(py))
    throw new Error(`OpenTelemetry Python SDK venv missing at ${VENV}: run scripts/setup.sh (it pip-installs the SDK from PyPI)`);
  return py;
}

export interface OtelOracle {
  /** The SDK's own OTLP ExportTraceServiceRequest bytes. */
  otlpProto: Buffer;
  /** The SDK's own Zipkin exporter output (JSON v2) for the same spans. */
  zipkinJson: Record<string, unknown>[];
  traceIds: string[];
}

/** Spans of every kind, status, attribute type, with events, links and resource attributes. */
export function otelOracle(runId: string): OtelOracle {
  const out = execFileSync(python(), [SCRIPT, 'oracle', runId], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const d = JSON.parse(out) as { otlp_proto: string; zipkin_json: Record<string, unknown>[]; trace_ids: string[] };
  return { otlpProto: Buffer.from(d.otlp_proto, 'base64'), zipkinJson: d.zipkin_json, traceIds: d.trace_ids };
}

/** Exports the same spans with the SDK's OTLP/HTTP exporter to `url` (…/v1/traces). */
export function exportOtlpHttp(url: string, runId: string): { traceIds: string[]; service: string; zipkinJson: Record<string, unknown>[] } {
  const out = execFileSync(python(), [SCRIPT, 'export', url, runId], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const d = JSON.parse(out) as { trace_ids: string[]; service: string; zipkin_json: Record<string, unknown>[] };
  return { traceIds: d.trace_ids, service: d.service, zipkinJson: d.zipkin_json };
}

export interface BrowserSpan {
  service: string;
  name: string;
  kind: 'SERVER' | 'CLIENT' | 'INTERNAL' | 'PRODUCER' | 'CONSUMER';
  id: string;
  parent_id: string | null;
  status: 'UNSET' | 'OK' | 'ERROR';
  status_message: string | null;
  /** Event names. */
  events: string[];
  /** The SDK Zipkin exporter's annotation values for the span's events. */
  annotations: string[];
}

/**
 * One trace across three services (a client/server pair between each, an error status, events),
 * exported by the SDK's OTLP/HTTP exporter to `url` in one request; returns what the SDK made.
 */
export function exportOtlpHttpTrace(url: string, runId: string): { traceId: string; spans: BrowserSpan[] } {
  const out = execFileSync(python(), [SCRIPT, 'browser', url, runId], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const d = JSON.parse(out) as { trace_id: string; spans: BrowserSpan[] };
  return { traceId: d.trace_id, spans: d.spans };
}

const SCHEMA_SCRIPT = fileURLToPath(new URL('../fixtures/otel/otlp_schema.py', import.meta.url));

export interface OfficialField {
  name: string;
  number: number;
  /** The descriptor's type, lower case: 'string', 'fixed64', 'message', … */
  type: string;
  repeated: boolean;
  json_name: string;
  message_type: string | null;
  enum_type: string | null;
}

export interface OfficialOtlpSchema {
  /** The opentelemetry-proto package version the descriptors come from. */
  version: string;
  /** Full message name → fields, for every message reachable from ExportTraceServiceRequest. */
  messages: Record<string, OfficialField[]>;
  /** Full enum name → values in number order. */
  enums: Record<string, { name: string; number: number }[]>;
}

/** The OTLP trace schema from the official `opentelemetry-proto` package's compiled descriptors. */
export function officialOtlpSchema(): OfficialOtlpSchema {
  return JSON.parse(execFileSync(python(), [SCHEMA_SCRIPT, 'schema'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** An ExportTraceServiceRequest re-encoded as OTLP/JSON by protobuf's own JSON mapping (IDs in hex). */
export function otlpJsonOf(otlpProto: Buffer): Buffer {
  return execFileSync(python(), [SCHEMA_SCRIPT, 'json'], { input: otlpProto.toString('base64'), stdio: ['pipe', 'pipe', 'pipe'] });
}
