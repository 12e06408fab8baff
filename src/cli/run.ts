/** Source entry point (`node --import tsx src/cli/run.ts …`) for tests and development. */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
