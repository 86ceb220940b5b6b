import type { OutboxMessage } from './outbox-message';

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

/**
 * The alert as an RFC 5322 message (`.eml`), as SNS's email protocol delivers it: a plain-text UTF-8
 * body with CRLF line ends. Mail clients open it; `cat` shows it.
 */
export function renderEml(message: OutboxMessage): string {
  const headers = [
    'From: AWS Notifications <no-reply@sns.amazonaws.com>',
    `Subject: ${message.subject ?? '(no subject)'}`,
    `Date: ${new Date(message.receivedAt).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${message.messageId}@sns.local>`,
    `X-Trailwatch-Topic: ${message.topicArn}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  const body = emailBodyOf(message).trimEnd().split(/\r?\n/);
  return [...headers, '', ...body, ''].join('\r\n');
}
