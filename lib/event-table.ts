import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { EVENT_INDEXES, EventIndexSpec, TABLE_KEYS, TTL_ATTRIBUTE } from '../lambdas/core/table-contract';
import { RetainedTableProps, retainedTableSettings } from './retained-table';
import { TableContractItem } from './table-contract-item';

/** Properties of {@link EventTable}. */
export type EventTableProps = RetainedTableProps;

/**
 * The event table other teams query (contract v1, docs/table.md): pk `<service>#<day>#<shard>`, sk
 * `<eventTime>#<eventId>`, three GSIs with the contract's projections, TTL on `expiresAt`, on-demand,
 * point-in-time recovery, deletion protection, and the contract item from the start.
 */
export class EventTable extends Construct {
  /** The DynamoDB table. */
  public readonly table: dynamodb.Table;
  /** The custom resource that puts the contract item into the new table. */
  public readonly contractItem: TableContractItem;

  constructor(scope: Construct, id: string, props: EventTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sort, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      ...retainedTableSettings(props),
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
    this.contractItem = new TableContractItem(this, 'ContractItem', { table: this.table });
  }
}
