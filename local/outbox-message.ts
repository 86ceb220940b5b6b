// The local SNS endpoint's saved message: written by sns-server.ts, read by the outbox renderers.

/** One message as the local SNS endpoint received and saved it (`<outbox>/<file>.json`). */
export interface OutboxMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  /** `json` when each protocol got its own body (then `message` is that JSON document). */
  readonly messageStructure?: string;
  readonly message: string;
  readonly messageAttributes: Record<string, { dataType: string; value: string }>;
  readonly receivedAt: string;
  /** File the message was saved to (the SNS publish as JSON). */
  readonly file: string;
  /** The same message as the email a subscriber receives (`.eml`, opens in a mail client). */
  readonly emailFile?: string;
  /** The email as plain text (`.txt`: headers and body, to read in a terminal or editor). */
  readonly textFile?: string;
}
