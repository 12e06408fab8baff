import { writeFile } from 'node:fs/promises';
import { decodeJsonV2 } from '../../core/codec/decode/json-v2.js';
import { ENCODERS, isEncoding } from '../../core/codec/formats.js';
import { parseCommandArgs, readInput, runCli } from './io.js';
import type { Command } from './main.js';

const HELP = `Usage: tracefold encode --format json-v2|json-v1|thrift|proto3 [FILE|-] [-o OUT]

Reads a Zipkin JSON v2 span array, normalises it as Zipkin does, and writes it as one Kafka
message in the chosen encoding (stdout unless -o is given; binary formats refuse a terminal).

Options:
  -f, --format F   json-v2 | json-v1 | thrift | proto3 (required)
  -o, --out FILE   write to FILE instead of stdout
  -h, --help       show this help
`;

export const command: Command = {
  summary: 'encode a JSON v2 span array in another encoding',
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCommandArgs(
        argv,
        { format: { type: 'string', short: 'f' }, out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
        'encode',
      );
      if (values.help) {
        process.stdout.write(HELP);
        return 0;
      }
      const format = values.format;
      if (format === undefined || !isEncoding(format)) {
        process.stderr.write(`tracefold encode: --format must be one of ${Object.keys(ENCODERS).join(', ')}\n`);
        return 2;
      }
      if (positionals.length > 1) {
        process.stderr.write('tracefold encode: expected at most one FILE\n');
        return 2;
      }
      const input = await readInput(positionals[0]);
      const decoded = decodeJsonV2(input);
      for (const e of decoded.errors) {
        process.stderr.write(`tracefold encode: ${e.index >= 0 ? `span ${e.index}` : 'input'}: ${e.code}: ${e.reason}\n`);
      }
      if (decoded.spans.length === 0 && decoded.errors.length > 0) return 2;
      const out = ENCODERS[format](decoded.spans);
      if (values.out !== undefined) await writeFile(values.out, out);
      else if (process.stdout.isTTY && (format === 'thrift' || format === 'proto3')) {
        process.stderr.write('tracefold encode: refusing to write binary to a terminal; use -o FILE or a pipe\n');
        return 2;
      } else process.stdout.write(out);
      return decoded.errors.length > 0 ? 1 : 0;
    }),
};
