import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChatNotificationSchema, type ChatNotification } from '../lambdas/core/alert-chat';
import type { OutboxMessage } from './outbox-message';

/** A message of the chat topic, read back as the chat service would read it. */
export interface ChatOutboxEntry {
  readonly message: OutboxMessage;
  readonly notification: ChatNotification;
  /** Where the notification was saved on its own (`<outbox>/chat/<name>.json`). */
  readonly file: string;
}

/**
 * The custom notification of a chat-topic message: the `default` body (the chat service subscribes
 * over HTTPS, which receives it), checked against the format's schema so a local run catches what the
 * chat service would drop.
 */
export function chatNotificationOf(message: OutboxMessage): ChatNotification {
  let body = message.message;
  if (message.messageStructure === 'json') {
    const bodies = JSON.parse(message.message) as Record<string, unknown>;
    body = String(bodies.https ?? bodies.default);
  }
  return ChatNotificationSchema.parse(JSON.parse(body));
}

/**
 * Saves the notification of a chat-topic message beside the outbox, in `chat/` with the message's own
 * name: a file `aws sns publish --message file://...` can send to a real chat topic to try a channel.
 */
export function saveChatNotification(message: OutboxMessage): ChatOutboxEntry {
  const notification = chatNotificationOf(message);
  const folder = path.join(path.dirname(message.file), 'chat');
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, path.basename(message.file));
  fs.writeFileSync(file, JSON.stringify(notification, null, 2) + '\n');
  return { message, notification, file };
}

/** The notification as a channel shows it, in the chat's markdown: thread, title, text, next steps, tags. */
export function renderChatNotification(notification: ChatNotification): string {
  const { content, metadata } = notification;
  return [
    `Thread:  ${metadata.summary}  (${metadata.threadId})`,
    '',
    `*${content.title}*`,
    content.description,
    '',
    ...(content.nextSteps.length > 0 ? ['Next steps', ...content.nextSteps.map((s) => `  • ${s}`), ''] : []),
    `Keywords: ${content.keywords.join(' · ')}`,
  ].join('\n');
}
