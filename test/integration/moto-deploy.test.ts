import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, type AwsQueueClients } from '../../lambdas/adapters/aws-clients';
import { createAwsQueueClients } from '../../lambdas/adapters/aws-queue-clients';
import { encodeS3EventKey } from '../../lambdas/core/s3-event';
import { seedRecords } from '../../local/seed-records';
import { createBackfillCommand } from '../../cli/commands/backfill';
import {
  bundledFunction,
  runBundledHandler,
  synthesizeBundled,
  type BundledStack,
  type CfnTemplate,
} from '../helpers/bundle';
import { describeWithMoto, startMoto, type MotoServer } from '../helpers/moto';

// moto's default account; the stack is synthesized for it so ARNs and conditions are concrete.
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const STACK = 'Trailwatch';

/**
 * What moto's CloudFormation cannot model, removed from the template it receives (each is covered by
 * the infrastructure tests and cfn-lint instead):
 * - types moto 5 does not implement (it skips them, and then fails every Fn::GetAtt on them):
 *   alarms, bucket/topic/queue policies, the trail, the function's EventInvokeConfig;
 * - Custom::S3BucketNotifications and Custom::AWS (the table's contract item): moto would run CDK's
 *   handlers in Docker, which this machine does not have, and wait for them forever. The test reads
 *   the notification configuration instead; the contract item's call is asserted in stack.test.ts,
 *   and the deployed writer puts the item itself before its first write;
 * - resources that refer to removed ones (the dashboard shows the alarms).
 */
const MOTO_GAPS = new Set([
  'AWS::CloudWatch::Alarm',
  'AWS::S3::BucketPolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::CloudTrail::Trail',
  'AWS::Lambda::EventInvokeConfig',
  'Custom::S3BucketNotifications',
  'Custom::AWS',
]);

function withoutMotoGaps(template: CfnTemplate): { template: CfnTemplate; removed: Map<string, string> } {
  const copy = JSON.parse(JSON.stringify(template)) as CfnTemplate & { Outputs?: Record<string, unknown> };
  const removed = new Map<string, string>();
  for (const [id, r] of Object.entries(copy.Resources)) if (MOTO_GAPS.has(r.Type)) removed.set(id, r.Type);
  const refersToRemoved = (value: unknown) => {
    const text = JSON.stringify(value ?? {});
    return [...removed.keys()].some(
      (id) => text.includes(`{"Ref":"${id}"}`) || text.includes(`{"Fn::GetAtt":["${id}"`),
    );
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const [id, r] of Object.entries(copy.Resources)) {
      if (!removed.has(id) && refersToRemoved(r.Properties)) {
        removed.set(id, r.Type);
        changed = true;
      }
    }
  }
  for (const id of removed.keys()) delete copy.Resources[id];
  for (const r of Object.values(copy.Resources)) {
    if (r.DependsOn !== undefined)
      r.DependsOn = ([] as string[]).concat(r.DependsOn as string[]).filter((d) => !removed.has(d));
  }
  for (const [id, output] of Object.entries(copy.Outputs ?? {}))
    if (refersToRemoved(output)) delete copy.Outputs?.[id];
  return { template: copy, removed };
}

// moto answers unsigned requests; the credential scope tells it the region.
const MOTO_AUTH = `AWS4-HMAC-SHA256 Credential=test/20240101/${REGION}/ssm/aws4_request, SignedHeaders=host, Signature=test`;

async function motoJson(moto: MotoServer, target: string, body: unknown): Promise<void> {
  const response = await fetch(`${moto.endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': target,
      Authorization: MOTO_AUTH,
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${target}: ${response.status} ${await response.text()}`);
}

async function waitForStack(cfn: CloudFormationClient, deadline: number): Promise<string> {
  for (;;) {
    const status =
      (await cfn.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks?.[0]?.StackStatus ?? '';
    if (!status.endsWith('_IN_PROGRESS') || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describeWithMoto('deploy into moto and invoke the deployed function code', () => {
  let moto: MotoServer;
  let clients: AwsQueueClients;
  let cfn: CloudFormationClient;
  let bundled: BundledStack;
  let work: string;

  beforeAll(async () => {
    const started = await startMoto();
    if (!started) throw new Error('moto did not start');
    moto = started;
    const config = { region: REGION, endpoint: moto.endpoint, credentials: LOCAL_CREDENTIALS };
    clients = createAwsQueueClients({
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoints: { s3: moto.endpoint, dynamodb: moto.endpoint, sns: moto.endpoint, sqs: moto.endpoint },
    });
    cfn = new CloudFormationClient(config);
    // With the distributed backfill on: its queue, function and mapping are deployed beside the pipeline.
    bundled = synthesizeBundled({ backfill: true }, { account: ACCOUNT, region: REGION });
    work = mkdtempSync(path.join(tmpdir(), 'trailwatch-moto-deploy-'));
  }, 60_000);

  afterAll(async () => {
    cfn?.destroy();
    await moto?.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(bundled.outdir, { recursive: true, force: true });
  });

  it('creates the stack from the synthesized template and asset, then stores and alerts a seed log through the deployed code', async () => {
    const deadline = Date.now() + 45_000;
    // Prepare, as `cdk bootstrap` and `cdk deploy` would: the bootstrap version parameter the template
    // checks, the asset bucket, and the function's asset zipped (files at the root, as CDK zips it).
    await motoJson(moto, 'AmazonSSM.PutParameter', {
      Name: '/cdk-bootstrap/hnb659fds/version',
      Value: '30',
      Type: 'String',
    });
    const code = bundled.template.Resources[bundled.functionId]?.Properties?.Code as {
      S3Bucket: string;
      S3Key: string;
    };
    expect(code.S3Bucket).toBe(`cdk-hnb659fds-assets-${ACCOUNT}-${REGION}`);
    const zip = path.join(work, 'asset.zip');
    execFileSync('python3', ['-m', 'zipfile', '-c', zip, 'index.js', 'index.js.map'], {
      cwd: bundled.assetDir,
    });
    await clients.s3.send(new CreateBucketCommand({ Bucket: code.S3Bucket }));
    await clients.s3.send(
      new PutObjectCommand({ Bucket: code.S3Bucket, Key: code.S3Key, Body: readFileSync(zip) }),
    );
    // The backfill function's own asset, uploaded the same way.
    const backfillFn = bundledFunction(bundled, 'BackfillFunction');
    const backfillKey = (
      bundled.template.Resources[backfillFn.functionId]?.Properties?.Code as { S3Key: string }
    ).S3Key;
    const backfillZip = path.join(work, 'backfill.zip');
    execFileSync('python3', ['-m', 'zipfile', '-c', backfillZip, 'index.js', 'index.js.map'], {
      cwd: backfillFn.assetDir,
    });
    await clients.s3.send(
      new PutObjectCommand({ Bucket: code.S3Bucket, Key: backfillKey, Body: readFileSync(backfillZip) }),
    );
    const { template, removed } = withoutMotoGaps(bundled.template);
    // Only the named gaps (and the dashboard, which shows the alarms) are left out.
    expect(new Set(removed.values())).toEqual(new Set([...MOTO_GAPS, 'AWS::CloudWatch::Dashboard']));

    // Act: deploy
    await cfn.send(
      new CreateStackCommand({
        StackName: STACK,
        TemplateBody: JSON.stringify(template),
        Capabilities: ['CAPABILITY_IAM'],
      }),
    );
    const status = await waitForStack(cfn, deadline);

    // Assess: the stack is up, with every resource moto models
    expect(status).toBe('CREATE_COMPLETE');
    const resources =
      (await cfn.send(new DescribeStackResourcesCommand({ StackName: STACK }))).StackResources ?? [];
    const physical = (prefix: string) => {
      const found = resources.find((r) => r.LogicalResourceId?.startsWith(prefix))?.PhysicalResourceId;
      if (found === undefined) throw new Error(`no deployed resource ${prefix}`);
      return found;
    };
    expect(resources.map((r) => r.LogicalResourceId).sort()).toEqual(Object.keys(template.Resources).sort());
    const bucket = physical('SourceBucket6F');
    const table = physical('EventTable');
    const topicArn = physical('AlertTopic3B');

    // The function as deployed: its environment resolved by CloudFormation, its code the uploaded asset.
    const fnName = physical(bundled.functionId);
    const fnResponse = await fetch(`${moto.endpoint}/2015-03-31/functions/${fnName}`, {
      headers: { Authorization: MOTO_AUTH.replace('/ssm/', '/lambda/') },
    });
    const deployed = (await fnResponse.json()) as {
      Configuration: { Handler: string; Runtime: string; Environment: { Variables: Record<string, string> } };
    };
    expect(deployed.Configuration).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x' });
    const environment = deployed.Configuration.Environment.Variables;
    expect(environment).toMatchObject({
      TABLE_NAME: table,
      SOURCE_BUCKETS: bucket,
      ALERT_TOPIC_ARN: topicArn,
      ALLOWED_ACCOUNTS: ACCOUNT,
      LOG_PREFIX: '',
    });
    const taskDir = path.join(work, 'task');
    const deployedZip = await clients.s3.send(
      new GetObjectCommand({ Bucket: code.S3Bucket, Key: code.S3Key }),
    );
    writeFileSync(path.join(work, 'deployed.zip'), await deployedZip.Body!.transformToByteArray());
    execFileSync('python3', ['-m', 'zipfile', '-e', path.join(work, 'deployed.zip'), taskDir]);

    // What the trigger would announce: the notification CDK's custom resource would write.
    const notifications = bundled.template.Resources[
      [...removed.entries()].find(([, t]) => t === 'Custom::S3BucketNotifications')![0]
    ]?.Properties?.NotificationConfiguration as {
      LambdaFunctionConfigurations: Array<{
        Filter: { Key: { FilterRules: Array<{ Name: string; Value: string }> } };
      }>;
    };
    const rules = notifications.LambdaFunctionConfigurations[0]?.Filter.Key.FilterRules ?? [];
    expect(rules).toEqual(
      expect.arrayContaining([
        { Name: 'prefix', Value: 'AWSLogs/' },
        { Name: 'suffix', Value: '.json.gz' },
      ]),
    );

    // An alert subscriber: an SQS queue on the alert topic.
    const queueUrl = (await clients.sqs.send(new CreateQueueCommand({ QueueName: 'alert-subscriber' })))
      .QueueUrl!;
    const queueArn = (
      await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes!.QueueArn!;
    await clients.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));

    // A seed log where the trail writes it, and the nested-layout key with the same content.
    const file = `${ACCOUNT}_CloudTrail_${REGION}_20170504T0025Z_deploy0001.json.gz`;
    const key = `AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2017/05/04/${file}`;
    const nested = `AWSLogs/${ACCOUNT}/AWSLogs/999988887777/CloudTrail/${REGION}/2017/05/04/${file}`;
    const body = gzipSync(JSON.stringify({ Records: seedRecords().map((s) => s.record) }));
    for (const k of [key, nested])
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: body }));
    const event = {
      Records: [key, nested].map((k) => ({
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: REGION,
        eventTime: '2017-05-04T00:26:00.000Z',
        eventName: 'ObjectCreated:Put',
        s3: {
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeS3EventKey(k), size: body.length },
        },
      })),
    };

    // Act: invoke the deployed code with the deployed environment, pointed at moto
    const run = await runBundledHandler({
      nodePath: process.execPath,
      assetDir: taskDir,
      env: {
        ...environment,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_LAMBDA_FUNCTION_NAME: fnName,
      },
      event,
      timeoutMs: Math.max(5_000, deadline - Date.now()),
    });

    // Assess: the items and the alert
    expect(run.error).toBeUndefined();
    expect((run.result as { objects: unknown[] }).objects).toEqual([
      expect.objectContaining({ key, status: 'processed', failedCalls: 1 }),
      expect.objectContaining({ key: nested, status: 'skipped', skipReason: 'not-a-log-key' }),
    ]);
    const items = (await clients.dynamodb.send(new ScanCommand({ TableName: table }))).Items ?? [];
    expect(items.filter((i) => i.s3Key?.S === key)).toHaveLength(seedRecords().length);
    expect(items.filter((i) => i.s3Key?.S === nested)).toHaveLength(0);
    const received = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const alerts = (received.Messages ?? []).map(
      (m) => JSON.parse(m.Body ?? '{}') as { Subject?: string; Message?: string },
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.Subject).toMatch(
      /^trailwatch: Athena StartQueryExecution failed: InvalidRequestException \(/,
    );
    expect(alerts[0]?.Message).toContain(key);
  }, 60_000);

  it('deploys the backfill engine whose outputs drive the CLI: stop and resume the deployed mapping', async () => {
    // Prepare: the stack of the test above, its outputs as `aws cloudformation describe-stacks` gives them.
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks?.[0];
    expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
    const outputs = Object.fromEntries(
      (stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
    const uuid = outputs.BackfillEventSourceMappingId ?? '';
    const queueArn = (
      await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: outputs.BackfillQueueUrl,
          AttributeNames: ['QueueArn', 'VisibilityTimeout', 'RedrivePolicy'],
        }),
      )
    ).Attributes;
    const mapping = async () => {
      const response = await fetch(`${moto.endpoint}/2015-03-31/event-source-mappings/${uuid}`, {
        headers: { Authorization: MOTO_AUTH.replace('/ssm/', '/lambda/') },
      });
      return (await response.json()) as Record<string, unknown>;
    };
    const cli = async (...args: string[]) => {
      const stdout = new PassThrough();
      let out = '';
      stdout.on('data', (c: Buffer) => (out += c.toString()));
      const io = {
        stdout,
        stderr: new PassThrough(),
        // No credentials: with a local endpoint the CLI uses the dummy ones moto accepts.
        env: { AWS_REGION: REGION },
        cwd: work,
      };
      const code = await createBackfillCommand().run(
        [...args, '--mapping-id', uuid, '--lambda-endpoint-url', moto.endpoint],
        io,
      );
      return { code, out };
    };

    // Assess: the deployed queue and mapping are the ones the outputs name, as configured.
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(queueArn?.VisibilityTimeout).toBe('1800');
    expect(JSON.parse(queueArn?.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: 5 });
    expect(await mapping()).toMatchObject({
      UUID: uuid,
      EventSourceArn: queueArn?.QueueArn,
      FunctionArn: expect.stringContaining(outputs.BackfillFunctionName ?? 'missing'),
      BatchSize: 1,
      State: 'Enabled',
    });

    // Act / Assess: `trailwatch backfill stop` and `resume` with the output, against the deployed mapping.
    const stopped = await cli('stop');
    expect(stopped.code).toBe(0);
    expect(stopped.out).toContain(`event source mapping ${uuid}`);
    expect((await mapping()).State).toBe('Disabled');
    const resumed = await cli('resume');
    expect(resumed.code).toBe(0);
    expect((await mapping()).State).toBe('Enabled');
  }, 30_000);
});
