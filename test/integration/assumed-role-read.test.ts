import { gunzipSync, gzipSync } from 'node:zlib';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RoleAssumptionError } from '../../lambdas/adapters/assumed-role-credentials';
import { createAwsClients, destroyAwsClients, type AwsClients } from '../../lambdas/adapters/aws-clients';
import { LogObjectReadError } from '../../lambdas/adapters/s3-log-source';
import { logReadClient, s3LogObjectSource } from '../../lambdas/app/compose';
import { loadIngestConfig } from '../../lambdas/ingest/config';
import { BucketAccountStack } from '../../lib/bucket-account-stack';
import { describeWithMoto, startMoto, type MotoServer } from '../helpers/moto';
import { cdkJsonContext, newDeployedStack } from '../infra/synth';

// Reading a log-archive bucket through the bucket account's read role, against moto with its IAM
// enforcement on (POST /moto-api/reset-auth): moto then checks every request's signature and access
// key, the caller's identity policies (the function may call sts:AssumeRole on the read role, nothing
// else), and for assumed-role credentials the role's own policies, in the role's account. What moto
// does not evaluate: trust policies of a role in another account than the caller (so the trust policy
// is asserted by the infra tests instead) and IAM conditions (the ListBucket and kms:Decrypt
// statements, which carry conditions, are not exercised here).

const LOG_ARCHIVE = '444455556666';
const AUDIT = '111122223333';
const REGION = 'eu-west-1';
const BUCKET = 'aws-controltower-logs-444455556666-eu-west-1';
const PREFIX = 'o-a1b2c3d4e5';
const READ_ROLE_ARN = `arn:aws:iam::${LOG_ARCHIVE}:role/trailwatch-log-reader`;
const LOG_KEY = `${PREFIX}/AWSLogs/${PREFIX}/${LOG_ARCHIVE}/CloudTrail/${REGION}/2024/05/01/${LOG_ARCHIVE}_CloudTrail_${REGION}_20240501T0805Z_a1.json.gz`;
const OUTSIDE_KEY = 'other-team/secrets.json.gz';
const RECORD = {
  eventVersion: '1.08',
  eventTime: '2024-05-01T08:01:02Z',
  eventSource: 'glue.amazonaws.com',
  eventName: 'StartJobRun',
  awsRegion: REGION,
  eventID: 'b6a1f0c2-0000-4000-8000-000000000001',
};

/** Sends every request of `client` as account `account` (moto's multi-account header). */
function asAccount<T extends S3Client | IAMClient>(client: T, account: string): T {
  (client.middlewareStack as S3Client['middlewareStack']).add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-moto-account-id'] = account;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  return client;
}

type PolicyDocument = { Version: string; Statement: Array<Record<string, unknown>> };

/** The read role's trust and permissions exactly as the bucket-account stack synthesizes them. */
function bucketAccountPolicies(): { trust: PolicyDocument; permissions: PolicyDocument } {
  const app = new App({ context: cdkJsonContext() });
  const stack = new BucketAccountStack(app, 'TrailwatchBucketAccount', {
    config: { sourceBucketName: BUCKET, logPrefix: PREFIX, trailwatchAccount: AUDIT },
    env: { account: LOG_ARCHIVE, region: REGION },
  });
  const template = Template.fromStack(stack);
  const role = Object.values(template.findResources('AWS::IAM::Role')).find(
    (r) => (r as { Properties: { RoleName?: string } }).Properties.RoleName === 'trailwatch-log-reader',
  ) as { Properties: { AssumeRolePolicyDocument: PolicyDocument } };
  const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) =>
    JSON.stringify(p).includes('ReadLogFiles'),
  ) as { Properties: { PolicyDocument: PolicyDocument } };
  return { trust: role.Properties.AssumeRolePolicyDocument, permissions: policy.Properties.PolicyDocument };
}

/** The function role's statements as the trailwatch stack synthesizes them, where moto can take them (literal ARNs). */
function functionAssumeRolePolicy(): PolicyDocument {
  const { stack } = newDeployedStack(
    {
      sourceBucketName: BUCKET,
      sourceBucketAccount: LOG_ARCHIVE,
      logPrefix: PREFIX,
      trigger: 'eventbridge',
      readRoleName: 'trailwatch-log-reader',
    },
    { account: AUDIT, region: REGION },
  );
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')) as Array<{
    Properties: { PolicyDocument: PolicyDocument };
  }>;
  const statements = policies
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .filter((s) => s.Action === 'sts:AssumeRole');
  return { Version: '2012-10-17', Statement: statements };
}

describeWithMoto('reading the log bucket through the assumed read role (moto, IAM enforced)', () => {
  let moto: MotoServer | undefined;
  let functionCredentials: AwsCredentialIdentity;
  let clients: AwsClients;

  beforeAll(async () => {
    moto = await startMoto();
    if (!moto) throw new Error('moto did not start');
    const endpoint = moto.endpoint;
    const admin = { region: REGION, endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    // The log-archive account: the bucket with one log file and one object outside the prefix, and
    // the read role with the trust and permissions the bucket-account stack deploys.
    const s3 = asAccount(
      new S3Client({ ...admin, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' }),
      LOG_ARCHIVE,
    );
    await s3.send(
      new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }),
    );
    const body = gzipSync(JSON.stringify({ Records: [RECORD] }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: LOG_KEY, Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: OUTSIDE_KEY, Body: body }));
    const { trust, permissions } = bucketAccountPolicies();
    const archiveIam = asAccount(new IAMClient(admin), LOG_ARCHIVE);
    for (const name of ['trailwatch-log-reader', 'admin']) {
      await archiveIam.send(
        new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }),
      );
    }
    await archiveIam.send(
      new PutRolePolicyCommand({
        RoleName: 'trailwatch-log-reader',
        PolicyName: 'read',
        PolicyDocument: JSON.stringify(permissions),
      }),
    );
    // The audit account: an identity standing for the function's role, with the function's sts:AssumeRole
    // statement (moto's STS cannot hand out Lambda's role credentials, so a user carries that policy).
    const auditIam = asAccount(new IAMClient(admin), AUDIT);
    await auditIam.send(new CreateUserCommand({ UserName: 'trailwatch-ingest' }));
    await auditIam.send(
      new PutUserPolicyCommand({
        UserName: 'trailwatch-ingest',
        PolicyName: 'assume-read-role',
        PolicyDocument: JSON.stringify(functionAssumeRolePolicy()),
      }),
    );
    const key = (await auditIam.send(new CreateAccessKeyCommand({ UserName: 'trailwatch-ingest' })))
      .AccessKey;
    if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('moto created no access key');
    functionCredentials = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
    for (const c of [s3, archiveIam, auditIam]) c.destroy();

    // From here on moto checks every request's identity and permissions.
    const reset = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
    if (!reset.ok) throw new Error(`moto reset-auth failed: ${reset.status}`);
    clients = createAwsClients({
      region: REGION,
      endpoints: { s3: endpoint, sts: endpoint },
      credentials: functionCredentials,
      maxAttempts: 1,
    });
  }, 60_000);

  afterAll(async () => {
    if (clients) destroyAwsClients(clients);
    await moto?.stop();
  });

  async function read(client: S3Client | undefined, key: string): Promise<unknown> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of await s3LogObjectSource(client).open({ bucket: BUCKET, key }))
      chunks.push(chunk);
    return JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as unknown;
  }

  it('reads a log file with the credentials of the assumed role, in the bucket account', async () => {
    // Prepare: the client the processor uses for READ_ROLE_ARN (the Lambda's own configuration path).
    const config = loadIngestConfig({
      TABLE_NAME: 't',
      SOURCE_BUCKETS: BUCKET,
      ALERTS_ENABLED: 'false',
      READ_ROLE_ARN,
    });
    const client = logReadClient(config, clients);
    // Act
    const file = await read(client, LOG_KEY);
    const credentials = await client?.config.credentials();
    const identity = await new STSClient({ region: REGION, endpoint: moto?.endpoint, credentials }).send(
      new GetCallerIdentityCommand({}),
    );
    // Assess: protects the read path of the cross-account layout: the object is read with the read
    // role's session (moto checked the role's GetObject permission), not with the function's identity.
    expect(file).toEqual({ Records: [RECORD] });
    expect(credentials?.accessKeyId).not.toBe(functionCredentials.accessKeyId);
    expect(identity.Arn).toBe(`arn:aws:sts::${LOG_ARCHIVE}:assumed-role/trailwatch-log-reader/trailwatch`);
  });

  it("is refused outside the log prefix, and the function's own credentials read nothing", async () => {
    // Act: one read at a time, each rejection caught where it happens.
    const outside = await read(clients.s3ForRole(READ_ROLE_ARN), OUTSIDE_KEY).catch((err: unknown) => err);
    const direct = await read(clients.s3, LOG_KEY).catch((err: unknown) => err);
    // Assess: protects "GetObject on the log prefix only" and "no S3 permission of the function's own".
    expect(outside).toBeInstanceOf(LogObjectReadError);
    expect(String(outside)).toMatch(/GetObject failed: AccessDenied/);
    expect(direct).toBeInstanceOf(LogObjectReadError);
    expect(String(direct)).toMatch(/GetObject failed: AccessDenied/);
  });

  it('cannot assume another role of the bucket account, and says which role and why', async () => {
    // Act
    const other = await read(clients.s3ForRole(`arn:aws:iam::${LOG_ARCHIVE}:role/admin`), LOG_KEY).catch(
      (err: unknown) => err,
    );
    // Assess: protects "the function may assume the read role alone", and the one-line error.
    expect(other).toBeInstanceOf(RoleAssumptionError);
    expect((other as Error).message).toMatch(
      /^cannot assume arn:aws:iam::444455556666:role\/admin: AccessDenied: .*the role's trust policy/,
    );
  });
});
