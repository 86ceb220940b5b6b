// EMR Serverless and EMR on EKS calls go the whole way, like EMR on EC2's: read from a log file,
// stored under the `emr` service in the real table (dynalite), found by the query library by service
// and by resource, and alerted through the local SNS endpoint.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ingestCommand } from '../../cli/commands/ingest';
import type { CliIO } from '../../cli/usage';
import { collect, EventQueryClient } from '../../lambdas/query';
import { readOutbox } from '../../local/sns-server';
import { startLocalStack, type LocalStack } from '../../local/stack';

const ACCT = '123456789012';
let stack: LocalStack;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-emr-'));
  stack = await startLocalStack({ dataDir: path.join(tmp, 'data'), persistTables: false });
});
afterAll(async () => {
  await stack?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function record(eventSource: string, eventName: string, id: string, extra: Record<string, unknown>) {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCT}:assumed-role/etl/run`, accountId: ACCT },
    eventTime: '2024-05-01T08:00:00Z',
    eventSource,
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.7',
    requestID: `req-${id}`,
    eventID: id,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCT,
    ...extra,
  };
}

const RECORDS = [
  record('emr-serverless.amazonaws.com', 'StartJobRun', 'sls-ok', {
    requestParameters: { applicationId: '00app', executionRoleArn: `arn:aws:iam::${ACCT}:role/job` },
    responseElements: { applicationId: '00app', jobRunId: '00run' },
  }),
  record('emr-serverless.amazonaws.com', 'CancelJobRun', 'sls-failed', {
    requestParameters: { applicationId: '00app', jobRunId: '00gone' },
    responseElements: null,
    errorCode: 'ResourceNotFoundException',
    errorMessage: 'Job run 00gone not found',
  }),
  record('emr-containers.amazonaws.com', 'StartJobRun', 'eks-failed', {
    requestParameters: { virtualClusterId: 'vc1', name: 'pi' },
    responseElements: null,
    errorCode: 'ValidationException',
    errorMessage: 'Virtual cluster vc1 is not running',
  }),
  record('elasticmapreduce.amazonaws.com', 'TerminateJobFlows', 'ec2-ok', {
    requestParameters: { jobFlowIds: ['j-1'] },
    responseElements: null,
  }),
  record('ec2.amazonaws.com', 'RunInstances', 'other', { requestParameters: null }),
];

function captureIO(): CliIO & { out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  return { stdout, stderr: new PassThrough(), env: {}, cwd: tmp, out: () => out };
}

describe('the three EMR flavours', () => {
  it('are stored and queried as emr, and their failed calls alert', async () => {
    // Prepare
    const file = path.join(tmp, `${ACCT}_CloudTrail_us-east-1_20240501T0805Z_emr.json.gz`);
    fs.writeFileSync(file, gzipSync(JSON.stringify({ Records: RECORDS })));
    const io = captureIO();
    const flags = [
      ...['--dynamodb-endpoint-url', stack.endpoints.dynamodb, '--sns-endpoint-url', stack.endpoints.sns],
      ...['--table', stack.tableName, '--alert-state-table', stack.alertStateTableName],
      ...['--topic-arn', stack.topicArn],
    ];

    // Act
    const code = await ingestCommand.run([...flags, file], io);
    const query = new EventQueryClient({ tableName: stack.tableName, client: stack.clients.dynamodb });
    const range = { from: '2024-05-01', to: '2024-05-01' };
    const stored = await collect(query.events({ service: 'emr', ...range }));
    const runHistory = await collect(
      query.byResource({ resource: `${ACCT}#us-east-1#emr-serverless:job-run#00run` }),
    );
    const failures = await collect(query.failures({ service: 'emr', ...range }));

    // Assess
    expect(code).toBe(0);
    expect(io.out()).toContain('(Glue 0, EMR 4, Athena 0, Batch 0)');
    expect(stored.map((e) => e.eventSource).sort()).toEqual([
      'elasticmapreduce.amazonaws.com',
      'emr-containers.amazonaws.com',
      'emr-serverless.amazonaws.com',
      'emr-serverless.amazonaws.com',
    ]);
    expect(runHistory.map((e) => e.eventId)).toEqual(['sls-ok']);
    expect(failures.map((e) => e.eventId).sort()).toEqual(['eks-failed', 'sls-failed']);
    const alerts = readOutbox(stack.outbox);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.messageAttributes.service?.value).toBe('emr');
    expect(alerts[0]?.subject).toBe(
      `trailwatch: 2 failed EMR calls: StartJobRun ValidationException, +1 other (${ACCT} us-east-1)`,
    );
    const body = JSON.parse(alerts[0]!.message) as Record<string, string>;
    expect(body.default).toContain('emr-serverless:job-run 00gone');
    expect(body.default).toContain('emr-containers:virtual-cluster vc1');
  });
});
