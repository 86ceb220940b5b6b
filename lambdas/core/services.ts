// The event table's contract lives in the client package (packages/client), so that the writer and
// every reader share one copy; this module re-exports its service list (the zod-free `/services` entry,
// so a thread that needs only the names does not load zod) for the app's own imports.
export {
  SERVICES,
  SERVICE_NAMES,
  serviceForEventSource,
  WATCHED_EVENT_SOURCES,
  isServiceName,
  type ServiceName,
} from '@trailwatch/client/services';
