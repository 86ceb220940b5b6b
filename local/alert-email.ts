import type { OutboxMessage } from './sns-server';

/** The body an email subscriber receives: the `email` entry of a per-protocol message, else `default`. */
export function emailBodyOf(message: OutboxMessage): string {
  if (message.messageStructure !== 'json') return message.message;
  try {
    const bodies = JSON.parse(message.message) as Record<string, unknown>;
    const body = bodies.email ?? bodies.default;
    return typeof body === 'string' ? body : message.message;
  } catch {
    return message.message;
  }
}

/** An alert as the email a person would read: sender, subject, body. */
export function renderAlertEmail(message: OutboxMessage): string {
  return [
    'From: AWS Notifications <no-reply@sns.amazonaws.com>',
    `Subject: ${message.subject ?? '(no subject)'}`,
    `Date: ${new Date(message.receivedAt).toUTCString()}`,
    '',
    emailBodyOf(message).trimEnd(),
  ].join('\n');
}
