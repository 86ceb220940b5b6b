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

  it('bundles lambdas/ingest/handler.ts with the local esbuild, without Docker', () => {
    // Prepare
    const app = new App({ outdir });
    const stack = new TrailwatchStack(app, 'Bundled', { config: {} });
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
    // The ingest function's asset (CDK's custom resource handlers have assets of their own).
    const fn = Object.entries(template.Resources).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('IngestFunction'),
    )?.[1];
    const s3Key = fn?.Properties.Code?.S3Key;
    // The asset's staging directory is named after the hash the S3 key carries.
    const assetDir = path.join(outdir, `asset.${(s3Key ?? 'missing').replace(/\.zip$/, '')}`);
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
  });
});
