import type { Command } from './main.js';

export const command: Command = {
  summary: 'bench',
  run: async () => {
    process.stderr.write('tracefold bench: not built yet in this version (see the open issues); nothing was done\n');
    return 2;
  },
};
