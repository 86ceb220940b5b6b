import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SERVE_PORTS } from '../../cli/serve-ports';
import { loadSamples } from '../../local/samples';
import { startLocalStack, type LocalStack } from '../../local/stack';

// Every ```bash block of README.md and docs/*.md is run, command by command, against a local stack
// holding the bundled samples (what `npm start -- --serve` serves), so the docs cannot rot: a
// command that fails, prints nothing, prints "no events match" or a stack trace fails this test.
// A block that cannot run here (it needs an AWS account, keeps running, installs) is preceded by
//   <!-- docs-test: skip (the reason) -->
// (docs/local.md, "Command blocks in the docs"). Blocks of other languages (text, json, ts) are not run.

const ROOT = path.join(__dirname, '..', '..');
const FILES = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const REQUIRE_VARIABLE = 'TRAILWATCH_REQUIRE_DOCS_COMMANDS';

/** One fenced command block of a document. */
interface Block {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  /** The reason given by a `<!-- docs-test: skip (...) -->` comment just before it. */
  readonly skip?: string;
}

/** The bash blocks of a markdown document, with their skip markers. */
function commandBlocks(file: string): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)\s*$/.exec(lines[i] as string);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) break;
    if (['bash', 'sh', 'shell'].includes(fence[1] as string)) {
      let k = i - 1;
      while (k >= 0 && (lines[k] as string).trim() === '') k--;
      const marker = /^<!-- docs-test: skip \((.+)\) -->$/.exec((lines[k] ?? '').trim());
      blocks.push({
        file,
        line: i + 1,
        text: lines.slice(i + 1, end).join('\n'),
        ...(marker ? { skip: marker[1] as string } : {}),
      });
    }
    i = end;
  }
  return blocks;
}

/** The commands of a block: continuation lines joined, comments and blank lines left out. */
function commandsOf(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = current === '' ? raw.trim() : raw;
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    current += (current === '' ? '' : '\n') + line;
    if (!/\\$/.test(line)) {
      out.push(current);
      current = '';
    }
  }
  if (current !== '') out.push(current);
  return out;
}

// Commands that change the shell rather than print (run as they are, not checked for output).
const SHELL_ONLY = /^(export\s|cd\s|[A-Z_][A-Z0-9_]*=\S*\s*$|[a-z_]+\(\)\s*\{)/;

function script(commands: readonly string[], rewrite: (c: string) => string): string {
  const parts = ['set -o pipefail'];
  commands.forEach((command, n) => {
    const c = rewrite(command);
    if (SHELL_ONLY.test(command)) {
      parts.push(`${c} || { echo "__DOCS_FAIL__ ${n} exit $?" >&2; exit 1; }`);
      return;
    }
    parts.push(
      `echo "__DOCS_CMD__ ${n}"`,
      `__out=$( { ${c}\n} 2>&1 ); __rc=$?`,
      `printf '%s\\n' "$__out"`,
      `if [ "$__rc" -ne 0 ]; then echo "__DOCS_FAIL__ ${n} exit $__rc"; exit 1; fi`,
      `if [ -z "$__out" ]; then echo "__DOCS_FAIL__ ${n} printed nothing"; exit 1; fi`,
    );
  });
  return parts.join('\n');
}

const ALL = FILES.flatMap(commandBlocks);

function runBash(text: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', text], {
      cwd: env.CWD_FOR_DOCS,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}
const awsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;

describe('the command blocks of README.md and docs/ run against the local stack', () => {
  let tmp: string;
  let stack: LocalStack;
  let env: NodeJS.ProcessEnv;
  let rewrite: (command: string) => string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-docs-'));
    stack = await startLocalStack({ dataDir: path.join(tmp, 'stack') });
    const samples = loadSamples();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < samples.length) {
        const s = samples[next++] as (typeof samples)[number];
        await stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: s.key, Body: s.body }));
      }
    };
    const done = stack.waitForObjects(samples.map((s) => s.key));
    await Promise.all([worker(), worker(), worker(), worker()]);
    await done;
    await stack.idle();
    // The commands run in a folder of their own (checkpoints, files they write), with the samples in it.
    const work = path.join(tmp, 'work');
    fs.mkdirSync(work);
    fs.symlinkSync(path.join(ROOT, 'samples'), path.join(work, 'samples'));
    const port = (url: string): string => new URL(url).port;
    const ports: Array<[number, string]> = [
      [SERVE_PORTS.dynamodb, port(stack.endpoints.dynamodb)],
      [SERVE_PORTS.s3, port(stack.endpoints.s3)],
      [SERVE_PORTS.sns, port(stack.endpoints.sns)],
    ];
    const bin = path.join(ROOT, 'cli', 'bin.js');
    rewrite = (command) => {
      let c = command;
      for (const [from, to] of ports)
        c = c.replace(new RegExp(`127\\.0\\.0\\.1:${from}\\b`, 'g'), `127.0.0.1:${to}`);
      // `npx` would first look the package up; the checkout's own entry point is what it runs.
      c = c.replace(/\bnpx trailwatch\b/g, `node ${bin}`);
      c = c.replace(/\bnpm start\b(?! --)/g, `node ${bin} local --data ${path.join(tmp, 'npm-start')}`);
      return c;
    };
    env = {
      PATH: process.env.PATH,
      HOME: tmp,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
      // Commands written for "your table" (the AWS CLI examples) reach the local servers too.
      AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: stack.endpoints.s3,
      AWS_ENDPOINT_URL_SNS: stack.endpoints.sns,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      CWD_FOR_DOCS: work,
    };
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('there are blocks to run, and every skipped block says why', () => {
    expect(ALL.filter((b) => !b.skip).length).toBeGreaterThan(8);
    for (const block of ALL.filter((b) => b.skip)) expect(block.skip?.trim().length).toBeGreaterThan(5);
  });

  const runnable = ALL.filter((b) => !b.skip);
  test.each(runnable.map((b) => [`${b.file}:${b.line}`, b] as const))('%s', async (_name, block) => {
    const commands = commandsOf(block.text);
    if (!awsCli && commands.some((c) => /^aws\s/.test(c))) {
      if (process.env[REQUIRE_VARIABLE] === '1') throw new Error('the AWS CLI (aws) is required but missing');
      process.stderr.write(`SKIPPED ${block.file}:${block.line}: needs the AWS CLI (aws), not installed\n`);
      return;
    }
    // Asynchronous: the local stack's DynamoDB runs in this process and must keep answering.
    const result = await runBash(script(commands, rewrite), env);
    const output = result.output;
    const failed = /__DOCS_FAIL__ (\d+) (.*)/.exec(output);
    const which = failed ? (commands[Number(failed[1])] ?? '') : '';
    // Shown on failure: the command as written in the doc, and what it printed.
    expect({ command: which, failure: failed?.[2], status: result.status }).toEqual({
      command: '',
      failure: undefined,
      status: 0,
    });
    if (failed) process.stderr.write(output);
    expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(output).not.toMatch(/no events match/);
    expect(output).not.toMatch(/EPIPE/);
  });
});
