import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';

/** Properties shared by trailwatch's tables. */
export interface RetainedTableProps {
  /**
   * Keep the table (and its data) when the stack is deleted or the table replaced, with deletion
   * protection on.
   * @default true
   */
  readonly retainData?: boolean;
}

/**
 * The settings every trailwatch table has: on demand, point-in-time recovery, AWS-managed
 * encryption, and (unless `retainData: false`) retained with deletion protection. Losing either table
 * loses history: the events, or the alert markers that keep a backfill from alerting again.
 */
export function retainedTableSettings(
  props: RetainedTableProps,
): Pick<
  dynamodb.TableProps,
  'billingMode' | 'pointInTimeRecoverySpecification' | 'deletionProtection' | 'removalPolicy' | 'encryption'
> {
  const retain = props.retainData ?? true;
  return {
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: retain,
    removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
  };
}
