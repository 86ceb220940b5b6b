import { TrailwatchError } from '../../lambdas/core/errors';
import type { Command } from '../usage';

// Placeholder until this command is built (see the open issues).
export const localCommand: Command = {
  name: 'local',
  summary: 'not built yet',
  async run() {
    throw new TrailwatchError('the local command is not built yet');
  },
};
