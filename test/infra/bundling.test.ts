import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { TrailwatchStack } from '../../lib/trailwatch-stack';

describe('function bundling', () => {
  const saved = { docker: process.env.CDK_DOCKER, validation: process.env.CDK_VALIDATION };
  let outdir: string;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-synth-'));
    // Any attempt to use Docker fails the bundling: it must happen with the local esbuild.
    process.env.CDK_DOCKER = path.join(outdir, 'no-docker-here');
    // CDK's CloudFormation schema validation is irrelevant to bundling and slow.
    process.env.CDK_VALIDATION = 'false';
  });

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

  it('bundles lambdas/ingest/handler.ts (and backfill-handler.ts) with the local esbuild, without Docker', () => {
    // Prepare: with the distributed backfill on, so its function is bundled in the same synth.
    const app = new App({ outdir });
    const stack = new TrailwatchStack(app, 'Bundled', { config: { backfill: true } });
    // Act
    const assembly = app.synth();
    // Assess: protects offline, Docker-free `cdk synth` and that the asset is the handler, bundled as CJS.
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<
        string,
        {
          Type: string;
          Properties: { Code?: { S3Key?: string }; Environment?: { Variables?: Record<string, string> } };
        }
      >;
    };
    const functionNamed = (prefix: string) =>
      Object.entries(template.Resources).find(
        ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix),
      )?.[1];
    // The asset's staging directory is named after the hash the S3 key carries.
    const assetDirOf = (f: ReturnType<typeof functionNamed>) =>
      path.join(outdir, `asset.${(f?.Properties.Code?.S3Key ?? 'missing').replace(/\.zip$/, '')}`);
    const fn = functionNamed('IngestFunction');
    const assetDir = assetDirOf(fn);
    const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    expect(bundle).toMatch(/handler/);
    expect(bundle).toMatch(/module\.exports/);
    // The map is kept beside the bundle for decoding stack traces, without the sources, and never loaded
    // at start (cold start and first-error cost; see lib/ingest-function.ts).
    const map = JSON.parse(fs.readFileSync(path.join(assetDir, 'index.js.map'), 'utf8')) as {
      sourcesContent?: unknown;
    };
    expect(map.sourcesContent).toBeUndefined();
    expect(fn?.Properties.Environment?.Variables?.NODE_OPTIONS ?? '').not.toMatch(/source-maps/);
    // Minified but with names kept: error classes name themselves (`new.target.name`) in logs and errorType.
    expect(bundle).toMatch(/["']LogFileError["']/);
    expect(bundle).toMatch(/["']ObjectProcessingError["']/);
    // The backfill function's asset is its own entry (the batch message contract), with the same settings.
    const backfillFn = functionNamed('BackfillFunction');
    expect(backfillFn?.Properties.Code?.S3Key).not.toBe(fn?.Properties.Code?.S3Key);
    const backfill = fs.readFileSync(path.join(assetDirOf(backfillFn), 'index.js'), 'utf8');
    // Its entry's own names (the handler of batch messages), kept by keepNames like the ingest bundle's.
    expect(backfill.includes('handleSqsEvent')).toBe(true);
    expect(bundle.includes('handleSqsEvent')).toBe(false);
    expect(/["']BackfillBatchError["']/.test(backfill)).toBe(true);
    expect(/module\.exports/.test(backfill)).toBe(true);
  });
});
