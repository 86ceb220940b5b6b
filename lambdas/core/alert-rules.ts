import * as z from 'zod';
import { ConfigError } from './errors';
import { SERVICE_NAMES } from './services';

// A pattern is matched against the whole value; `*` stands for any run of characters (so a poller's
// role can be ignored across its session names). Nothing else is special.
const PatternSchema = z.string().trim().min(1, 'must not be empty');

// One list entry may be a single pattern or a list, so `"errorCode": "ThrottlingException"` reads naturally.
const PatternListSchema = z.union([
  PatternSchema,
  z.array(PatternSchema).min(1, 'must not be an empty list'),
]);

/** One ignore rule: a failure is ignored when it matches every field the rule names. */
export const IgnoreRuleSchema = z
  .strictObject({
    /** Why the rule exists; shown nowhere, kept for the person who reads the config next. */
    reason: z.string().optional(),
    service: z.union([z.enum(SERVICE_NAMES), z.array(z.enum(SERVICE_NAMES)).min(1)]).optional(),
    eventName: PatternListSchema.optional(),
    errorCode: PatternListSchema.optional(),
    /** Matched against the caller's ARN, session issuer ARN, user name, principal id and invoking service. */
    principal: PatternListSchema.optional(),
    accountId: PatternListSchema.optional(),
    region: PatternListSchema.optional(),
  })
  .refine(
    (rule) =>
      [rule.service, rule.eventName, rule.errorCode, rule.principal, rule.accountId, rule.region].some(
        (field) => field !== undefined,
      ),
    {
      message:
        'an ignore rule must name at least one of service, eventName, errorCode, principal, accountId, region',
    },
  );

/** Which failed calls alert (docs/alerts.md#rules). Every field is optional; `{}` alerts on every failure. */
export const AlertRulesSchema = z.strictObject({
  /** Services whose failures alert; default all four. */
  services: z
    .array(z.enum(SERVICE_NAMES))
    .min(1, 'must name at least one service (to turn alerts off, set ALERTS_ENABLED=false)')
    .default([...SERVICE_NAMES]),
  /** Error codes never alerted on, in any service (e.g. `ThrottlingException`). */
  ignoreErrorCodes: z.array(PatternSchema).default([]),
  /** Event names never alerted on (e.g. `GetQueryExecution`). */
  ignoreEventNames: z.array(PatternSchema).default([]),
  /** Callers never alerted on (ARN, session issuer ARN, user name or principal id; `*` wildcards). */
  ignorePrincipals: z.array(PatternSchema).default([]),
  /** Combined rules, e.g. ThrottlingException only from one poller's role. */
  ignore: z.array(IgnoreRuleSchema).default([]),
});

/** Validated alert rules (defaults filled in). */
export type AlertRules = z.output<typeof AlertRulesSchema>;

/** One ignore rule, as validated. */
export type IgnoreRule = z.output<typeof IgnoreRuleSchema>;

/** The rules used when none are configured: every failure of every watched service alerts. */
export const DEFAULT_ALERT_RULES: AlertRules = AlertRulesSchema.parse({});

/**
 * Parses and validates alert rules given as JSON text. `origin` names where the text came from
 * (e.g. `ALERT_RULES`); the ConfigError names it and the path of every offending field.
 */
export function parseAlertRules(json: string, origin: string): AlertRules {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(`${origin}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = AlertRulesSchema.safeParse(raw);
  if (!parsed.success) {
    // Every problem at once, so a config with three mistakes needs one fix round, not three.
    const problems = parsed.error.issues.map((issue) => `${fieldName(origin, issue.path)}: ${issue.message}`);
    throw new ConfigError(`invalid alert rules: ${problems.join('; ')}`, { cause: parsed.error });
  }
  return parsed.data;
}

// `ALERT_RULES.ignore[0].errorCode`: the path a person can find in their JSON.
function fieldName(origin: string, path: readonly PropertyKey[]): string {
  return origin + path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
}
