import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** Properties of {@link EventTable}. */
export interface EventTableProps {
  /**
   * Keep the table (and its data) when the stack is deleted, with deletion protection on.
   * @default true
   */
  readonly retainData?: boolean;
}

/** The GSIs of the event table (docs/table contract): name → partition key; each is sorted by `sk`. */
export const EVENT_TABLE_INDEXES = {
  byPrincipal: 'principalArn',
  failures: 'failureDay',
  byResource: 'resourceKey',
} as const;

/**
 * The event table other teams query: pk `<service>#<day>`, sk `<eventTime>#<eventId>`, three GSIs
 * (projection ALL), TTL on `expiresAt`, on-demand, point-in-time recovery, deletion protection.
 */
export class EventTable extends Construct {
  /** The DynamoDB table. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: EventTableProps = {}) {
    super(scope, id);
    const retain = props.retainData ?? true;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });
    for (const [indexName, partitionKey] of Object.entries(EVENT_TABLE_INDEXES)) {
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
