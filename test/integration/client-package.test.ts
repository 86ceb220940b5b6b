import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbEventStore } from '../../lambdas/adapters/event-store';
import { ensureTable, eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { TABLE_CONTRACT_VERSION, type NormalizedEvent } from '@trailwatch/client/contract';
import { DynaliteServer, startDynalite } from '../../local/dynalite-server';
import {
  consumerEnv,
  exec,
  folderBytes,
  installedPackages,
  npmInstall,
  npmPack,
  REPO,
  tarballFiles,
  tempFolder,
  writeProject,
} from '../helpers/package-project';

// The client package as another team gets it: `npm pack` of packages/client, installed from the
// tarball into fresh projects of the three kinds a service is built as (CommonJS compiled by tsc, ESM
// with NodeNext, an esbuild bundle), each compiled and run against a table the writer filled.

const TABLE = 'client-package-events';
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
/** The Node.js the consumers run on: this one, or another binary (e.g. Node.js 22 next to a Node.js 20 CI). */
const CONSUMER_NODE = process.env.TRAILWATCH_CONSUMER_NODE ?? process.execPath;
/** The installed client and its dependencies (without @types/node, which the test project adds) must stay below this. */
const MAX_INSTALLED_MB = 40;
/** Packages a consumer must never get: the CDK, the local servers, build tools, the app itself. */
const FORBIDDEN = [
  'aws-cdk-lib',
  'constructs',
  'dynalite',
  's3rver',
  'tsx',
  'typescript',
  'esbuild',
  'trailwatch',
];

const event = (id: string, time: string, name: string, failed: boolean, arn = ALICE): NormalizedEvent => ({
  service: 'glue',
  eventSource: 'glue.amazonaws.com',
  eventName: name,
  eventTime: time,
  eventId: id,
  accountId: '123456789012',
  region: 'us-east-1',
  principal: { type: 'IAMUser', arn, accountId: '123456789012', userName: 'alice' },
  failed,
  ...(failed ? { errorCode: 'EntityNotFoundException', errorMessage: 'no such job' } : {}),
  resources: [{ type: 'glue:job', id: 'nightly-etl' }],
  requestParameters: { jobName: 'nightly-etl' },
});

const EVENTS = [
  event('e1', '2024-02-15T08:00:00Z', 'StartJobRun', true),
  event('e2', '2024-02-15T09:00:00Z', 'GetJob', false),
  event('e3', '2024-02-15T10:00:00Z', 'StartJobRun', true),
  event('e4', '2024-02-15T11:00:00Z', 'GetJob', false, 'arn:aws:iam::123456789012:user/bob'),
];

// What every consumer prints: the failed calls newest first, Alice's calls oldest first, the field a
// ValidationError names (`instanceof` must hold across the module formats) and the contract's indexes
// and version.
const EXPECTED = {
  failures: ['e3', 'e1'],
  byAlice: ['e1:StartJobRun:true', 'e2:GetJob:false', 'e3:StartJobRun:true'],
  invalidField: 'limit',
  indexes: ['byPrincipal', 'byResource', 'failures'],
  contractVersion: TABLE_CONTRACT_VERSION,
};

const PROGRAM = `import { collect, EventQueryClient, ValidationError } from '@trailwatch/client';
import { EVENT_INDEXES, TABLE_CONTRACT_VERSION } from '@trailwatch/client/contract';
import { TrailwatchError } from '@trailwatch/client/errors';

async function main(): Promise<void> {
  const [endpoint, tableName] = process.argv.slice(2);
  if (!endpoint || !tableName) throw new Error('usage: main <endpoint> <table>');
  const query = new EventQueryClient({
    tableName,
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const failures = await collect(query.failures({ from: '2024-02-15', to: '2024-02-15' }));
  const byAlice = await collect(query.byPrincipal({ principalArn: '${ALICE}', order: 'oldest' }));
  let invalidField = 'none';
  try {
    query.events({ limit: 0 });
  } catch (err) {
    // One implementation behind every entry point: the error is a TrailwatchError of /errors too.
    if (err instanceof ValidationError && err instanceof TrailwatchError) invalidField = err.field;
  }
  console.log(
    JSON.stringify({
      failures: failures.map((e) => e.eventId),
      byAlice: byAlice.map((e) => \`\${e.eventId}:\${e.eventName}:\${e.failed}\`),
      invalidField,
      indexes: Object.keys(EVENT_INDEXES).sort(),
      contractVersion: TABLE_CONTRACT_VERSION,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
`;

const STRICT = { strict: true, skipLibCheck: true, types: ['node'], target: 'ES2022', lib: ['ES2022'] };
const json = (value: unknown) => JSON.stringify(value, null, 2);

/** The three kinds of consumer project, and how each is compiled and started. */
const CONSUMERS = {
  commonjs: {
    files: {
      'package.json': json({ name: 'consumer-cjs', private: true }),
      'tsconfig.json': json({
        compilerOptions: { ...STRICT, module: 'commonjs', outDir: 'dist' },
        include: ['src'],
      }),
      'src/main.ts': PROGRAM,
    },
    build: (dir: string) => exec(process.execPath, [TSC, '-p', dir], { cwd: dir }),
    main: 'dist/main.js',
  },
  esm: {
    files: {
      'package.json': json({ name: 'consumer-esm', private: true, type: 'module' }),
      'tsconfig.json': json({
        compilerOptions: { ...STRICT, module: 'nodenext', moduleResolution: 'nodenext', outDir: 'dist' },
        include: ['src'],
      }),
      'src/main.ts': PROGRAM,
    },
    build: (dir: string) => exec(process.execPath, [TSC, '-p', dir], { cwd: dir }),
    main: 'dist/main.js',
  },
  bundler: {
    files: {
      'package.json': json({ name: 'consumer-bundle', private: true }),
      'tsconfig.json': json({
        compilerOptions: { ...STRICT, module: 'esnext', moduleResolution: 'bundler', noEmit: true },
        include: ['src'],
      }),
      'src/main.ts': PROGRAM,
    },
    // Type-checked as a bundler project would be, then bundled by esbuild into one file for Node.
    build: async (dir: string) => {
      await exec(process.execPath, [TSC, '-p', dir], { cwd: dir });
      const esbuild = await import('esbuild');
      await esbuild.build({
        absWorkingDir: dir,
        entryPoints: ['src/main.ts'],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        outfile: 'dist/main.js',
        logLevel: 'silent',
      });
    },
    main: 'dist/main.js',
  },
} as const;

type ConsumerKind = keyof typeof CONSUMERS;

let server: DynaliteServer;
let client: DynamoDBClient;
let tmp: string;
let tarball: string;
const projects = new Map<ConsumerKind, string>();

beforeAll(async () => {
  tmp = tempFolder('trailwatch-client-package-');
  // Packing runs the package's prepack (its build) first, so the tarball is built from the sources.
  const [packed] = await Promise.all([
    npmPack(path.join(REPO, 'packages', 'client'), tmp),
    (async () => {
      server = await startDynalite();
      client = new DynamoDBClient({
        endpoint: server.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      await ensureTable(client, eventTableDefinition(TABLE));
      await new DynamoDbEventStore({ tableName: TABLE, client }).putEvents(EVENTS, {
        bucket: 'trail-bucket',
        key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2024/02/15/f.json.gz',
        deliveredAt: new Date('2024-02-15T12:00:00Z'),
      });
    })(),
  ]);
  tarball = packed;
  await Promise.all(
    (Object.keys(CONSUMERS) as ConsumerKind[]).map(async (kind) => {
      const dir = writeProject(tmp, kind, CONSUMERS[kind].files);
      await npmInstall(dir, [tarball, '@types/node@20']);
      projects.set(kind, dir);
    }),
  );
}, 600_000);

afterAll(async () => {
  client?.destroy();
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the packed client', () => {
  it('ships its build, types for require and import, and no sources or tests', async () => {
    const files = await tarballFiles(tarball);
    for (const entry of ['index', 'contract', 'errors', 'services']) {
      for (const ext of ['js', 'd.ts', 'mjs', 'd.mts']) expect(files).toContain(`dist/${entry}.${ext}`);
    }
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md'].includes(f))).toEqual(
      [],
    );
    expect(files.filter((f) => /\.test\.|\/src\//.test(f))).toEqual([]);
  });

  it.each(Object.keys(CONSUMERS) as ConsumerKind[])(
    'installs into a fresh %s project that compiles and queries dynalite, with no SDK notice',
    async (kind) => {
      const dir = projects.get(kind) as string;
      await CONSUMERS[kind].build(dir);
      const out = await exec(CONSUMER_NODE, [CONSUMERS[kind].main, server.endpoint, TABLE], {
        cwd: dir,
        env: consumerEnv(),
      });
      expect(JSON.parse(out.stdout)).toEqual(EXPECTED);
      // Nothing on stderr: in particular not the SDK's NodeVersionSupportWarning on Node.js 20.
      expect(out.stderr).toBe('');
    },
    180_000,
  );

  it('serves the service list from `/services` without loading zod, by require and by import', async () => {
    const dir = projects.get('commonjs') as string;
    const zodLoaded = "Object.keys(require.cache).some((k) => k.includes('/node_modules/zod/'))";
    const cjs = await exec(
      CONSUMER_NODE,
      [
        '-e',
        `const s = require('@trailwatch/client/services'); console.log(JSON.stringify([s.SERVICE_NAMES, s.serviceForEventSource('emr-containers.amazonaws.com'), ${zodLoaded}]))`,
      ],
      { cwd: dir, env: consumerEnv() },
    );
    expect(JSON.parse(cjs.stdout)).toEqual([['glue', 'emr', 'athena', 'batch'], 'emr', false]);
    const esm = await exec(
      CONSUMER_NODE,
      [
        '--input-type=module',
        '-e',
        "import { isServiceName } from '@trailwatch/client/services'; console.log(isServiceName('batch'), isServiceName('s3'))",
      ],
      { cwd: dir, env: consumerEnv() },
    );
    expect(esm.stdout.trim()).toBe('true false');
  });

  it('installs small: the client, the DynamoDB SDK and zod, nothing of the app', () => {
    const dir = projects.get('commonjs') as string;
    const installed = installedPackages(dir);
    expect(installed).toContain('@trailwatch/client');
    expect(installed).toContain('@aws-sdk/client-dynamodb');
    expect(installed).toContain('@aws-sdk/lib-dynamodb');
    expect(installed).toContain('zod');
    for (const name of FORBIDDEN) expect(installed).not.toContain(name);
    const modules = path.join(dir, 'node_modules');
    const bytes = folderBytes(modules) - folderBytes(path.join(modules, '@types'));
    expect(bytes / 1e6).toBeLessThan(MAX_INSTALLED_MB);
  });
});
