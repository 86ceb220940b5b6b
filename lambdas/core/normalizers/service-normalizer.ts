import type { CloudTrailRecord } from '../cloudtrail-record';
import type { ResourceRef } from '../normalized-event';
import type { ResponseFailure } from '../response-errors';
import type { ServiceName } from '../services';

/** What one watched service adds to the common normalization: its resources and its in-response failures. */
export interface ServiceNormalizer {
  readonly service: ServiceName;
  /** The resources the call names, primary one first (see docs/normalized-event.md). */
  resources(record: CloudTrailRecord): ResourceRef[];
  /** A failure the service reported inside responseElements although the call returned no errorCode. */
  responseFailure(record: CloudTrailRecord): ResponseFailure | undefined;
}
