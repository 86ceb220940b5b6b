import { CfnResource, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Properties of {@link CrossAccountEvents}. */
export interface CrossAccountEventsProps {
  /** The account of the log bucket, whose bucket-account stack forwards its S3 events here. */
  readonly bucketAccount: string;
}

/** The S3 event the bucket-account stack forwards, as EventBridge names it. */
export const FORWARDED_SOURCE = 'aws.s3';
/** Its detail type. */
export const FORWARDED_DETAIL_TYPE = 'Object Created';

/**
 * Lets the bucket account put S3 "Object Created" events on this account's default event bus, and
 * nothing else: the bus policy names the account, the source and the detail type. (Which bucket and
 * keys is the trigger rule's pattern: a bus policy cannot look inside an event's detail.)
 */
export class CrossAccountEvents extends Construct {
  /** The statement added to the default bus's policy. */
  public readonly policy: CfnResource;

  constructor(scope: Construct, id: string, props: CrossAccountEventsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // One statement per stack and bucket account: the default bus's policy is shared with anything
    // else in the account, and each CfnEventBusPolicy owns exactly its own statement id.
    const statementId = `${stack.stackName}-s3-${props.bucketAccount}`.slice(0, 64);
    // A plain CfnResource: CfnEventBusPolicy's deprecated Principal/Action/Condition getters print a
    // deprecation warning on every synth although they are unused (the Statement property replaces them).
    this.policy = new CfnResource(this, 'BucketAccountPutEvents', {
      type: 'AWS::Events::EventBusPolicy',
      properties: {
        EventBusName: 'default',
        StatementId: statementId,
        Statement: {
          Effect: 'Allow',
          Principal: { AWS: `arn:${stack.partition}:iam::${props.bucketAccount}:root` },
          Action: 'events:PutEvents',
          Resource: `arn:${stack.partition}:events:${stack.region}:${stack.account}:event-bus/default`,
          Condition: {
            StringEquals: {
              'events:source': FORWARDED_SOURCE,
              'events:detail-type': FORWARDED_DETAIL_TYPE,
            },
          },
        },
      },
    });
  }
}
