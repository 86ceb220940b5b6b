/** The resource kinds the normalizers give (docs/normalized-event.md lists each with where it is found). */
export const RESOURCE_TYPES = [
  'glue:job',
  'glue:crawler',
  'glue:database',
  'glue:table',
  'glue:connection',
  'glue:trigger',
  'glue:workflow',
  'glue:session',
  'emr:cluster',
  'emr:step',
  'emr:studio',
  'emr:notebook-execution',
  'athena:query-execution',
  'athena:named-query',
  'athena:workgroup',
  'athena:data-catalog',
  'athena:notebook',
  'athena:session',
  'athena:calculation',
  'batch:job',
  'batch:job-queue',
  'batch:compute-environment',
  'batch:job-definition',
] as const;

/** True for a kind a stored event can name (a query for any other kind could only find nothing). */
export function isResourceType(type: string): boolean {
  return (RESOURCE_TYPES as readonly string[]).includes(type);
}
