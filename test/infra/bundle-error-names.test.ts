import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { TrailwatchStack } from '../../lib/trailwatch-stack';

// Issue 15, case 10: the minified function reported `IngestFailedError` as `$K` and
// `ObjectProcessingError` as `rc`, so CloudWatch and the dead-letter records carried names that changed
// with every build. This runs the bundle the stack deploys and reads the names its errors carry.

/** Runs `script` in a fresh node with the bundle at BUNDLE; returns what it printed as JSON. */
function runBundle(bundle: string, script: string, env: Record<string, string>): unknown {
  const out = execFileSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH ?? '', BUNDLE: bundle, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 30_000,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? 'null');
}

describe('the bundled function keeps its error names', () => {
  const saved = { docker: process.env.CDK_DOCKER, validation: process.env.CDK_VALIDATION };
  let outdir: string;
  let bundle: string;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-names-'));
    process.env.CDK_DOCKER = path.join(outdir, 'no-docker-here');
    process.env.CDK_VALIDATION = 'false';
    const app = new App({ outdir });
    const stack = new TrailwatchStack(app, 'Names', { config: {} });
    const template = app.synth().getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
    };
    // The ingest function's (CDK's custom resource handlers have assets of their own).
    const s3Key = Object.entries(template.Resources).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('IngestFunction'),
    )?.[1].Properties.Code?.S3Key;
    bundle = path.join(outdir, `asset.${(s3Key ?? 'missing').replace(/\.zip$/, '')}`, 'index.js');
  }, 120_000);

  afterAll(() => {
    for (const [name, value] of [
      ['CDK_DOCKER', saved.docker],
      ['CDK_VALIDATION', saved.validation],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  it('a bad configuration fails the cold start with ConfigError', () => {
    // Act: no TABLE_NAME, no SOURCE_BUCKETS.
    const seen = runBundle(
      bundle,
      `try { require(process.env.BUNDLE); console.log('null'); }
       catch (e) { console.log(JSON.stringify({ name: e.name, constructor: e.constructor.name })); }`,
      { AWS_REGION: 'us-east-1' },
    );

    // Assess
    expect(seen).toEqual({ name: 'ConfigError', constructor: 'ConfigError' });
  });

  it('an object that cannot be read fails the invocation with IngestFailedError caused by ObjectProcessingError', () => {
    // Prepare: S3 is a port nobody listens on, so reading the object fails at once.
    const key =
      'AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/123456789012_CloudTrail_us-east-1_20261122T0000Z_a.json.gz';
    const event = {
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          awsRegion: 'us-east-1',
          s3: { bucket: { name: 'trail-bucket' }, object: { key, size: 100 } },
        },
      ],
    };

    // Act
    const seen = runBundle(
      bundle,
      `const { handler } = require(process.env.BUNDLE);
       handler(${JSON.stringify(event)}).then(
         () => console.log('null'),
         (e) => console.log(JSON.stringify({ name: e.name, constructor: e.constructor.name, cause: e.cause && e.cause.name })),
       );`,
      {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_MAX_ATTEMPTS: '1',
        TABLE_NAME: 'events',
        SOURCE_BUCKETS: 'trail-bucket',
        ALERTS_ENABLED: 'false',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    );

    // Assess
    expect(seen).toEqual({
      name: 'IngestFailedError',
      constructor: 'IngestFailedError',
      cause: 'ObjectProcessingError',
    });
  });
});
