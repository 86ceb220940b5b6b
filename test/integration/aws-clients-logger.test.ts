import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createAwsClients, destroyAwsClients, LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { startDynalite, type DynaliteServer } from '../../local/dynalite-server';

// The clients' logger has no `info`, so the SDK never copies a call's input and output through its
// sensitive-data filter for a log line (lambdas/adapters/aws-clients.ts says why); the calls still work.
describe('the SDK clients log nothing, and build no log lines', () => {
  let dynalite: DynaliteServer;
  beforeAll(async () => {
    dynalite = await startDynalite();
  });
  afterAll(async () => {
    await dynalite?.stop();
  });

  test('no info method on any client; a call answers as before', async () => {
    const clients = createAwsClients({
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      endpoints: { dynamodb: dynalite.endpoint },
    });
    try {
      for (const client of [clients.dynamodb, clients.s3, clients.sns, clients.sts]) {
        expect(client.config.logger.info).toBeUndefined();
      }
      const out = await clients.dynamodb.send(new ListTablesCommand({}));
      expect(out.TableNames).toEqual([]);
    } finally {
      destroyAwsClients(clients);
    }
  });
});
