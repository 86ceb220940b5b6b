import type { ResourceRef } from './normalized-event';
import type { ServiceName } from './services';

// Regions look like `us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `cn-north-1`. Anything else (a
// missing or garbled awsRegion) must not end up inside a URL a person clicks.
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** The console origin of a region: China and GovCloud regions have their own console domains. */
export function consoleOrigin(region: string): string {
  if (region.startsWith('cn-')) return 'https://console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

/**
 * A console link for the resource a failed call touched, or for the service's own page when the
 * call named no resource the console can open directly. Undefined when the region is unknown.
 */
export function resourceConsoleUrl(
  service: ServiceName,
  region: string | undefined,
  resource?: ResourceRef,
): string | undefined {
  if (region === undefined || !REGION.test(region)) return undefined;
  const origin = consoleOrigin(region);
  const q = `?region=${region}`;
  const id = resource ? encodeURIComponent(resource.id) : '';
  switch (resource?.type) {
    case 'glue:job':
      return `${origin}/gluestudio/home${q}#/editor/job/${id}/details`;
    case 'glue:crawler':
      return `${origin}/glue/home${q}#/v2/data-catalog/crawlers/view/${id}`;
    case 'glue:database':
      return `${origin}/glue/home${q}#/v2/data-catalog/databases/view/${id}`;
    case 'glue:connection':
      return `${origin}/glue/home${q}#/v2/data-catalog/connections/view/${id}`;
    case 'glue:trigger':
      return `${origin}/glue/home${q}#/v2/etl-configuration/triggers/view/${id}`;
    case 'glue:workflow':
      return `${origin}/glue/home${q}#/v2/etl-configuration/workflows/view/${id}`;
    case 'glue:table': {
      // The id is `<database>/<table>` when the call named the database (every Glue table API does);
      // the table page needs both, so a bare table name opens the table list.
      const slash = resource.id.indexOf('/');
      if (slash <= 0) return `${origin}/glue/home${q}#/v2/data-catalog/tables`;
      const database = encodeURIComponent(resource.id.slice(0, slash));
      const table = encodeURIComponent(resource.id.slice(slash + 1));
      return `${origin}/glue/home${q}#/v2/data-catalog/tables/view/${table}?database=${database}`;
    }
    case 'emr:cluster':
      return `${origin}/emr/home${q}#/clusterDetails/${id}`;
    case 'emr:studio':
      return `${origin}/emr/home${q}#/studios`;
    case 'athena:query-execution':
      return `${origin}/athena/home${q}#/query-editor/history/${id}`;
    case 'athena:workgroup':
      return `${origin}/athena/home${q}#/workgroups/details/${id}`;
    case 'athena:named-query':
      return `${origin}/athena/home${q}#/query-editor/saved-queries`;
    case 'athena:data-catalog':
      return `${origin}/athena/home${q}#/data-sources`;
    case 'batch:job':
      return `${origin}/batch/home${q}#jobs/detail/${id}`;
    case 'batch:job-queue':
      return `${origin}/batch/home${q}#queues/detail/${id}`;
    case 'batch:compute-environment':
      return `${origin}/batch/home${q}#compute-environments/detail/${id}`;
    case 'batch:job-definition':
      return `${origin}/batch/home${q}#job-definition`;
    default:
      return serviceHomeUrl(service, origin, q);
  }
}

/** The CloudTrail event history page of one event (kept 90 days for management events). */
export function cloudTrailEventUrl(region: string | undefined, eventId: string): string | undefined {
  if (region === undefined || !REGION.test(region)) return undefined;
  return `${consoleOrigin(region)}/cloudtrail/home?region=${region}#/events/${encodeURIComponent(eventId)}`;
}

function serviceHomeUrl(service: ServiceName, origin: string, q: string): string {
  switch (service) {
    case 'glue':
      return `${origin}/glue/home${q}`;
    case 'emr':
      return `${origin}/emr/home${q}#/clusters`;
    case 'athena':
      return `${origin}/athena/home${q}#/query-editor/history`;
    case 'batch':
      return `${origin}/batch/home${q}#dashboard`;
  }
}
