import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import {
  CONTRACT_ITEM_KEY,
  contractItemAttributes,
  TABLE_CONTRACT_VERSION,
} from '../lambdas/core/table-contract';

/** Properties of {@link TableContractItem}. */
export interface TableContractItemProps {
  /** The event table the item goes into. */
  readonly table: dynamodb.ITable;
}

/**
 * Puts the contract item (docs/table.md, "Versions") into the event table when the stack creates or
 * replaces the table, so a reader of a table no event was written to yet finds it (and needs no
 * DescribeTable permission). The item comes from the contract module; an item already there is left
 * as it is (`attribute_not_exists`), like the writer does before its first write.
 */
export class TableContractItem extends Construct {
  /** The custom resource that makes the PutItem call. */
  public readonly resource: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: TableContractItemProps) {
    super(scope, id);
    const putItem: cr.AwsSdkCall = {
      service: 'DynamoDB',
      action: 'putItem',
      parameters: {
        TableName: props.table.tableName,
        Item: contractItemAttributes(),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
      // One item per table: a new table (another name) is a new physical resource.
      physicalResourceId: cr.PhysicalResourceId.of(
        `${props.table.tableName}/${CONTRACT_ITEM_KEY.pk}/v${TABLE_CONTRACT_VERSION}`,
      ),
      ignoreErrorCodesMatching: 'ConditionalCheckFailedException',
    };
    this.resource = new cr.AwsCustomResource(this, 'PutItem', {
      onCreate: putItem,
      onUpdate: putItem,
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [props.table.tableArn] }),
      // The SDK of the Lambda runtime has PutItem; a deploy should not download one from npm.
      installLatestAwsSdk: false,
    });
  }
}
