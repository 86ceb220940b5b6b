import {
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
// Not re-exported by the package index: the very function cdk-nag's IAM rules name resources with.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag's AwsSolutions pack with every unacknowledged finding reported as an error. cdk-nag marks
 * some rules as warnings (e.g. DDB3, point-in-time recovery), and CDK lets warnings pass once any
 * rule is acknowledged anywhere; trailwatch wants each finding either fixed or acknowledged with a reason.
 */
export class StrictAwsSolutionsChecks implements IPolicyValidationPlugin {
  /** Same name as the pack, so acknowledgements keep their `AwsSolutions-…` ids. */
  public readonly name: string;
  private readonly pack: AwsSolutionsChecks;

  constructor(scope?: IConstruct) {
    this.pack = new AwsSolutionsChecks(scope);
    this.name = this.pack.name;
  }

  /** Runs the pack and turns every remaining finding into an error. */
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return strict(this.pack.validate(context));
  }

  /** Runs the pack on a construct tree directly (tests). */
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    return strict(this.pack.validateScope(scope));
  }
}

function strict(report: PolicyValidationPluginReport): PolicyValidationPluginReport {
  return {
    ...report,
    success: report.violations.length === 0,
    violations: report.violations.map((v) => ({ ...v, severity: 'error' })),
  };
}

/** Registers the strict AwsSolutions checks on the app: any unacknowledged finding fails the synth. */
export function addNagChecks(app: IConstruct): void {
  Validations.of(app).addPlugins(new StrictAwsSolutionsChecks(app));
}

/**
 * How cdk-nag names `value` (an ARN, usually a token) in a finding id such as
 * `AwsSolutions-IAM5[Resource::…]`, resolved in `scope`'s stack. Derived, never written by hand:
 * the rendering depends on the stack's environment and feature flags (with a concrete region and
 * `@aws-cdk/core:enablePartitionLiterals` the partition is a literal `aws`, else `<AWS::Partition>`).
 */
export function nagResourceName(scope: IConstruct, value: string): string {
  return flattenCfnReference(Stack.of(scope).resolve(value));
}
