import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Properties of {@link LogSource}. */
export interface LogSourceProps {
  /**
   * Name of an existing bucket CloudTrail already writes to. trailwatch then creates no bucket and no trail.
   * @default - a new encrypted bucket and a CloudTrail trail writing to it
   */
  readonly existingBucketName?: string;
  /**
   * ARN of the KMS key the existing bucket's objects are encrypted with (SSE-KMS), so the function may decrypt them.
   * @default - objects are SSE-S3 encrypted (or the bucket is new)
   */
  readonly existingBucketKmsKeyArn?: string;
  /** Key prefix before `AWSLogs/` ('' for none). */
  readonly logPrefix: string;
  /** Whether the new trail records every region. Ignored with an existing bucket. */
  readonly multiRegionTrail: boolean;
  /** Whether the new trail is an organization trail (deploy in the management account). */
  readonly organizationTrail: boolean;
  /** AWS Organizations id; required for an organization trail. */
  readonly organizationId?: string;
  /** Whether S3 publishes this bucket's events to EventBridge (only set on a new bucket). */
  readonly eventBridgeEnabled: boolean;
}

/**
 * Where CloudTrail log files come from: a new encrypted bucket plus a trail writing to it, or an
 * existing CloudTrail bucket imported by name (trailwatch then changes nothing on it but its notifications).
 */
export class LogSource extends Construct {
  /** The bucket CloudTrail writes to. */
  public readonly bucket: s3.IBucket;
  /** The key the log objects are encrypted with, when it is a customer key the function must be granted. */
  public readonly encryptionKey?: kms.IKey;
  /** The trail trailwatch created, if it created one. */
  public readonly trail?: cloudtrail.Trail;
  /** The ARN of that trail (the aws:SourceArn CloudTrail sends), if trailwatch created one. */
  public readonly trailArn?: string;
  /** Whether the bucket was created by this stack. */
  public readonly createdBucket: boolean;

  constructor(scope: Construct, id: string, props: LogSourceProps) {
    super(scope, id);
    if (props.existingBucketName !== undefined) {
      this.createdBucket = false;
      this.bucket = s3.Bucket.fromBucketName(this, 'Bucket', props.existingBucketName);
      if (props.existingBucketKmsKeyArn !== undefined) {
        this.encryptionKey = kms.Key.fromKeyArn(this, 'BucketKey', props.existingBucketKmsKeyArn);
      }
      return;
    }

    this.createdBucket = true;
    // Audit logs outlive the pipeline: `cdk destroy` never deletes them (nor could it, the buckets are not empty).
    const removalPolicy = RemovalPolicy.RETAIN;
    // Server access logs of the log bucket: who read or deleted audit logs is itself audit data.
    // Access-log target buckets support SSE-S3 only.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy,
      autoDeleteObjects: false,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server-access-log target; logging it to itself would loop.',
    });

    const bucket = new s3.Bucket(this, 'Bucket', {
      // SSE-S3: what CloudTrail delivers with by default; SSE-KMS would need a key policy for CloudTrail in every member account.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'log-bucket/',
      eventBridgeEnabled: props.eventBridgeEnabled,
      lifecycleRules: [
        // Old log files move to cheaper storage; trailwatch reads them only within minutes of delivery.
        {
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(90) },
          ],
        },
        { noncurrentVersionExpiration: Duration.days(90) },
      ],
      removalPolicy,
    });
    this.bucket = bucket;

    const prefix = props.logPrefix === '' ? undefined : props.logPrefix;
    const stack = Stack.of(this);
    // A fixed name, so the bucket policy can name the trail's ARN before the trail exists (the trail
    // depends on the policy: CreateTrail checks it).
    const trailName = `${stack.stackName}-${props.organizationTrail ? 'org-trail' : 'trail'}`;
    this.trailArn = `arn:${stack.partition}:cloudtrail:${stack.region}:${stack.account}:trail/${trailName}`;
    this.addCloudTrailStatements(bucket, prefix, this.trailArn, props);
    this.trail = new cloudtrail.Trail(this, 'Trail', {
      // The bucket without its policy: CDK's own CloudTrail statements carry no aws:SourceArn, so
      // addCloudTrailStatements writes them instead (CDK adds nothing to an imported bucket).
      bucket: s3.Bucket.fromBucketAttributes(this, 'TrailBucket', {
        bucketArn: bucket.bucketArn,
        bucketName: bucket.bucketName,
      }),
      s3KeyPrefix: prefix,
      isMultiRegionTrail: props.multiRegionTrail,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
      managementEvents: cloudtrail.ReadWriteType.ALL,
      isOrganizationTrail: props.organizationTrail,
      orgId: props.organizationTrail ? props.organizationId : undefined,
      trailName,
    });
    if (bucket.policy !== undefined) this.trail.node.addDependency(bucket.policy);
  }

  // CloudTrail may read the bucket ACL and write under its own AWSLogs/ folders, only for this trail
  // (aws:SourceArn): no other trail, in this account or another, can deliver into the bucket.
  private addCloudTrailStatements(
    bucket: s3.Bucket,
    prefix: string | undefined,
    trailArn: string,
    props: LogSourceProps,
  ): void {
    const principal = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    const fromThisTrail = { 'aws:SourceArn': trailArn };
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailAclCheck',
        principals: [principal],
        actions: ['s3:GetBucketAcl'],
        resources: [bucket.bucketArn],
        conditions: { StringEquals: fromThisTrail },
      }),
    );
    const folders = [Stack.of(this).account];
    // An organization trail writes every member account's files under AWSLogs/<org id>/, the prefix included.
    if (props.organizationTrail && props.organizationId !== undefined) folders.push(props.organizationId);
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWrite',
        principals: [principal],
        actions: ['s3:PutObject'],
        resources: folders.map((folder) =>
          bucket.arnForObjects(`${prefix === undefined ? '' : `${prefix}/`}AWSLogs/${folder}/*`),
        ),
        conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', ...fromThisTrail } },
      }),
    );
  }
}
