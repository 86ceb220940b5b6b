import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/**
 * The alert state table: per-event "alerted" markers and per-signature suppression windows, pk only,
 * TTL on `expiresAt`. Its rows live for an alert window, so it is DESTROYed with the stack: retaining
 * it would only orphan a table whose content is worthless once the pipeline is gone, and losing it
 * at worst sends an alert twice.
 */
export class AlertStateTable extends Construct {
  /** The DynamoDB table. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'Holds only short-lived alert markers that expire within the alert window; a restore has no value.',
    });
  }
}
