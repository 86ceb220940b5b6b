import { selectAlertable } from '../../lambdas/core/alert-policy';
import { DEFAULT_ALERT_RULES, parseAlertRules } from '../../lambdas/core/alert-rules';
import { ConfigError } from '../../lambdas/core/errors';
import { failure } from '../helpers/alert-events';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('parseAlertRules', () => {
  test('empty rules alert on every service and ignore nothing', () => {
    expect(parseAlertRules('{}', 'ALERT_RULES')).toEqual({
      services: ['glue', 'emr', 'athena', 'batch'],
      ignoreErrorCodes: [],
      ignoreEventNames: [],
      ignorePrincipals: [],
      ignore: [],
    });
    expect(DEFAULT_ALERT_RULES.services).toEqual(['glue', 'emr', 'athena', 'batch']);
  });

  test('a full configuration is accepted as written', () => {
    // Prepare
    const json = JSON.stringify({
      services: ['glue', 'athena'],
      ignoreErrorCodes: ['ThrottlingException'],
      ignoreEventNames: ['GetQueryExecution'],
      ignorePrincipals: ['arn:aws:iam::123456789012:role/poller'],
      ignore: [
        {
          reason: 'known poller',
          errorCode: 'AccessDenied*',
          principal: 'arn:aws:sts::*:assumed-role/poller/*',
        },
      ],
    });

    // Act
    const rules = parseAlertRules(json, 'ALERT_RULES');

    // Assess
    expect(rules.services).toEqual(['glue', 'athena']);
    expect(rules.ignore[0]).toEqual({
      reason: 'known poller',
      errorCode: 'AccessDenied*',
      principal: 'arn:aws:sts::*:assumed-role/poller/*',
    });
  });

  test.each([
    ['not JSON', '{services:', /^ALERT_RULES: not valid JSON \(/],
    [
      'not an object',
      '[]',
      /^invalid alert rules: ALERT_RULES: Invalid input: expected object, received array$/,
    ],
    [
      'an unknown service',
      '{"services":["s3"]}',
      /ALERT_RULES\.services\[0\]: Invalid option: expected one of "glue"\|"emr"\|"athena"\|"batch"/,
    ],
    ['no service at all', '{"services":[]}', /ALERT_RULES\.services: must name at least one service/],
    [
      'an empty error code',
      '{"ignoreErrorCodes":["Throttling", " "]}',
      /ALERT_RULES\.ignoreErrorCodes\[1\]: must not be empty/,
    ],
    ['a misspelt field', '{"ignoreErrorCode":["X"]}', /ALERT_RULES: Unrecognized key: "ignoreErrorCode"/],
    [
      'an ignore rule that names nothing',
      '{"ignore":[{"reason":"x"}]}',
      /ALERT_RULES\.ignore\[0\]: an ignore rule must name at least one of/,
    ],
    [
      'a misspelt ignore rule field',
      '{"ignore":[{"errorcode":"X"}]}',
      /ALERT_RULES\.ignore\[0\]: Unrecognized key: "errorcode"/,
    ],
    ['a wrong type deep inside', '{"ignore":[{"principal":[1]}]}', /ALERT_RULES\.ignore\[0\]\.principal/],
  ])('%s is a ConfigError naming the field', (_name, json, message) => {
    // Act
    const err = errorOf(() => parseAlertRules(json, 'ALERT_RULES'));

    // Assess
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('\n');
    expect(err.cause).toBeDefined();
  });

  test('every problem is reported at once', () => {
    const err = errorOf(() => parseAlertRules('{"services":["s3"],"ignoreEventNames":[""]}', 'rules.json'));
    expect(err.message).toContain('rules.json.services[0]');
    expect(err.message).toContain('rules.json.ignoreEventNames[0]');
  });
});

describe('selectAlertable', () => {
  const poller = {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::123456789012:assumed-role/poller/i-0abc',
    sessionIssuerArn: 'arn:aws:iam::123456789012:role/poller',
    userName: 'poller',
  };
  const events = [
    failure(1), // athena InvalidRequestException by etl-runner
    failure(2, { errorCode: 'ThrottlingException', principal: poller }),
    failure(3, { errorCode: 'ThrottlingException' }),
    failure(4, { service: 'glue', eventName: 'GetJobRun', errorCode: 'EntityNotFoundException' }),
    failure(5, { service: 'batch', eventName: 'SubmitJob', errorCode: 'ClientException' }),
    failure(6, { eventName: 'GetQueryExecution' }),
    failure(7, { failed: false, errorCode: undefined }),
  ];
  const ids = (list: { eventId: string }[]) => list.map((e) => e.eventId.slice(-1));

  test.each([
    ['no rules: every failure, never a success', '{}', ['1', '2', '3', '4', '5', '6']],
    ['services', '{"services":["athena"]}', ['1', '2', '3', '6']],
    ['error codes', '{"ignoreErrorCodes":["Throttling*"]}', ['1', '4', '5', '6']],
    ['event names', '{"ignoreEventNames":["Get*"]}', ['1', '2', '3', '5']],
    [
      'principal by session issuer',
      '{"ignorePrincipals":["arn:aws:iam::123456789012:role/poller"]}',
      ['1', '3', '4', '5', '6'],
    ],
    ['principal by user name', '{"ignorePrincipals":["etl-runner"]}', ['2']],
    [
      'a combined rule: throttling from the poller only',
      '{"ignore":[{"errorCode":"ThrottlingException","principal":"arn:aws:sts::*:assumed-role/poller/*"}]}',
      ['1', '3', '4', '5', '6'],
    ],
    [
      'a combined rule scoped to a service',
      '{"ignore":[{"service":["glue","batch"],"errorCode":["EntityNotFoundException","ClientException"]}]}',
      ['1', '2', '3', '6'],
    ],
    [
      'a rule on region matches nothing else',
      '{"ignore":[{"region":"eu-*"}]}',
      ['1', '2', '3', '4', '5', '6'],
    ],
  ])('%s', (_name, json, expected) => {
    // Act
    const selection = selectAlertable(events, parseAlertRules(json, 'ALERT_RULES'));

    // Assess
    expect(ids(selection.alertable)).toEqual(expected);
    expect(selection.alertable.length + selection.ignored.length).toBe(events.length);
  });

  test('a pattern is matched whole, and regex characters in it are literal', () => {
    const rules = parseAlertRules('{"ignoreErrorCodes":["Throttling"],"ignoreEventNames":["Start.*"]}', 'R');
    expect(ids(selectAlertable(events, rules).alertable)).toEqual(['1', '2', '3', '4', '5', '6']);
  });
});
