/** `tracefold decode`: options from the schema (decode.* in src/config/schema.ts). */
import { decodeMessage } from '../../core/codec/decode/index.js';
import { encodeJsonV2 } from '../../core/codec/encode/json-v2.js';
import { loadCli, readInput, runCli } from './io.js';
import type { Command } from './main.js';

export const command: Command = {
  summary: 'decode one raw message to canonical JSON v2',
  run: (argv) =>
    runCli(async () => {
      const loaded = loadCli('decode', argv);
      if ('exit' in loaded) return loaded.exit;
      // Checked here rather than by the loader: loadConfig hands decode every argument (test-pinned).
      if (loaded.args.length > 1) {
        process.stderr.write('tracefold decode: expected at most one FILE\n');
        return 2;
      }
      const bytes = await readInput(loaded.args[0]);
      const result = decodeMessage(bytes, loaded.config.decode.encoding);
      for (const e of result.errors) {
        const where = e.index >= 0 ? `span ${e.index}` : 'message';
        process.stderr.write(`tracefold decode: ${result.encoding}: ${where} at byte ${e.offset}: ${e.code}: ${e.reason}\n`);
      }
      const json = Buffer.from(encodeJsonV2(result.spans)).toString('utf8');
      process.stdout.write(loaded.config.decode.pretty ? `${JSON.stringify(JSON.parse(json), null, 2)}\n` : `${json}\n`);
      if (result.spans.length === 0 && result.errors.length > 0) return 2;
      if (bytes.length === 0) {
        process.stderr.write('tracefold decode: empty message\n');
        return 2;
      }
      return result.errors.length > 0 ? 1 : 0;
    }),
};
