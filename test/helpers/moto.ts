import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A running moto server (SNS, SQS and the other AWS mocks) on 127.0.0.1. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`: pass as the SNS/SQS client's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Whether moto can run here, and why not. */
export type MotoAvailability =
  { readonly available: true } | { readonly available: false; readonly reason: string };

/** Set (by .ci/run) to turn "moto is missing" from a visible skip into a failure. */
export const REQUIRE_MOTO_VARIABLE = 'TRAILWATCH_REQUIRE_MOTO';

let cached: MotoAvailability | undefined;

/** Checks once whether `python3 -m moto.server` can run (python3 present, moto with its server extras importable). */
export function motoAvailability(): MotoAvailability {
  if (cached) return cached;
  const probe = spawnSync('python3', ['-c', 'import moto, moto.server; print(moto.__version__)'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (probe.error) {
    cached = { available: false, reason: `python3 cannot be run (${probe.error.message})` };
  } else if (probe.status !== 0) {
    const detail = (probe.stderr || '').trim().split('\n').pop() ?? '';
    cached = {
      available: false,
      reason: `python3 cannot import moto.server (${detail || `exit ${probe.status}`})`,
    };
  } else {
    cached = { available: true };
  }
  return cached;
}

/** True when the environment asks for moto tests to fail instead of skipping. */
export function motoRequired(): boolean {
  return process.env[REQUIRE_MOTO_VARIABLE] === '1';
}

/**
 * The moto availability a test file acts on: throws when moto is missing and TRAILWATCH_REQUIRE_MOTO=1,
 * so CI can never pass by skipping.
 */
export function requireMoto(): MotoAvailability {
  const availability = motoAvailability();
  if (!availability.available && motoRequired()) {
    throw new Error(`moto is required (${REQUIRE_MOTO_VARIABLE}=1) but ${availability.reason}`);
  }
  return availability;
}

/**
 * `describe` for tests that need moto: runs them when moto is there; otherwise skips them with the
 * reason in the suite name and on stderr, or, with TRAILWATCH_REQUIRE_MOTO=1, fails one test that says why.
 */
export function describeWithMoto(name: string, body: () => void): void {
  const availability = motoAvailability();
  if (availability.available) {
    describe(name, body);
  } else if (motoRequired()) {
    describe(name, () => {
      test(`moto is required (${REQUIRE_MOTO_VARIABLE}=1)`, () => {
        throw new Error(`moto is required but ${availability.reason}`);
      });
    });
  } else {
    process.stderr.write(
      `SKIPPED "${name}": ${availability.reason}; install moto (pip install "moto[server]")\n`,
    );
    describe.skip(`${name} [skipped: ${availability.reason}]`, body);
  }
}

/**
 * Starts `python3 -m moto.server` on a free port and waits until it answers. Undefined when moto is
 * not available (and not required); throws when it is required but missing, or fails to start.
 */
export async function startMoto(options: { timeoutMs?: number } = {}): Promise<MotoServer | undefined> {
  const availability = requireMoto();
  if (!availability.available) return undefined;
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    // Keep the tail only: moto logs every request.
    stderr = (stderr + chunk).slice(-4_000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, options.timeoutMs ?? 30_000, () => stderr);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { endpoint, port, stop: () => stopChild(child) };
}

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  timeoutMs: number,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `moto server exited with code ${child.exitCode} before it was ready: ${stderr().trim()}`,
      );
    }
    try {
      // moto's own API answers once the server accepts requests; no AWS call, no state created.
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) {
        await response.arrayBuffer();
        return;
      }
    } catch {
      // Not listening yet.
    }
    if (Date.now() >= deadline) throw new Error(`moto server at ${endpoint} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// Port 0 picks a free port; moto cannot be told to do that, so take one and hand it over.
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
