import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Properties of {@link LogReadRole}. */
export interface LogReadRoleProps {
  /** The CloudTrail bucket, in this stack's account. */
  readonly bucketName: string;
  /** Key prefix before `AWSLogs/` ('' for none). */
  readonly logPrefix: string;
  /**
   * The KMS key of the log files (SSE-KMS), which may be in another account (Control Tower's key).
   * @default - the log files are SSE-S3 encrypted: no KMS permission
   */
  readonly kmsKeyArn?: string;
  /** The role's name; the trailwatch stack's readRoleName. */
  readonly roleName: string;
  /** The exact role ARNs that may assume it: the ingest function's role, and operators' roles for backfill/replay. */
  readonly trustedRoleArns: readonly string[];
}

/**
 * The read-only role the trailwatch function (in another account) assumes to read the log files:
 * GetObject and ListBucket under the log prefix, Decrypt on the bucket's key only through S3 for those
 * objects, and a trust policy naming each trusted role's ARN (`aws:PrincipalArn`), not just its account.
 */
export class LogReadRole extends Construct {
  /** The role. */
  public readonly role: iam.Role;
  /** The objects it may read (an ARN ending in `AWSLogs/*`). */
  public readonly logObjectsArn: string;

  constructor(scope: Construct, id: string, props: LogReadRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const trusted = [...new Set(props.trustedRoleArns)];
    // The account principals of the trusted roles, narrowed to the roles themselves: an account
    // principal lets the role be trusted before the trailwatch stack exists (a role principal would
    // fail the deploy), the condition keeps every other identity of those accounts out.
    const accounts = [...new Set(trusted.map((arn) => arn.split(':')[4] ?? ''))];
    const principals = accounts.map((account) => new iam.AccountPrincipal(account));
    const [first, ...rest] = principals;
    if (first === undefined) throw new Error('LogReadRole: trustedRoleArns must name at least one role');
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: 'trailwatch: read-only access to the CloudTrail log files, for the trailwatch account',
      assumedBy: new iam.PrincipalWithConditions(
        rest.length === 0 ? first : new iam.CompositePrincipal(first, ...rest),
        { ArnEquals: { 'aws:PrincipalArn': trusted } },
      ),
      // trailwatch asks for one-hour sessions (STS's default) and renews them.
      maxSessionDuration: Duration.hours(1),
    });

    const keyPrefix = `${props.logPrefix === '' ? '' : `${props.logPrefix}/`}AWSLogs/`;
    const bucketArn = `arn:${stack.partition}:s3:::${props.bucketName}`;
    this.logObjectsArn = `${bucketArn}/${keyPrefix}*`;
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadLogFiles',
        actions: ['s3:GetObject'],
        resources: [this.logObjectsArn],
      }),
    );
    // Backfill lists the layout folder by folder, always under the log prefix.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListLogFiles',
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${keyPrefix}*`] } },
      }),
    );
    if (props.kmsKeyArn !== undefined) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptLogFilesThroughS3',
          actions: ['kms:Decrypt'],
          resources: [props.kmsKeyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
            // S3 names the object in the encryption context, or the bucket when S3 Bucket Keys are on.
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, this.logObjectsArn] },
          },
        }),
      );
    }
  }
}
