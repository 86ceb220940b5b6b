import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { RetainedTableProps, retainedTableSettings } from './retained-table';

/** Props of AlertStateTable. */
export type AlertStateTableProps = RetainedTableProps;

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
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      ...retainedTableSettings(props),
    });
  }
}
