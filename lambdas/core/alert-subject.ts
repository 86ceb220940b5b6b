import { SERVICES, type ServiceName } from './services';

/** SNS's limit on a subject, in characters (printable ASCII here, so also bytes). */
export const SNS_MAX_SUBJECT_CHARS = 100;

/**
 * The subject: `trailwatch: 3 failed Athena calls in 123456789012 us-east-1`. Printable ASCII only,
 * no line breaks, at most 100 characters (SNS rejects the whole publish otherwise).
 */
export function alertSubject(service: ServiceName, count: number, accountId: string, region: string): string {
  const noun = count === 1 ? 'call' : 'calls';
  const where = [accountId, region].filter((v) => v !== 'unknown').join(' ');
  return sanitizeSubject(
    `trailwatch: ${count} failed ${SERVICES[service].displayName} ${noun}${where ? ` in ${where}` : ''}`,
  );
}

/** Makes any text a valid SNS subject: ASCII letters kept (accents dropped), other characters `?`, ≤ 100 chars. */
export function sanitizeSubject(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // combining accents: "é" → "e"
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/gu, '?') // one ? per character, emoji included
    .replace(/ {2,}/g, ' ')
    .trim();
  if (ascii.length <= SNS_MAX_SUBJECT_CHARS) return ascii;
  return `${ascii.slice(0, SNS_MAX_SUBJECT_CHARS - 3).trimEnd()}...`;
}
