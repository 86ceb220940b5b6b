import {
  GetEventSourceMappingCommand,
  LambdaClient,
  LambdaServiceException,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { TrailwatchError } from '../core/errors';

/** A call on the backfill's event source mapping failed: names the mapping and what to check. */
export class EventSourceMappingError extends TrailwatchError {}

/** What the CLI shows of the mapping. */
export interface MappingState {
  /** Lambda's state: Enabled, Disabled, Enabling, Disabling, Updating, Creating, Deleting. */
  readonly state: string;
  readonly maxConcurrency?: number;
  readonly batchSize?: number;
  readonly functionArn?: string;
}

/** Options of createLambdaClient (the CLI's; the Lambda itself never calls Lambda). */
export interface LambdaClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: AwsCredentialIdentity;
}

/** A Lambda API client for the mapping's calls (not in AwsClients: only `backfill stop|resume|status` need it). */
export function createLambdaClient(options: LambdaClientOptions): LambdaClient {
  return new LambdaClient({
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
}

/**
 * The backfill queue's event source mapping (stack output BackfillEventSourceMappingId): disabling it
 * stops the backfill (messages wait in the queue), enabling it resumes. One SDK call per method.
 */
export class EventSourceMapping {
  constructor(
    readonly uuid: string,
    private readonly client: LambdaClient,
  ) {}

  /** Enables or disables the mapping (UpdateEventSourceMapping); returns the state Lambda answers. */
  async setEnabled(enabled: boolean): Promise<MappingState> {
    try {
      const out = await this.client.send(
        new UpdateEventSourceMappingCommand({ UUID: this.uuid, Enabled: enabled }),
      );
      return stateOf(out);
    } catch (err) {
      throw this.translate(err);
    }
  }

  /** The mapping's current state (GetEventSourceMapping). */
  async describe(): Promise<MappingState> {
    try {
      return stateOf(await this.client.send(new GetEventSourceMappingCommand({ UUID: this.uuid })));
    } catch (err) {
      throw this.translate(err);
    }
  }

  private translate(err: unknown): unknown {
    if (!(err instanceof LambdaServiceException)) return err;
    const where = `event source mapping ${this.uuid}`;
    if (err.name === 'ResourceNotFoundException')
      return new EventSourceMappingError(
        `${where}: not found (check --mapping-id, the stack output BackfillEventSourceMappingId, and --region)`,
        { cause: err },
      );
    if (err.name === 'AccessDeniedException')
      return new EventSourceMappingError(`${where}: access denied (${err.message})`, { cause: err });
    if (err.name === 'ResourceInUseException')
      return new EventSourceMappingError(`${where}: being updated; try again in a few seconds`, {
        cause: err,
      });
    return new EventSourceMappingError(`${where}: ${err.name}: ${err.message}`, { cause: err });
  }
}

function stateOf(out: {
  State?: string;
  BatchSize?: number;
  FunctionArn?: string;
  ScalingConfig?: { MaximumConcurrency?: number };
}): MappingState {
  return {
    state: out.State ?? 'unknown',
    ...(out.ScalingConfig?.MaximumConcurrency !== undefined
      ? { maxConcurrency: out.ScalingConfig.MaximumConcurrency }
      : {}),
    ...(out.BatchSize !== undefined ? { batchSize: out.BatchSize } : {}),
    ...(out.FunctionArn !== undefined ? { functionArn: out.FunctionArn } : {}),
  };
}
