import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  consumerEnv,
  exec,
  installedPackages,
  npmEnv,
  npmInstall,
  npmPack,
  REPO,
  tarballFiles,
  tempFolder,
  writeProject,
} from '../helpers/package-project';
import { seedRecord, seedRecords } from '../../local/seed-records';

// The app package as a platform team gets it without a checkout: `npm pack` of the repository,
// installed from the tarball into an empty project, then `npx trailwatch` run there (compiled code,
// no TypeScript toolchain, nothing read from this repository).

/** Packages the installed command must not need: TypeScript tooling and the CDK. */
const DEV_ONLY = ['tsx', 'typescript', 'ts-jest', 'jest', 'esbuild', 'aws-cdk', 'aws-cdk-lib', 'constructs'];

let tmp: string;
let tarball: string;
let project: string;
const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string })
  .version;

beforeAll(async () => {
  tmp = tempFolder('trailwatch-app-package-');
  // Built here, so the tarball holds the current sources whatever dist/ held before.
  await exec('npm', ['run', 'build', '--silent'], { cwd: REPO, env: npmEnv(), timeoutMs: 300_000 });
  tarball = await npmPack(REPO, tmp, ['--ignore-scripts']);
  project = writeProject(tmp, 'platform', {
    'package.json': JSON.stringify({ name: 'platform-tools', private: true }),
  });
  await npmInstall(project, [tarball]);
}, 600_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const npx = (args: string[]) =>
  exec('npx', ['--no-install', 'trailwatch', ...args], { cwd: project, env: consumerEnv() });

describe('the packed app', () => {
  it('ships the compiled command, its data and the docs, and no sources or bundled packages', async () => {
    const files = await tarballFiles(tarball);
    expect(files).toContain('dist/trailwatch.js');
    expect(files).toContain('dist/s3rver-child.js');
    expect(files).toContain('dist/parse-worker.js');
    expect(files.filter((f) => f.startsWith('dist/seeds/') && f.endsWith('.json')).length).toBeGreaterThan(0);
    expect(
      files.filter((f) => f.startsWith('samples/AWSLogs/') && f.endsWith('.json.gz')).length,
    ).toBeGreaterThan(0);
    expect(files).toContain('docs/table.md');
    expect(files).toContain('README.md');
    expect(files.filter((f) => f.endsWith('.ts') || f.startsWith('node_modules/'))).toEqual([]);
  });

  it('installs without the TypeScript toolchain or the CDK', () => {
    const installed = installedPackages(project);
    expect(installed).toContain('trailwatch');
    for (const name of DEV_ONLY) expect(installed).not.toContain(name);
  });

  it('runs `npx trailwatch --version` from the compiled build', async () => {
    const out = await npx(['--version']);
    expect(out.stdout).toBe(`trailwatch ${version}\n`);
    expect(out.stderr).toBe('');
    const bin = fs.realpathSync(path.join(project, 'node_modules', '.bin', 'trailwatch'));
    expect(path.relative(path.join(project, 'node_modules', 'trailwatch'), bin)).toBe(
      path.join('dist', 'trailwatch.js'),
    );
  });

  it('parses a log file', async () => {
    const seed = seedRecord('athena-start-query-execution-failed');
    const file = path.join(tmp, 'log.json.gz');
    fs.writeFileSync(file, gzipSync(JSON.stringify({ Records: [seed.record] })));
    const out = await npx(['parse', file]);
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      service: 'athena',
      eventId: seed.record.eventID,
      failed: true,
    });
  });

  it('parses on two threads with the worker beside the compiled command', async () => {
    // Prepare: every seed example, each many times over with its own id, so that there are many batches.
    const records = seedRecords().flatMap((s) =>
      Array.from({ length: 300 }, (_, i) => ({ ...s.record, eventID: `${s.record.eventID}-${i}` })),
    );
    const file = path.join(tmp, 'many.json.gz');
    fs.writeFileSync(file, gzipSync(JSON.stringify({ Records: records })));
    // Act
    const one = await exec('npx', ['--no-install', 'trailwatch', 'parse', file], {
      cwd: project,
      env: { ...consumerEnv(), TRAILWATCH_PARSE_WORKER: 'off' },
    });
    const two = await exec('npx', ['--no-install', 'trailwatch', 'parse', file], {
      cwd: project,
      env: { ...consumerEnv(), TRAILWATCH_PARSE_WORKER: 'on' },
    });
    // Assess
    expect(two.stdout.trim().split('\n')).toHaveLength(records.length);
    expect(two).toEqual(one);
  });

  it('runs the whole local pipeline (`trailwatch local`) with its bundled samples', async () => {
    const out = await exec('npx', ['--no-install', 'trailwatch', 'local', '--data', path.join(tmp, 'data')], {
      cwd: project,
      env: consumerEnv(),
      timeoutMs: 180_000,
    });
    // The seed examples and the generated day were uploaded (read from the package's samples/),
    // processed by the handler's code (s3rver runs in a compiled child process) and stored.
    expect(out.stdout).toMatch(/Uploading the \d+ sample log objects of samples\/: 7 seed examples/);
    expect(out.stdout).toMatch(/Log objects: [1-9]\d* processed, \d+ skipped \(\d+ digest\), 0 failed/);
    expect(out.stdout).toMatch(
      /Events stored: [1-9]\d* \(Glue [1-9]\d*, EMR [1-9]\d*, Athena [1-9]\d*, Batch [1-9]\d*\)/,
    );
    expect(out.stdout).toMatch(/Alerts sent: [1-9]/);
    expect(out.stderr).not.toMatch(/NodeVersionSupportWarning|Error/);
  }, 240_000);
});
