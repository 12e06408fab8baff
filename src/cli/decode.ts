import { decodeMessage } from '../../core/codec/decode/index.js';
import { encodeJsonV2 } from '../../core/codec/encode/json-v2.js';
import { ENCODINGS, type Encoding } from '../../core/model/span.js';
import { parseCommandArgs, readInput, runCli } from './io.js';
import type { Command } from './main.js';

const HELP = `Usage: tracefold decode [FILE|-] [--pretty]

Reads one raw Kafka message value or HTTP body (Zipkin JSON v2, JSON v1, Thrift list or single
span, Proto3, or an OTLP ExportTraceServiceRequest in protobuf or JSON), detects its encoding as
the ingest node does, and prints its spans as a canonical JSON v2 array on stdout (OTLP mapped as
the OpenTelemetry Zipkin transformation says). Bad spans are reported on stderr, one line each.

Exit codes: 0 all spans decoded; 1 some spans were bad; 2 nothing decodable (or usage error).

Options:
  --pretty     indent the JSON output
  --encoding E decode as E instead of detecting (${ENCODINGS.join(', ')})
  -h, --help   show this help
`;

export const command: Command = {
  summary: 'decode one raw message to canonical JSON v2',
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCommandArgs(
        argv,
        { pretty: { type: 'boolean' }, encoding: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        'decode',
      );
      if (values.help) {
        process.stdout.write(HELP);
        return 0;
      }
      if (positionals.length > 1) {
        process.stderr.write('tracefold decode: expected at most one FILE\n');
        return 2;
      }
      const encoding = values.encoding;
      if (encoding !== undefined && !(ENCODINGS as readonly string[]).includes(encoding)) {
        process.stderr.write(`tracefold decode: --encoding must be one of ${ENCODINGS.join(', ')}\n`);
        return 2;
      }
      const bytes = await readInput(positionals[0]);
      const result = decodeMessage(bytes, encoding as Encoding | undefined);
      for (const e of result.errors) {
        const where = e.index >= 0 ? `span ${e.index}` : 'message';
        process.stderr.write(`tracefold decode: ${result.encoding}: ${where} at byte ${e.offset}: ${e.code}: ${e.reason}\n`);
      }
      const json = Buffer.from(encodeJsonV2(result.spans)).toString('utf8');
      process.stdout.write(values.pretty ? `${JSON.stringify(JSON.parse(json), null, 2)}\n` : `${json}\n`);
      if (result.spans.length === 0 && result.errors.length > 0) return 2;
      if (bytes.length === 0) {
        process.stderr.write('tracefold decode: empty message\n');
        return 2;
      }
      return result.errors.length > 0 ? 1 : 0;
    }),
};
