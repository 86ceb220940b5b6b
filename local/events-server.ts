import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { listenLocal } from './listen-local';
import { LocalServiceError, serviceErrorOf } from './service-error';

/** An event as EventBridge delivers it to a rule's target (the envelope around the entry's Detail). */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

/** Options of {@link startEventsServer}. */
export interface EventsServerOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  readonly region?: string;
  readonly accountId?: string;
  /** Called with every accepted event, after the answer is sent (EventBridge delivers asynchronously). */
  readonly onEvent: (event: BusEvent) => void;
}

/** A running local EventBridge endpoint. */
export interface EventsServer {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

// EventBridge's own limits on PutEvents, checked so a local run catches what AWS would refuse.
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Starts a minimal EventBridge endpoint: `PutEvents` on the default bus in the JSON protocol the SDK
 * speaks (`X-Amz-Target: AWSEvents.PutEvents`). Each entry becomes the event EventBridge would
 * deliver (a new id, the entry's Source, DetailType, Detail, Time and Resources); `aws.*` sources are
 * accepted, unlike AWS, because locally this endpoint stands in for CloudTrail too. The event's region
 * is the call's `awsRegion` when the detail has one: CloudTrail puts an event on the bus of the region
 * of the call. Browser requests (Origin, Sec-Fetch-*, a non-loopback Host) are refused.
 */
export async function startEventsServer(options: EventsServerOptions): Promise<EventsServer> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';

  const putEvents = (body: unknown): { answer: unknown; accepted: BusEvent[] } => {
    const entries = isRecord(body) ? body.Entries : undefined;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw new LocalServiceError(
        400,
        'ValidationException',
        `Entries must hold 1 to ${MAX_ENTRIES} entries`,
      );
    }
    const accepted: BusEvent[] = [];
    const results = entries.map((entry: unknown) => {
      const failure = entryProblem(entry);
      if (failure) return { ErrorCode: 'MalformedDetail', ErrorMessage: failure };
      const e = entry as Record<string, unknown>;
      const detail = JSON.parse(e.Detail as string) as Record<string, unknown>;
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': e.DetailType as string,
        source: e.Source as string,
        account: typeof detail.recipientAccountId === 'string' ? detail.recipientAccountId : accountId,
        time: toIsoSeconds(e.Time) ?? toIsoSeconds(new Date()) ?? '',
        region: typeof detail.awsRegion === 'string' ? detail.awsRegion : region,
        resources: Array.isArray(e.Resources)
          ? e.Resources.filter((r): r is string => typeof r === 'string')
          : [],
        detail,
      };
      accepted.push(event);
      return { EventId: event.id };
    });
    return { answer: { FailedEntryCount: entries.length - accepted.length, Entries: results }, accepted };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      let status = 200;
      let answer: unknown;
      let accepted: BusEvent[] = [];
      try {
        refuseBrowser(req);
        if (size > MAX_REQUEST_BYTES) {
          throw new LocalServiceError(
            413,
            'ValidationException',
            `request larger than ${MAX_REQUEST_BYTES} bytes`,
          );
        }
        const target = req.headers['x-amz-target'];
        if (req.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
          throw new LocalServiceError(
            400,
            'UnknownOperationException',
            `only PutEvents is served here, not ${typeof target === 'string' ? target : req.method}`,
          );
        }
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          throw new LocalServiceError(400, 'SerializationException', 'the request body is not JSON');
        }
        ({ answer, accepted } = putEvents(body));
      } catch (err) {
        const fault = serviceErrorOf(err, 'InternalException');
        status = fault.status;
        answer = { __type: fault.code, message: fault.message };
      }
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
      });
      res.end(JSON.stringify(answer));
      for (const event of accepted) options.onEvent(event);
    });
  });
  return listenLocal(server, options.port);
}

// Why an entry is refused (EventBridge's checks on the fields this endpoint uses), or undefined.
function entryProblem(entry: unknown): string | undefined {
  if (!isRecord(entry)) return 'an entry must be an object';
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[field] !== 'string' || entry[field] === '') return `${field} is required`;
  }
  if (entry.EventBusName !== undefined && entry.EventBusName !== 'default') {
    return `only the default bus exists locally, not ${String(entry.EventBusName)}`;
  }
  try {
    const detail: unknown = JSON.parse(entry.Detail as string);
    if (!isRecord(detail)) return 'Detail must be a JSON object';
  } catch {
    return 'Detail is not valid JSON';
  }
  return undefined;
}

function refuseBrowser(req: http.IncomingMessage): void {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  const browser =
    req.headers.origin !== undefined || Object.keys(req.headers).some((h) => h.startsWith('sec-fetch-'));
  if (browser || !LOOPBACK_HOSTS.has(host)) {
    throw new LocalServiceError(
      403,
      'AccessDeniedException',
      'browser requests are refused by the local endpoint',
    );
  }
}

function toIsoSeconds(value: unknown): string | undefined {
  // The SDK sends Time as epoch seconds; EventBridge's envelope has it to the second.
  const date = typeof value === 'number' ? new Date(value * 1000) : value instanceof Date ? value : undefined;
  if (!date || Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
