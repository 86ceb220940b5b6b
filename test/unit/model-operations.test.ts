// One CloudTrail record per operation of the six AWS API models trailwatch reads (glue, emr, athena,
// batch, emr-serverless, emr-containers), built by scripts/generate-service-models.py from botocore's
// shapes: every member filled (lists of one, ids unique per record), member names in lower camel case as
// CloudTrail writes them, and a null response for the read-only calls CloudTrail logs that way. Each
// record is checked for its service, its failed flag and its resources; coverage per model (the share of
// operations whose required identifying parameters all come out as resources) is in the README.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeRecord } from '../../lambdas/core/normalize';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { modelOperations } from '../../lambdas/core/normalizers/service-models';

interface ModelOperation {
  readonly model: string;
  readonly eventSource: string;
  readonly service: string;
  readonly eventName: string;
  readonly requestParameters: Record<string, unknown> | null;
  readonly response: Record<string, unknown> | null;
  readonly loggedNull: boolean;
  readonly identifiers: readonly string[];
}

const FIXTURE = JSON.parse(readFileSync(join(__dirname, '../fixtures/model-operations.json'), 'utf8')) as {
  operations: ModelOperation[];
};
const MODELS = ['glue', 'emr', 'athena', 'batch', 'emr-serverless', 'emr-containers'];

// The calls that answer success while items fail, read from the API reference of each (the spec this
// test holds the model-derived table to): a new failure member in a botocore update fails here first.
const PARTIAL_FAILURES: Record<string, readonly string[]> = {
  glue: [
    'BatchCreatePartition',
    'BatchDeleteConnection',
    'BatchDeletePartition',
    'BatchDeleteTable',
    'BatchDeleteTableVersion',
    'BatchGetPartition',
    'BatchGetTableOptimizer',
    'BatchPutDataQualityStatisticAnnotation',
    'BatchStopJobRun',
    'BatchUpdatePartition',
    'DeleteSchemaVersions',
    'GetColumnStatisticsForPartition',
    'GetColumnStatisticsForTable',
    'UpdateColumnStatisticsForPartition',
    'UpdateColumnStatisticsForTable',
  ],
  athena: ['BatchGetNamedQuery', 'BatchGetPreparedStatement', 'BatchGetQueryExecution'],
};

// Below these shares of operations with all identifying parameters found, the test fails. Each is the
// share measured (README) with two more operations missed, rounded down to 5 %: a botocore update that
// adds an operation or two of a kind trailwatch does not track yet passes, one that loses resources
// across the board (a renamed member, a generator change) fails.
const MIN_COVERAGE: Record<string, number> = {
  glue: 0.9,
  emr: 0.95,
  athena: 0.9,
  batch: 0.9,
  'emr-serverless': 0.8,
  'emr-containers': 0.85,
};

// The kinds docs/normalized-event.md documents (first column of its resource table).
const DOCUMENTED_KINDS = new Set(
  [
    ...readFileSync(join(__dirname, '../../docs/normalized-event.md'), 'utf8').matchAll(
      /^\| `([a-z-]+:[a-z-]+)`/gm,
    ),
  ].map((m) => m[1]!),
);

function normalize(op: ModelOperation, response: unknown): NormalizedEvent {
  const result = normalizeRecord({
    eventVersion: '1.09',
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/etl/run' },
    eventTime: '2024-05-01T08:00:00Z',
    eventSource: op.eventSource,
    eventName: op.eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.7',
    requestParameters: op.requestParameters,
    responseElements: response,
    requestID: 'req',
    eventID: `${op.model}-${op.eventName}`,
    eventType: 'AwsApiCall',
    recipientAccountId: '123456789012',
  });
  if (!result.ok) throw new Error(`${op.model} ${op.eventName}: ${result.reason}: ${result.message}`);
  return result.event;
}

function firstString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

// An identifier is found when a resource's id is its value, or is qualified by it (`db/table`).
function found(event: NormalizedEvent, value: string): boolean {
  return event.resources.some(
    (r) => r.id === value || r.id.endsWith(`/${value}`) || r.id.startsWith(`${value}/`),
  );
}

describe.each(MODELS)('the %s model', (model) => {
  const ops = FIXTURE.operations.filter((o) => o.model === model);

  it('has one record per operation of the generated table', () => {
    // Prepare
    const source = ops[0]!.eventSource;
    // Act
    const names = ops.map((o) => o.eventName).sort();
    // Assess
    expect(names).toEqual([...modelOperations(source)].sort());
    expect(names.length).toBeGreaterThan(10);
  });

  it('gives every record its service, and failed only where items failed', () => {
    // Prepare
    const partial = new Set(PARTIAL_FAILURES[model] ?? []);
    const wrong: string[] = [];
    for (const op of ops) {
      // Act: the record as CloudTrail logs it, and with the response the API returns
      const logged = normalize(op, op.loggedNull ? null : op.response);
      const answered = normalize(op, op.response);
      // Assess
      if (logged.service !== op.service) wrong.push(`${op.eventName}: service ${logged.service}`);
      if (logged.failed !== (partial.has(op.eventName) && !op.loggedNull))
        wrong.push(`${op.eventName}: failed ${logged.failed} as logged`);
      if (answered.failed !== partial.has(op.eventName))
        wrong.push(`${op.eventName}: failed ${answered.failed} with its response`);
      if (answered.failed && !/^1 item failed \(/.test(answered.errorMessage ?? ''))
        wrong.push(`${op.eventName}: errorMessage ${answered.errorMessage}`);
    }
    expect(wrong).toEqual([]);
  });

  it('names only documented resource kinds, with usable ids', () => {
    // Prepare
    const wrong: string[] = [];
    for (const op of ops) {
      // Act
      const event = normalize(op, op.response);
      // Assess
      for (const r of event.resources) {
        if (!DOCUMENTED_KINDS.has(r.type)) wrong.push(`${op.eventName}: ${r.type} is not documented`);
        if (r.id.trim() === '' || r.id.startsWith('arn:')) wrong.push(`${op.eventName}: id ${r.id}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it(`finds the identifying parameters of at least ${Math.round(MIN_COVERAGE[model]! * 100)} % of the operations`, () => {
    // Prepare
    const counted = ops.filter((o) => o.identifiers.length > 0);
    const missed: string[] = [];
    for (const op of counted) {
      // Act
      const event = normalize(op, op.loggedNull ? null : op.response);
      // Assess
      const lost = op.identifiers.filter((name) => {
        const value = firstString(op.requestParameters?.[name]);
        return value !== undefined && !found(event, value);
      });
      if (lost.length > 0) missed.push(`${op.eventName} (${lost.join(', ')})`);
    }
    const coverage = (counted.length - missed.length) / counted.length;
    // The figure the README reports; printed so a change of it is seen in the test output.
    process.stdout.write(
      `model coverage ${model}: ${counted.length - missed.length}/${counted.length} = ${(coverage * 100).toFixed(1)} %` +
        (missed.length ? `; missed: ${missed.join('; ')}\n` : '\n'),
    );
    expect(coverage).toBeGreaterThanOrEqual(MIN_COVERAGE[model]!);
  });
});
