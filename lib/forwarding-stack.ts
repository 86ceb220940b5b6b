import { Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { RegionForwarder } from './real-time-alerts';

/** Properties of {@link ForwardingStack}. */
export interface ForwardingStackProps extends StackProps {
  /** The region of the trailwatch stack. */
  readonly homeRegion: string;
}

/** One per listed region (`realTimeRegions`): the forwarding rule and its role, nothing else. */
export class ForwardingStack extends Stack {
  /** The forwarder. */
  public readonly forwarder: RegionForwarder;

  constructor(scope: Construct, id: string, props: ForwardingStackProps) {
    super(scope, id, {
      description: `trailwatch: forwards failed Glue/EMR/Athena/Batch API call events to ${props.homeRegion}`,
      ...props,
    });
    this.forwarder = new RegionForwarder(this, 'Forwarder', { homeRegion: props.homeRegion });
  }
}
