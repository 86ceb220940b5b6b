import { TrailwatchError } from '../../lambdas/core/errors';
import type { Command } from '../usage';

// Placeholder until this command is built (see the open issues).
export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'not built yet',
  async run() {
    throw new TrailwatchError('the ingest command is not built yet');
  },
};
