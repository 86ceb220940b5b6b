import { TrailwatchError } from '../../lambdas/core/errors';
import type { Command } from '../usage';

// Placeholder until this command is built (see the open issues).
export const queryCommand: Command = {
  name: 'query',
  summary: 'not built yet',
  async run() {
    throw new TrailwatchError('the query command is not built yet');
  },
};
