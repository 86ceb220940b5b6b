// A DynamoDB endpoint for the bench's handler runs that has TransactWriteItems: it forwards every request
// to dynalite unchanged, and answers a TransactWriteItems of Puts with what dynalite has: when none of the
// items exists (one BatchGetItem), the Puts' conditions all hold and they are written in BatchWriteItem
// calls of 25; otherwise each Put goes as a conditional PutItem, and a failed condition becomes the
// transaction's cancellation reason, with the item (ReturnValuesOnConditionCheckFailure ALL_OLD). Not
// atomic (nothing else may write those items meanwhile, and a Put written before another's condition
// failed stays written), which the bench's runs never see: their claims are all of fresh events, and
// nothing else claims them. What it is for is the function's side: the handler serializes, signs and
// parses real TransactWriteItems calls, as it does against DynamoDB, while dynalite, at about 4 ms of CPU
// per request in the bench's own process, gets 5 requests per 100 claims rather than 100.
// moto has the real operation (the tests use it), but copies the whole table on every transaction: 9.5 s
// per transaction at 5,000 items on this machine, where the 150,000-claim run needs 1,500 of them.
import * as http from 'node:http';

/** A running front: the endpoint to give the function instead of dynalite's. */
export interface TransactionsFront {
  readonly endpoint: string;
  /** TransactWriteItems calls answered, and the Puts they held. */
  readonly counts: { transactions: number; puts: number };
  stop(): Promise<void>;
}

interface PutAction {
  readonly TableName: string;
  readonly Item: Record<string, unknown>;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

interface Forwarded {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Starts the front on 127.0.0.1 (a free port) in front of `dynaliteEndpoint`. */
export async function startTransactionsFront(dynaliteEndpoint: string): Promise<TransactionsFront> {
  const target = new URL(dynaliteEndpoint);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const counts = { transactions: 0, puts: 0 };

  const forward = (headers: http.IncomingHttpHeaders, body: Buffer): Promise<Forwarded> =>
    new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: 'POST',
          path: '/',
          agent,
          headers: { ...headers, host: target.host, 'content-length': String(body.length) },
        },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (part: Buffer) => parts.push(part));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 500,
              headers: response.headers,
              body: Buffer.concat(parts),
            }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });

  // Each Put as a conditional PutItem; a failed condition becomes the transaction's cancellation reason,
  // with the item as it is (what ReturnValuesOnConditionCheckFailure ALL_OLD returns).
  const transact = async (headers: http.IncomingHttpHeaders, body: Buffer): Promise<Forwarded> => {
    const input = JSON.parse(body.toString('utf8')) as { TransactItems: Array<{ Put?: PutAction }> };
    counts.transactions++;
    counts.puts += input.TransactItems.length;
    const asPut = (name: string) => ({ ...headers, 'x-amz-target': `DynamoDB_20120810.${name}` });
    const send = async (name: string, request: unknown): Promise<Record<string, unknown>> => {
      const out = await forward(asPut(name), Buffer.from(JSON.stringify(request)));
      if (out.status !== 200)
        throw new Error(`${name} on dynalite: HTTP ${out.status} ${out.body.toString('utf8')}`);
      return JSON.parse(out.body.toString('utf8')) as Record<string, unknown>;
    };
    const puts = input.TransactItems.map((action) => action.Put);
    const table = puts[0]?.TableName;
    if (table !== undefined && puts.every((put) => put !== undefined && put.TableName === table)) {
      const keys = puts.map((put) => ({ pk: (put?.Item as { pk: unknown }).pk }));
      const found = (await send('BatchGetItem', {
        RequestItems: { [table]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'pk' } },
      })) as { Responses?: Record<string, unknown[]>; UnprocessedKeys?: Record<string, unknown> };
      const none =
        (found.Responses?.[table]?.length ?? 0) === 0 &&
        Object.keys(found.UnprocessedKeys ?? {}).length === 0;
      if (none) {
        const writes = puts.map((put) => ({ PutRequest: { Item: put?.Item } }));
        await Promise.all(
          Array.from({ length: Math.ceil(writes.length / 25) }, (_, i) =>
            send('BatchWriteItem', { RequestItems: { [table]: writes.slice(i * 25, i * 25 + 25) } }).then(
              (out) => {
                const left = (out as { UnprocessedItems?: Record<string, unknown[]> }).UnprocessedItems?.[
                  table
                ];
                if (left !== undefined && left.length > 0) throw new Error('dynalite left items unprocessed');
              },
            ),
          ),
        );
        return {
          status: 200,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: Buffer.from('{}'),
        };
      }
    }
    const reasons = await Promise.all(
      input.TransactItems.map(async ({ Put }) => {
        if (Put === undefined) return { Code: 'ValidationError', Message: 'the bench front takes Puts only' };
        // PutItem has no ReturnValuesOnConditionCheckFailure in dynalite's API version: the item is read below.
        const putItem: Record<string, unknown> = { ...Put };
        delete putItem.ReturnValuesOnConditionCheckFailure;
        const out = await forward(asPut('PutItem'), Buffer.from(JSON.stringify(putItem)));
        if (out.status === 200) return { Code: 'None' };
        const error = JSON.parse(out.body.toString('utf8')) as { __type?: string; message?: string };
        if (!error.__type?.endsWith('ConditionalCheckFailedException')) {
          return { Code: 'ValidationError', Message: error.message ?? error.__type ?? `HTTP ${out.status}` };
        }
        const key = { pk: (Put.Item as { pk: unknown }).pk };
        const got = await forward(
          asPut('GetItem'),
          Buffer.from(JSON.stringify({ TableName: Put.TableName, Key: key, ConsistentRead: true })),
        );
        const item = (JSON.parse(got.body.toString('utf8')) as { Item?: unknown }).Item;
        return { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: item };
      }),
    );
    const cancelled = reasons.some((r) => r.Code !== 'None');
    const answer = cancelled
      ? {
          __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
          Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
          CancellationReasons: reasons,
        }
      : {};
    return {
      status: cancelled ? 400 : 200,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: Buffer.from(JSON.stringify(answer)),
    };
  };

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const headers = { ...req.headers };
      const answer = String(headers['x-amz-target']).endsWith('.TransactWriteItems')
        ? transact(headers, body)
        : forward(headers, body);
      answer.then(
        (out) => {
          const kept = { ...out.headers };
          delete kept.connection;
          delete kept['transfer-encoding'];
          res.writeHead(out.status, { ...kept, 'content-length': String(out.body.length) });
          res.end(out.body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'InternalServerError', message: String(err) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
