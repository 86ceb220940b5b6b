import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { renderAlertEmail, renderEml } from './alert-email';
import { listenLocal } from './listen-local';
import type { OutboxMessage } from './outbox-message';
import { LocalServiceError, serviceErrorOf } from './service-error';

export type { OutboxMessage } from './outbox-message';

/** Options of {@link startSnsServer}. */
export interface SnsServerOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Folder each published message is saved to as JSON (created when missing). */
  readonly outbox: string;
  readonly region?: string;
  readonly accountId?: string;
  /** Called after each message is saved. */
  readonly onPublish?: (message: OutboxMessage) => void;
}

/** A running local SNS endpoint. */
export interface SnsServer {
  readonly endpoint: string;
  readonly port: number;
  /** Creates (or returns) a topic, as CreateTopic does. */
  createTopic(name: string): string;
  stop(): Promise<void>;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
// SNS's own limits, checked so a local run catches what AWS would refuse.
const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_SUBJECT_CHARS = 100;

/**
 * Starts a minimal SNS endpoint (the awsQuery protocol the SDK speaks) implementing CreateTopic,
 * GetTopicAttributes, Publish and PublishBatch, with SNS's checks on subject and size. Every published message is saved
 * to the outbox folder instead of being delivered.
 */
export async function startSnsServer(options: SnsServerOptions): Promise<SnsServer> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const topics = new Set<string>();
  fs.mkdirSync(options.outbox, { recursive: true });

  const createTopic = (name: string): string => {
    if (!/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name))
      throw new LocalServiceError(400, 'InvalidParameter', 'Invalid parameter: Topic Name');
    const arn = `arn:aws:sns:${region}:${accountId}:${name}`;
    topics.add(arn);
    return arn;
  };

  const publish = (params: URLSearchParams, prefix: string): OutboxMessage => {
    const topicArn = params.get('TopicArn') ?? '';
    if (!topics.has(topicArn)) throw new LocalServiceError(404, 'NotFound', 'Topic does not exist');
    const message = params.get(`${prefix}Message`);
    if (message === null || message === '')
      throw new LocalServiceError(400, 'InvalidParameter', 'Invalid parameter: Empty message');
    const subject = params.get(`${prefix}Subject`) ?? undefined;
    if (subject !== undefined && (subject.length > MAX_SUBJECT_CHARS || /[^\x20-\x7e]/.test(subject))) {
      throw new LocalServiceError(400, 'InvalidParameter', 'Invalid parameter: Subject');
    }
    const messageStructure = params.get(`${prefix}MessageStructure`) ?? undefined;
    if (messageStructure === 'json') {
      let bodies: unknown;
      try {
        bodies = JSON.parse(message);
      } catch {
        throw new LocalServiceError(
          400,
          'InvalidParameter',
          'Invalid parameter: Message Structure - JSON message body failed to parse',
        );
      }
      if (
        typeof bodies !== 'object' ||
        bodies === null ||
        typeof (bodies as Record<string, unknown>).default !== 'string'
      ) {
        throw new LocalServiceError(
          400,
          'InvalidParameter',
          'Invalid parameter: Message Structure - No default entry in JSON message body',
        );
      }
    }
    const messageAttributes = readAttributes(params, `${prefix}MessageAttributes.entry.`);
    const size =
      Buffer.byteLength(message) +
      Object.entries(messageAttributes).reduce(
        (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v.dataType) + Buffer.byteLength(v.value),
        0,
      );
    if (size > MAX_MESSAGE_BYTES) {
      throw new LocalServiceError(400, 'InvalidParameter', 'Invalid parameter: Message too long');
    }
    const messageId = randomUUID();
    const receivedAt = new Date().toISOString();
    // Named by time and service, so `ls` lists the alerts in order and says what each is about.
    const service = messageAttributes.service?.value.replace(/[^a-z0-9-]/gi, '') || 'message';
    const stamp = receivedAt.replace(/[-:]/g, '').replace('.', '-');
    const base = path.join(options.outbox, `${stamp}-${service}-${messageId.slice(0, 8)}`);
    const file = `${base}.json`;
    const saved: OutboxMessage = {
      messageId,
      topicArn,
      ...(subject !== undefined ? { subject } : {}),
      ...(messageStructure !== undefined ? { messageStructure } : {}),
      message,
      messageAttributes,
      receivedAt,
      file,
      emailFile: `${base}.eml`,
      textFile: `${base}.txt`,
    };
    fs.writeFileSync(file, JSON.stringify(saved, null, 2) + '\n');
    fs.writeFileSync(saved.emailFile as string, renderEml(saved));
    fs.writeFileSync(saved.textFile as string, renderAlertEmail(saved) + '\n');
    options.onPublish?.(saved);
    return saved;
  };

  const handle = (params: URLSearchParams): string => {
    const action = params.get('Action');
    switch (action) {
      case 'CreateTopic': {
        const arn = createTopic(params.get('Name') ?? '');
        return result('CreateTopic', `<TopicArn>${xml(arn)}</TopicArn>`);
      }
      case 'Publish': {
        const saved = publish(params, '');
        return result('Publish', `<MessageId>${saved.messageId}</MessageId>`);
      }
      case 'PublishBatch': {
        const ok: string[] = [];
        const failed: string[] = [];
        for (let n = 1; params.has(`PublishBatchRequestEntries.member.${n}.Id`); n++) {
          const prefix = `PublishBatchRequestEntries.member.${n}.`;
          const id = params.get(`${prefix}Id`) ?? '';
          try {
            const saved = publish(params, prefix);
            ok.push(`<member><Id>${xml(id)}</Id><MessageId>${saved.messageId}</MessageId></member>`);
          } catch (err) {
            if (!(err instanceof LocalServiceError) || err.code === 'NotFound') throw err;
            failed.push(
              `<member><Id>${xml(id)}</Id><Code>${err.code}</Code><Message>${xml(err.message)}</Message><SenderFault>true</SenderFault></member>`,
            );
          }
        }
        return result(
          'PublishBatch',
          `<Successful>${ok.join('')}</Successful><Failed>${failed.join('')}</Failed>`,
        );
      }
      case 'GetTopicAttributes': {
        const arn = params.get('TopicArn') ?? '';
        if (!topics.has(arn)) throw new LocalServiceError(404, 'NotFound', 'Topic does not exist');
        return result(
          'GetTopicAttributes',
          `<Attributes><entry><key>TopicArn</key><value>${xml(arn)}</value></entry></Attributes>`,
        );
      }
      case 'ListTopics':
        return result(
          'ListTopics',
          `<Topics>${[...topics].map((t) => `<member><TopicArn>${xml(t)}</TopicArn></member>`).join('')}</Topics>`,
        );
      default:
        throw new LocalServiceError(
          400,
          'InvalidAction',
          `The action ${action ?? '(none)'} is not valid for this local endpoint`,
        );
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      let status = 200;
      let body: string;
      try {
        body = handle(params);
      } catch (err) {
        const fault = serviceErrorOf(err, 'InternalError');
        status = fault.status;
        body = `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${fault.code}</Code><Message>${xml(fault.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
      }
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
      res.end(body);
    });
  });
  const listener = await listenLocal(server, options.port);
  return { ...listener, createTopic };
}

/** Reads the outbox folder: every saved message, oldest first. */
export function readOutbox(outbox: string): OutboxMessage[] {
  if (!fs.existsSync(outbox)) return [];
  return fs
    .readdirSync(outbox)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(outbox, f), 'utf8')) as OutboxMessage);
}

function readAttributes(
  params: URLSearchParams,
  prefix: string,
): Record<string, { dataType: string; value: string }> {
  const out: Record<string, { dataType: string; value: string }> = {};
  for (let n = 1; params.has(`${prefix}${n}.Name`); n++) {
    const name = params.get(`${prefix}${n}.Name`) ?? '';
    const dataType = params.get(`${prefix}${n}.Value.DataType`) ?? 'String';
    const value =
      params.get(`${prefix}${n}.Value.StringValue`) ?? params.get(`${prefix}${n}.Value.BinaryValue`) ?? '';
    out[name] = { dataType, value };
  }
  return out;
}

function result(action: string, inner: string): string {
  return `<${action}Response xmlns="${XMLNS}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
