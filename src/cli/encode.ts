/** `tracefold encode`: options from the schema (encode.* in src/config/schema.ts). */
import { writeFile } from 'node:fs/promises';
import { decodeJsonV2 } from '../../core/codec/decode/json-v2.js';
import { ENCODERS } from '../../core/codec/formats.js';
import { loadCli, readInput, runCli } from './io.js';
import type { Command } from './main.js';

export const command: Command = {
  summary: 'encode a JSON v2 span array in another encoding',
  run: (argv) =>
    runCli(async () => {
      const loaded = loadCli('encode', argv);
      if ('exit' in loaded) return loaded.exit;
      const { format, out } = loaded.config.encode;
      const input = await readInput(loaded.args[0]);
      const decoded = decodeJsonV2(input);
      for (const e of decoded.errors) {
        process.stderr.write(`tracefold encode: ${e.index >= 0 ? `span ${e.index}` : 'input'}: ${e.code}: ${e.reason}\n`);
      }
      if (decoded.spans.length === 0 && decoded.errors.length > 0) return 2;
      const bytes = ENCODERS[format](decoded.spans);
      if (out !== undefined) await writeFile(out, bytes);
      else if (process.stdout.isTTY && (format === 'thrift' || format === 'proto3')) {
        process.stderr.write('tracefold encode: refusing to write binary to a terminal; use --out FILE or a pipe\n');
        return 2;
      } else process.stdout.write(bytes);
      return decoded.errors.length > 0 ? 1 : 0;
    }),
};
