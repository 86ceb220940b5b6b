import { TrailwatchError } from '../../lambdas/core/errors';
import type { Command } from '../usage';

// Placeholder until this command is built (see the open issues).
export const backfillCommand: Command = {
  name: 'backfill',
  summary: 'not built yet',
  async run() {
    throw new TrailwatchError('the backfill command is not built yet');
  },
};
