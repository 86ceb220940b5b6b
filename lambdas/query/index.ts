// The query library is the client package (packages/client, imported as `@trailwatch/client`); this
// path re-exports it so that imports written before the move keep working.
export * from '@trailwatch/client';
