/**
 * Whole seconds from a call's eventTime to a moment, never negative: a caller's clock ahead of ours
 * (CloudTrail stamps the time of the call as AWS saw it) must not read as an alert sent before the call.
 */
export function secondsBetween(eventTime: string, at: Date): number {
  const ms = at.getTime() - Date.parse(eventTime);
  return Number.isFinite(ms) ? Math.max(0, Math.round(ms / 1000)) : 0;
}

/** `42 s`, `7 min 5 s`, `3 h 2 min`, `2 d 4 h`: a delay as a person reads it. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86_400)} d ${Math.floor((seconds % 86_400) / 3600)} h`;
}
