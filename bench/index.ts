/** `npm run bench [-- options]`: the same harness as `tracefold bench`, run from source through tsx. */
import { command } from '../src/cli/bench.js';

process.exitCode = await command.run(process.argv.slice(2));
