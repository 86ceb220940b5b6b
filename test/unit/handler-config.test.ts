import { ConfigError } from '../../lambdas/core/errors';
import { loadIngestConfig } from '../../lambdas/ingest/config';

const VALID = {
  TABLE_NAME: 'events',
  ALERT_STATE_TABLE_NAME: 'alert-state',
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:alerts',
  SOURCE_BUCKETS: 'logs-a, logs-b',
};

function errorOf(env: Record<string, string | undefined>): string {
  try {
    loadIngestConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadIngestConfig', () => {
  it('reads the environment the stack sets, with the documented defaults', () => {
    // Act
    const config = loadIngestConfig(VALID);

    // Assess
    expect(config).toEqual({
      tableName: 'events',
      sourceBuckets: ['logs-a', 'logs-b'],
      allowedAccounts: [],
      allowedOrganizationIds: [],
      retentionDays: 365,
      payloadMaxBytes: 32768,
      alerts: { topicArn: VALID.ALERT_TOPIC_ARN, stateTableName: 'alert-state', windowMinutes: 60 },
    });
  });

  it('reads every optional variable', () => {
    const config = loadIngestConfig({
      ...VALID,
      LOG_PREFIX: 'trail/',
      ALLOWED_ACCOUNTS: '111122223333, 444455556666',
      ALLOWED_ORGANIZATIONS: 'o-a1b2c3d4e5',
      RETENTION_DAYS: '30',
      PAYLOAD_MAX_BYTES: '1024',
      ALERT_WINDOW_MINUTES: '15',
      ALERT_RULES: JSON.stringify({ services: ['glue', 'athena'] }),
    });
    expect(config).toMatchObject({
      logPrefix: 'trail/',
      allowedAccounts: ['111122223333', '444455556666'],
      allowedOrganizationIds: ['o-a1b2c3d4e5'],
      retentionDays: 30,
      payloadMaxBytes: 1024,
      alerts: { windowMinutes: 15 },
    });
    expect(config.alerts?.rules).toBeDefined();
  });

  it('needs no alert settings when alerts are off', () => {
    const config = loadIngestConfig({
      TABLE_NAME: 'events',
      SOURCE_BUCKETS: 'logs',
      ALERTS_ENABLED: 'false',
    });
    expect(config.alerts).toBeUndefined();
  });

  it("keeps LOG_PREFIX '' (no prefix) apart from LOG_PREFIX unset (any prefix)", () => {
    // Assess: protects the stack's default (it always sets LOG_PREFIX, '' included) from meaning "any".
    expect(loadIngestConfig({ ...VALID, LOG_PREFIX: '' }).logPrefix).toBe('');
    expect(loadIngestConfig(VALID)).not.toHaveProperty('logPrefix');
  });

  it('treats empty optional variables as unset', () => {
    const config = loadIngestConfig({ ...VALID, RETENTION_DAYS: '', ALERT_RULES: '' });
    expect(config.retentionDays).toBe(365);
    expect(config.alerts?.rules).toBeUndefined();
  });

  it.each([
    ['TABLE_NAME missing', { ...VALID, TABLE_NAME: undefined }, /TABLE_NAME: required/],
    ['SOURCE_BUCKETS missing', { ...VALID, SOURCE_BUCKETS: undefined }, /SOURCE_BUCKETS: required/],
    [
      'SOURCE_BUCKETS only commas',
      { ...VALID, SOURCE_BUCKETS: ' , ' },
      /SOURCE_BUCKETS: expected at least one bucket/,
    ],
    [
      'RETENTION_DAYS not a number',
      { ...VALID, RETENTION_DAYS: 'a year' },
      /RETENTION_DAYS: expected days as a whole number/,
    ],
    [
      'PAYLOAD_MAX_BYTES zero',
      { ...VALID, PAYLOAD_MAX_BYTES: '0' },
      /PAYLOAD_MAX_BYTES: expected bytes greater than 0/,
    ],
    [
      'ALERTS_ENABLED not a boolean',
      { ...VALID, ALERTS_ENABLED: 'yes' },
      /ALERTS_ENABLED: expected 'true' or 'false'/,
    ],
    [
      'ALERT_TOPIC_ARN not an ARN',
      { ...VALID, ALERT_TOPIC_ARN: 'alerts' },
      /ALERT_TOPIC_ARN: expected an SNS topic ARN/,
    ],
    [
      'CHAT_TOPIC_ARN not an ARN',
      { ...VALID, CHAT_TOPIC_ARN: 'chat' },
      /CHAT_TOPIC_ARN: expected an SNS topic ARN/,
    ],
    [
      'ALERT_TOPIC_ARN missing with alerts on',
      { ...VALID, ALERT_TOPIC_ARN: undefined },
      /ALERT_TOPIC_ARN: required when ALERTS_ENABLED is true/,
    ],
    [
      'ALERT_STATE_TABLE_NAME missing with alerts on',
      { ...VALID, ALERT_STATE_TABLE_NAME: undefined },
      /ALERT_STATE_TABLE_NAME: required/,
    ],
    ['ALERT_RULES not JSON', { ...VALID, ALERT_RULES: '{services:' }, /ALERT_RULES/],
  ])('names the variable: %s', (_name, env, message) => {
    expect(errorOf(env)).toMatch(message);
  });

  it('reports every bad variable at once', () => {
    const message = errorOf({ SOURCE_BUCKETS: 'logs', RETENTION_DAYS: 'x', ALERT_WINDOW_MINUTES: '-5' });
    expect(message).toMatch(/TABLE_NAME/);
    expect(message).toMatch(/RETENTION_DAYS/);
    expect(message).toMatch(/ALERT_WINDOW_MINUTES/);
  });
});
