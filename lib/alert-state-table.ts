import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** Props of AlertStateTable. */
export interface AlertStateTableProps {
  /**
   * Keep the table (RETAIN, deletion protection) when the stack is deleted or replaced.
   * @default true
   */
  readonly retainData?: boolean;
}

/**
 * The alert state table: per-event "alerted" markers (kept as long as events, so re-running old files
 * never alerts again) and per-signature suppression windows; pk only, TTL on `expiresAt`. Retained like
 * the event table by default: losing it would make a backfill or replay with alerts re-send old alerts.
 */
export class AlertStateTable extends Construct {
  /** The DynamoDB table. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: AlertStateTableProps = {}) {
    super(scope, id);
    const retain = props.retainData ?? true;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: retain,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}
