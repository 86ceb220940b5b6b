import type { Server } from 'node:http';
import { listenLocal } from './listen-local';

/** Options of {@link startDynalite}. */
export interface DynaliteOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Folder to keep the data in (LevelDB) across restarts; default in memory. */
  readonly path?: string;
}

/** A running in-memory dynalite (DynamoDB-compatible) server. */
export interface DynaliteServer {
  /** `http://127.0.0.1:<port>`: pass as the DynamoDB client's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Closes open connections and the server (and its store); in-memory data is gone afterwards. */
  stop(): Promise<void>;
}

interface DynaliteFactoryOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite ships no type declarations; this is the one function we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: DynaliteFactoryOptions) => Server;

/** Starts dynalite in this process (in memory unless `path` is given), with tables ACTIVE at once (no CREATING delay). */
export async function startDynalite(options: DynaliteOptions = {}): Promise<DynaliteServer> {
  // Table state changes are instant so tests and `trailwatch local` never wait for CREATING → ACTIVE.
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
  return listenLocal(server, options.port);
}
