/**
 * The four services trailwatch watches, keyed by their short name. `eventSource` is the service's main
 * CloudTrail source; `eventSources` lists every source stored under the service: Amazon EMR's calls
 * come from EMR on EC2 (`elasticmapreduce`), EMR Serverless and EMR on EKS (`emr-containers`).
 */
export const SERVICES = {
  glue: { eventSource: 'glue.amazonaws.com', eventSources: ['glue.amazonaws.com'], displayName: 'Glue' },
  emr: {
    eventSource: 'elasticmapreduce.amazonaws.com',
    eventSources: [
      'elasticmapreduce.amazonaws.com',
      'emr-serverless.amazonaws.com',
      'emr-containers.amazonaws.com',
    ],
    displayName: 'EMR',
  },
  athena: {
    eventSource: 'athena.amazonaws.com',
    eventSources: ['athena.amazonaws.com'],
    displayName: 'Athena',
  },
  batch: { eventSource: 'batch.amazonaws.com', eventSources: ['batch.amazonaws.com'], displayName: 'Batch' },
} as const;

/** Short name of a watched service, as stored in the table's `service` attribute and partition key. */
export type ServiceName = keyof typeof SERVICES;

/** Every watched service name, in a stable order. */
export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

const BY_EVENT_SOURCE: ReadonlyMap<string, ServiceName> = new Map(
  SERVICE_NAMES.flatMap((name) => SERVICES[name].eventSources.map((source) => [source, name] as const)),
);

/** Maps a CloudTrail eventSource to the watched service, or undefined for every other service. */
export function serviceForEventSource(eventSource: string): ServiceName | undefined {
  return BY_EVENT_SOURCE.get(eventSource);
}

/** The eventSource values of the watched services (every EMR flavour included). */
export const WATCHED_EVENT_SOURCES: readonly string[] = [...BY_EVENT_SOURCE.keys()];

/** True when `value` is one of the watched service names. */
export function isServiceName(value: string): value is ServiceName {
  return Object.prototype.hasOwnProperty.call(SERVICES, value);
}
