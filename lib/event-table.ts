import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { EVENT_INDEXES, EventIndexSpec, TABLE_KEYS, TTL_ATTRIBUTE } from '../lambdas/core/table-contract';

/** Properties of {@link EventTable}. */
export interface EventTableProps {
  /**
   * Keep the table (and its data) when the stack is deleted, with deletion protection on.
   * @default true
   */
  readonly retainData?: boolean;
}

/**
 * The event table other teams query (contract v1, docs/table.md): pk `<service>#<day>#<shard>`, sk
 * `<eventTime>#<eventId>`, three GSIs with the contract's projections, TTL on `expiresAt`, on-demand,
 * point-in-time recovery, deletion protection.
 */
export class EventTable extends Construct {
  /** The DynamoDB table. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: EventTableProps = {}) {
    super(scope, id);
    const retain = props.retainData ?? true;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });
    for (const [indexName, spec] of Object.entries(EVENT_INDEXES) as [string, EventIndexSpec][]) {
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: spec.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: TABLE_KEYS.sort, type: dynamodb.AttributeType.STRING },
        ...(spec.projection === 'ALL'
          ? { projectionType: dynamodb.ProjectionType.ALL }
          : { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...(spec.include ?? [])] }),
      });
    }
  }
}
