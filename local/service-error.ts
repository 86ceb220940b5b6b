/** An error answer of a local AWS endpoint (the bus, SNS): the HTTP status and the service's error code. */
export class LocalServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What a local endpoint answers for `err`: itself when it is a service error, else the service's internal error (500). */
export function serviceErrorOf(err: unknown, internalCode: string): LocalServiceError {
  if (err instanceof LocalServiceError) return err;
  return new LocalServiceError(500, internalCode, err instanceof Error ? err.message : String(err), {
    cause: err,
  });
}
