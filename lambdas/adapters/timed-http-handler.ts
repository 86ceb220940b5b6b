import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';

type HandleArgs = Parameters<NodeHttpHandler['handle']>;
type HandleResult = ReturnType<NodeHttpHandler['handle']>;

/** Timeouts of every AWS request, in milliseconds (docs/lambda.md). */
export interface RequestTimeouts {
  /** Until the TCP/TLS connection is up. */
  readonly connectMs: number;
  /** From sending the request until the response headers arrive; throws TimeoutError when exceeded. */
  readonly requestMs: number;
  /** Longest silence on the socket, also while a response body streams (a stalled GetObject). */
  readonly idleMs: number;
}

/** Defaults: a healthy call of any of the four APIs answers in well under a second. */
export const DEFAULT_REQUEST_TIMEOUTS: RequestTimeouts = {
  connectMs: 3_000,
  requestMs: 10_000,
  idleMs: 30_000,
};

/**
 * When the current unit of work (a Lambda invocation) must be done: epoch ms, or undefined for no
 * bound (CLI, local mode). Shared by every client, so one setting per invocation covers them all.
 */
export class RequestDeadline {
  private until: number | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Bounds every request from now on to end by `epochMs`. */
  set(epochMs: number): void {
    this.until = epochMs;
  }

  /** Lifts the bound. */
  clear(): void {
    this.until = undefined;
  }

  /** Milliseconds left (may be zero or less), or undefined when there is no bound. */
  remainingMs(): number | undefined {
    return this.until === undefined ? undefined : this.until - this.now();
  }
}

/** The request could not even be sent: the deadline had passed. Named like the SDK's own timeouts. */
export class DeadlineExceededError extends Error {
  constructor(message: string) {
    super(message);
    // The SDK and our adapters recognise timeouts by this name.
    this.name = 'TimeoutError';
  }
}

/**
 * NodeHttpHandler with connection, request and idle timeouts that throw (the SDK's requestTimeout
 * only logs a warning unless throwOnRequestTimeout is set), each request's timeout cut to the time
 * the deadline leaves. The SDK retries a TimeoutError like any transient fault; once the deadline has
 * passed, every attempt fails at once instead of running past the Lambda's end.
 */
export class TimedHttpHandler extends NodeHttpHandler {
  constructor(
    private readonly timeouts: RequestTimeouts = DEFAULT_REQUEST_TIMEOUTS,
    private readonly deadline?: RequestDeadline,
    options: NodeHttpHandlerOptions = {},
  ) {
    super({
      ...options,
      connectionTimeout: timeouts.connectMs,
      requestTimeout: timeouts.requestMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeouts.idleMs,
    });
  }

  /** Sends one request, its timeout the smaller of the configured one and the deadline's remaining time. */
  override handle(request: HandleArgs[0], options: HandleArgs[1] = {}): HandleResult {
    const remaining = this.deadline?.remainingMs();
    if (remaining === undefined) return super.handle(request, options);
    if (remaining <= 0) {
      return Promise.reject(
        new DeadlineExceededError(`${request.hostname}: not sent, the invocation's time is up`),
      );
    }
    const given = options.requestTimeout ?? this.timeouts.requestMs;
    return super.handle(request, { ...options, requestTimeout: Math.max(1, Math.min(given, remaining)) });
  }
}
