import { TrailwatchError } from '../../lambdas/core/errors';
import type { Command } from '../usage';

// Placeholder until this command is built (see the open issues).
export const replayCommand: Command = {
  name: 'replay',
  summary: 'not built yet',
  async run() {
    throw new TrailwatchError('the replay command is not built yet');
  },
};
