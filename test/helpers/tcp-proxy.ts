import * as net from 'node:net';

/** Options of startTcpProxy: which connections it cuts. */
export interface TcpProxyOptions {
  /**
   * For the connection with this index (0, 1, ... in the order clients connect): how many bytes of the
   * server's answer (headers included) go through before both sockets are destroyed; undefined: all.
   */
  readonly cutAnswerAfter?: (connection: number) => number | undefined;
  /** Awaited after a cut connection's last bytes are sent and before its sockets are dropped. */
  readonly beforeCut?: () => Promise<void>;
}

/** A running proxy: where clients connect, and what it saw. */
export interface TcpProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Connections accepted so far. */
  connections(): number;
  /** The request heads clients sent (method, target and headers, one string each), in order. */
  requests(): string[];
  /** Connections the proxy cut. */
  cuts(): number;
  stop(): Promise<void>;
}

/**
 * A real TCP proxy in front of a local server (s3rver): forwards both ways, honouring back-pressure (a
 * client that stops reading stops the server too, as over the network), and drops a connection after
 * a given number of answer bytes, as a reset connection does mid-body.
 */
export async function startTcpProxy(target: string, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const heads: string[] = [];
  let accepted = 0;
  let cut = 0;

  const server = net.createServer((client) => {
    const index = accepted;
    accepted += 1;
    const upstream = net.connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());

    // Client to server: whole, and each request head noted (GETs have no body).
    let pending = '';
    client.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let end = pending.indexOf('\r\n\r\n');
      while (end >= 0) {
        heads.push(pending.slice(0, end));
        pending = pending.slice(end + 4);
        end = pending.indexOf('\r\n\r\n');
      }
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());

    // Server to client: up to the cut, with back-pressure.
    const limit = options.cutAnswerAfter?.(index);
    let sent = 0;
    upstream.on('data', (chunk: Buffer) => {
      if (limit !== undefined && sent + chunk.length >= limit) {
        const part = chunk.subarray(0, Math.max(0, limit - sent));
        sent = limit;
        cut += 1;
        client.write(part, () => {
          void (options.beforeCut?.() ?? Promise.resolve()).finally(drop);
        });
        upstream.pause();
        return;
      }
      sent += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    connections: () => accepted,
    requests: () => [...heads],
    cuts: () => cut,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The Range header of a request head, or undefined. */
export function rangeOf(head: string): string | undefined {
  return /\r\nrange: *([^\r\n]*)/i.exec(head)?.[1];
}
