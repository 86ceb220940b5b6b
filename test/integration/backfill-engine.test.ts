/**
 * `trailwatch backfill stop|resume|status` against moto's Lambda and SQS: the event source mapping of
 * a backfill queue is disabled and enabled through UpdateEventSourceMapping, and status shows its
 * state beside the queue's counters.
 */
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { createBackfillCommand } from '../../cli/commands/backfill';
import type { CliIO } from '../../cli/usage';
import { describeWithMoto, startMoto, type MotoServer } from '../helpers/moto';

function captureIO(env: NodeJS.ProcessEnv): CliIO & { out: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  return { stdout, stderr, env, cwd: process.cwd(), out: () => out };
}

describeWithMoto('backfill stop | resume | status (moto Lambda + SQS)', () => {
  let moto: MotoServer;
  let lambda: LambdaClient;
  let sqs: SQSClient;
  let iam: IAMClient;
  let env: NodeJS.ProcessEnv;
  let mappingId: string;
  let queueUrl: string;

  beforeAll(async () => {
    moto = (await startMoto()) as MotoServer;
    const common = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS, endpoint: moto.endpoint };
    lambda = new LambdaClient(common);
    sqs = new SQSClient(common);
    iam = new IAMClient(common);
    env = {
      AWS_ENDPOINT_URL_LAMBDA: moto.endpoint,
      AWS_ENDPOINT_URL_SQS: moto.endpoint,
      AWS_REGION: 'us-east-1',
    };
    const role = await iam.send(
      new CreateRoleCommand({ RoleName: 'backfill', AssumeRolePolicyDocument: '{}' }),
    );
    // moto keeps the code without running it: a zip with one file is enough (made by python3, which moto needs anyway).
    const zip = execFileSync('python3', [
      '-c',
      'import io,sys,zipfile\nb=io.BytesIO()\nz=zipfile.ZipFile(b,"w")\nz.writestr("index.js","exports.handler=async()=>({})")\nz.close()\nsys.stdout.buffer.write(b.getvalue())',
    ]);
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'trailwatch-backfill',
        Runtime: 'nodejs22.x',
        Role: role.Role?.Arn,
        Handler: 'index.handler',
        Code: { ZipFile: zip },
      }),
    );
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'backfill' }))).QueueUrl as string;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const mapping = await lambda.send(
      new CreateEventSourceMappingCommand({
        EventSourceArn: queueArn,
        FunctionName: 'trailwatch-backfill',
        Enabled: false,
        BatchSize: 1,
        ScalingConfig: { MaximumConcurrency: 5 },
      }),
    );
    mappingId = mapping.UUID as string;
  }, 60_000);

  afterAll(async () => {
    for (const c of [lambda, sqs, iam]) c?.destroy();
    await moto?.stop();
  });

  test('resume enables the mapping, stop disables it; status shows it beside the queue', async () => {
    const resume = captureIO(env);
    expect(await createBackfillCommand().run(['resume', '--mapping-id', mappingId], resume)).toBe(0);
    expect(resume.out()).toContain(
      `event source mapping ${mappingId}: Enabled, maximum concurrency 5, batch size 1`,
    );

    const stop = captureIO(env);
    expect(await createBackfillCommand().run(['stop', '--mapping-id', mappingId], stop)).toBe(0);
    expect(stop.out()).toContain(`event source mapping ${mappingId}: Disabled`);
    expect(stop.out()).toContain('the other messages wait in the queue');

    // While stopped the messages wait: status reads them from the queue's counters.
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}' }));
    const status = captureIO(env);
    expect(
      await createBackfillCommand().run(
        ['status', '--queue-url', queueUrl, '--mapping-id', mappingId, '--interval', '0'],
        status,
      ),
    ).toBe(0);
    expect(status.out()).toContain('engine:    event source mapping Disabled, maximum concurrency 5');
    expect(status.out()).toContain('remaining: 1 messages (up to 20 objects), 0 being processed');
    expect(status.out()).toContain('result: in progress');
  });

  test('a mapping that does not exist is one line naming the flag and the stack output', async () => {
    await expect(
      createBackfillCommand().run(
        // GetEventSourceMapping (moto answers UpdateEventSourceMapping of an unknown id with success).
        [
          'status',
          '--queue-url',
          queueUrl,
          '--mapping-id',
          '00000000-0000-4000-8000-000000000000',
          '--interval',
          '0',
        ],
        captureIO(env),
      ),
    ).rejects.toThrow(
      'event source mapping 00000000-0000-4000-8000-000000000000: not found (check --mapping-id, the stack output BackfillEventSourceMappingId, and --region)',
    );
    await expect(
      createBackfillCommand().run(['stop', '--mapping-id', 'nope'], captureIO(env)),
    ).rejects.toThrow("--mapping-id: expected the mapping's UUID, got 'nope'");
  });
});
