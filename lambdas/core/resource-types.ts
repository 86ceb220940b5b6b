// The resource kinds are part of the client package (packages/client), whose query input refuses an
// unknown kind; this module re-exports them for the app's own imports.
export { RESOURCE_TYPES, isResourceType } from '@trailwatch/client/contract';
