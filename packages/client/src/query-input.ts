import * as z from 'zod';
import { isResourceType, RESOURCE_TYPES } from './resource-types';
import { resourceKeyOf } from './table-contract';
import { SERVICE_NAMES, ServiceName } from './services';
import { dayCount, parseDuration, parseInstant, TimeRange } from './time-range';
import { ValidationError } from './validation-error';

/** The most days one day-partitioned query fans out over (ten years): guards against typos in `from`. */
export const MAX_RANGE_DAYS = 3660;
/** The range of service and failure queries when none is given. */
export const DEFAULT_SINCE = '24h';

const TimeSchema = z.union([z.date(), z.string()], { error: 'expected a Date or an ISO-8601 string' });

const ServiceSchema = z.enum(SERVICE_NAMES as [ServiceName, ...ServiceName[]], {
  error: `expected one of ${SERVICE_NAMES.join(', ')}`,
});

/** Fields every query takes: the time range, the order and a limit. */
export const CommonQuerySchema = z.strictObject({
  /** Start of the range (inclusive): a Date, `YYYY-MM-DD` or an ISO-8601 time with zone. */
  from: TimeSchema.optional(),
  /** End of the range (inclusive; a bare `YYYY-MM-DD` means the end of that day): defaults to now. */
  to: TimeSchema.optional(),
  /** A duration back from now, such as `24h` or `7d`; instead of `from`. */
  since: z.string().optional(),
  /** `newest` (the default) or `oldest` first. */
  order: z.enum(['newest', 'oldest'], { error: "expected 'newest' or 'oldest'" }).default('newest'),
  /** Stop after this many events. */
  limit: z
    .number({ error: 'expected a number' })
    .int('expected a whole number')
    .positive('must be at least 1')
    .optional(),
});

/** Input of `events()`: the events of one or more services in a time range. */
export const EventsQuerySchema = CommonQuerySchema.extend({
  /** One service, several, or (when absent) all four. */
  service: z
    .union([ServiceSchema, z.array(ServiceSchema).min(1, 'must name at least one service')], {
      error: (issue) =>
        Array.isArray(issue.input) && issue.input.length === 0
          ? 'must name at least one service'
          : `expected one of ${SERVICE_NAMES.join(', ')} (or a list of them)`,
    })
    .optional(),
  /** true: only failed calls; false: only successful ones; absent: both. */
  failed: z.boolean({ error: 'expected true or false' }).optional(),
});
/** Input of `events()`. */
export type EventsQuery = z.input<typeof EventsQuerySchema>;

/** Input of `failures()`: failed calls of any (or the given) service in a time range. */
export const FailuresQuerySchema = CommonQuerySchema.extend({
  service: EventsQuerySchema.shape.service,
});
/** Input of `failures()`. */
export type FailuresQuery = z.input<typeof FailuresQuerySchema>;

/** Input of `byPrincipal()`: what one principal ARN did. Without a range: its whole history. */
export const PrincipalQuerySchema = EventsQuerySchema.extend({
  principalArn: z
    .string({ error: 'expected an ARN string' })
    .regex(/^arn:/, "must be an ARN (starting with 'arn:')"),
});
/** Input of `byPrincipal()`. */
export type PrincipalQuery = z.input<typeof PrincipalQuerySchema>;

/** Input of `byResource()`: the history of one resource. Without a range: its whole history. */
export const ResourceQuerySchema = EventsQuerySchema.extend({
  /**
   * `{accountId, region, type, id}` or the stored key `<accountId>#<region>#<type>#<id>`, e.g.
   * `123456789012#us-east-1#glue:job#nightly-etl`: names such as `default` exist in every account.
   */
  resource: z.union([
    z.strictObject({
      accountId: z.string().regex(/^\d{12}$/, 'expected a 12-digit account id'),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected a region such as us-east-1'),
      type: z.string().min(1),
      id: z.string().min(1),
    }),
    z
      .string({ error: "expected '<accountId>#<region>#<type>#<id>' or {accountId, region, type, id}" })
      .regex(
        /^\d{12}#[a-z]{2}(-[a-z]+)+-\d+#[a-z0-9-]+:[a-z0-9-]+#.+$/,
        "expected '<accountId>#<region>#<type>#<id>', e.g. 123456789012#us-east-1#glue:job#nightly-etl (names such as 'default' exist in every account)",
      )
      .refine((key) => isResourceType(key.split('#')[2] ?? ''), {
        error: (issue) =>
          `'${String(issue.input).split('#')[2]}' is not a resource type; one of ${RESOURCE_TYPES.join(', ')}`,
      }),
  ]),
});
/** Input of `byResource()`. */
export type ResourceQuery = z.input<typeof ResourceQuerySchema>;

/** Parses input with a schema, turning the first problem into a ValidationError naming the field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    // Most often a typo: name the unknown field itself.
    throw new ValidationError([...issue.path, issue.keys[0]].join('.'), 'is not a known field');
  }
  const field = issue?.path.length ? issue.path.join('.') : '(input)';
  throw new ValidationError(field, issue?.message ?? 'invalid');
}

/** Resolves from/to/since into a range; `fallbackSince` applies when none is given (undefined: no range). */
export function resolveRange(
  input: { from?: Date | string; to?: Date | string; since?: string },
  now: Date,
  fallbackSince: string | undefined,
): TimeRange | undefined {
  if (input.since !== undefined && input.from !== undefined) {
    throw new ValidationError('since', "give either 'since' or 'from', not both");
  }
  const to = input.to === undefined ? now : instant('to', input.to, 'end');
  let from: Date;
  if (input.from !== undefined) {
    from = instant('from', input.from);
  } else {
    const since = input.since ?? (input.to === undefined ? fallbackSince : undefined);
    if (since === undefined) {
      if (input.to === undefined) return undefined;
      throw new ValidationError('to', "needs 'from' or 'since' as well");
    }
    const duration = parseDuration(since);
    if (!duration.ok) throw new ValidationError('since', duration.message);
    from = new Date(to.getTime() - duration.value);
  }
  if (from.getTime() > to.getTime()) {
    throw new ValidationError('from', `${from.toISOString()} is after 'to' (${to.toISOString()})`);
  }
  return { from, to };
}

/** Checks that a day fan-out stays within MAX_RANGE_DAYS. */
export function checkFanOut(range: TimeRange): void {
  const days = dayCount(range);
  if (days > MAX_RANGE_DAYS) {
    throw new ValidationError('from', `the range spans ${days} days; at most ${MAX_RANGE_DAYS} are allowed`);
  }
}

/** The services a query covers: the given one(s), or all four. */
export function servicesOf(service: ServiceName | ServiceName[] | undefined): ServiceName[] {
  if (service === undefined) return [...SERVICE_NAMES];
  return [...new Set(Array.isArray(service) ? service : [service])];
}

/** The `byResource` partition key of a resource input. */
export function resourceKeyFor(
  resource: string | { accountId: string; region: string; type: string; id: string },
): string {
  return typeof resource === 'string' ? resource : resourceKeyOf(resource);
}

function instant(field: string, value: Date | string, edge: 'start' | 'end' = 'start'): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ValidationError(field, 'is an invalid Date');
    return value;
  }
  const parsed = parseInstant(value, edge);
  if (!parsed.ok) throw new ValidationError(field, parsed.message);
  return parsed.value;
}
