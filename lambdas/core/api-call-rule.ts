import { API_CALL_DETAIL_TYPE } from './api-call-event';
import { WATCHED_EVENT_SOURCES } from './services';

/**
 * The EventBridge event pattern of the real-time rule (docs/alerts.md#two-paths): CloudTrail's API
 * call events of the watched event sources that carry an `errorCode` (failed calls only: read-only
 * calls are most of the volume and never need a real-time alert unless they fail), optionally only
 * from the listed regions (the home stack accepts the regions it forwards from, nothing else).
 */
export function apiCallRulePattern(regions?: readonly string[]): Record<string, unknown> {
  return {
    'detail-type': [API_CALL_DETAIL_TYPE],
    ...(regions ? { region: [...regions] } : {}),
    detail: {
      eventSource: [...WATCHED_EVENT_SOURCES],
      errorCode: [{ exists: true }],
    },
  };
}

/**
 * Whether an EventBridge event matches apiCallRulePattern (the local PutEvents route applies the
 * rule as EventBridge would, so the embedded stack drops what the deployed rule never delivers).
 */
export function matchesApiCallRule(event: unknown, regions?: readonly string[]): boolean {
  if (!isRecord(event) || event['detail-type'] !== API_CALL_DETAIL_TYPE) return false;
  if (regions && !(typeof event.region === 'string' && regions.includes(event.region))) return false;
  const detail = event.detail;
  if (!isRecord(detail)) return false;
  return (
    typeof detail.eventSource === 'string' &&
    WATCHED_EVENT_SOURCES.includes(detail.eventSource) &&
    // A null leaf is a value EventBridge can match, so it counts as present; the normalizer then
    // finds no error code, and the event is stored without an alert.
    detail.errorCode !== undefined
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
