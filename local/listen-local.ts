import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server listening on 127.0.0.1: its endpoint and an idempotent stop. */
export interface LocalListener {
  readonly endpoint: string;
  readonly port: number;
  /** Closes the server and every open connection; calling it again returns the same promise. */
  stop(): Promise<void>;
}

/** Starts `server` on 127.0.0.1 (`port` 0 or absent: any free port); rejects when the port is taken. */
export async function listenLocal(server: Server, port = 0): Promise<LocalListener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    port: bound,
    stop() {
      // Keep-alive sockets of SDK clients would otherwise hold close() open until they time out.
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
