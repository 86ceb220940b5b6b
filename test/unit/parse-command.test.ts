// `trailwatch parse`: through main() with captured streams, and once through the real bin.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { main } from '../../cli/main';
import type { CliIO } from '../../cli/usage';
import { seedRecords } from '../../local/seed-records';

const REPO = path.resolve(__dirname, '../..');

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

async function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIO = { stdout, stderr, env: {}, cwd };
  const code = await main(['parse', ...args], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

function eventIds(stdout: string): string[] {
  return lines(stdout).map((l) => (JSON.parse(l) as { eventId: string }).eventId);
}

const SEEDS = seedRecords().map((s) => s.record);
const GLUE = SEEDS.filter((r) => r.eventSource === 'glue.amazonaws.com');
const ATHENA = SEEDS.filter((r) => r.eventSource === 'athena.amazonaws.com');
const S3_RECORD = {
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  eventTime: '2024-01-01T00:00:00Z',
  eventID: 's3-1',
};

let dir: string;

function write(relative: string, content: string | Buffer): string {
  const file = path.join(dir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function logFile(records: unknown[]): Buffer {
  return gzipSync(JSON.stringify({ Records: records }));
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-parse-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('trailwatch parse', () => {
  it('prints one JSON line per event of a log file and a summary, exit 0', async () => {
    // Prepare
    write('one.json.gz', logFile([S3_RECORD, ...SEEDS]));
    // Act
    const { code, stdout, stderr } = await run(['one.json.gz'], dir);
    // Assess
    expect(code).toBe(0);
    expect(eventIds(stdout)).toEqual(SEEDS.map((r) => r.eventID));
    expect(JSON.parse(lines(stdout)[0]!)).toMatchObject({
      service: expect.any(String),
      failed: expect.any(Boolean),
      resources: expect.any(Array),
    });
    expect(lines(stderr)).toEqual([
      'trailwatch parse: 1 file: 1 read, 0 failed; 8 records read, 7 events kept, 1 skipped (other-service 1)',
    ]);
  });

  it('reads folders recursively in sorted order, skipping hidden entries', async () => {
    // Prepare
    write('logs/b/2.json', JSON.stringify({ Records: ATHENA }));
    write('logs/a/1.json.gz', logFile(GLUE));
    write('logs/.cache/broken.json.gz', 'not a log');
    write('logs/.DS_Store', 'finder junk');
    // Act
    const { code, stdout, stderr } = await run(['logs'], dir);
    // Assess
    expect(code).toBe(0);
    expect(eventIds(stdout)).toEqual([...GLUE, ...ATHENA].map((r) => r.eventID));
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toContain('2 files: 2 read, 0 failed');
  });

  it('reports each unreadable file in one line, without a stack trace, and still prints the others; exit 1', async () => {
    // Prepare
    const good = logFile(SEEDS);
    write('in/a-empty.json.gz', '');
    write(
      'in/b-corrupt.json.gz',
      Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(64, 7)]),
    );
    write(
      'in/c-digest.json.gz',
      gzipSync(
        JSON.stringify({
          awsAccountId: '123456789012',
          digestStartTime: '2024-01-01T00:00:00Z',
          logFiles: [],
        }),
      ),
    );
    write('in/d-good.json.gz', good);
    write('in/e-not-json.json', 'hello, world');
    write('in/f-truncated.json.gz', good.subarray(0, Math.floor(good.length / 2)));
    // Act
    const { code, stdout, stderr } = await run(['in'], dir);
    // Assess
    expect(code).toBe(1);
    const errors = lines(stderr);
    expect(errors).toHaveLength(6);
    expect(errors[0]).toMatch(/^in\/a-empty\.json\.gz: .*empty/);
    expect(errors[1]).toMatch(/^in\/b-corrupt\.json\.gz: .*(gzip|corrupt)/);
    expect(errors[2]).toMatch(/^in\/c-digest\.json\.gz: .*Records/);
    expect(errors[3]).toMatch(/^in\/e-not-json\.json: .*JSON/);
    expect(errors[4]).toMatch(/^in\/f-truncated\.json\.gz: .*(truncated|cut short)/);
    expect(errors[5]).toMatch(/^trailwatch parse: 6 files: 1 read, 5 failed; /);
    expect(stderr).not.toMatch(/\n\s+at /);
    // The good file's events all appear, and nothing from the damaged half goes missing silently:
    // a truncated file may print the events before the damage, never more.
    const ids = eventIds(stdout);
    expect(ids.slice(0, SEEDS.length)).toEqual(SEEDS.map((r) => r.eventID));
    expect(ids.length).toBeLessThan(2 * SEEDS.length);
  });

  it('reads only log-named files inside a folder (a README is left alone), but any file named as PATH', async () => {
    // Prepare
    write('corpus/README.md', '# about these logs\n');
    write('corpus/notes.txt', 'not a log');
    write('corpus/a/1.json.gz', logFile(GLUE));
    write('corpus/b/2.json', JSON.stringify({ Records: ATHENA }));
    write('corpus/c/3.gz', logFile(GLUE.slice(0, 1)));
    write('renamed.log', JSON.stringify({ Records: ATHENA }));
    // Act
    const folder = await run(['corpus'], dir);
    const named = await run(['renamed.log'], dir);
    const readme = await run(['corpus/README.md'], dir);
    // Assess
    expect(folder.code).toBe(0);
    expect(folder.stderr).toContain('3 files: 3 read, 0 failed');
    expect(eventIds(folder.stdout)).toEqual([...GLUE, ...ATHENA, ...GLUE.slice(0, 1)].map((r) => r.eventID));
    expect(named.code).toBe(0);
    expect(eventIds(named.stdout)).toEqual(ATHENA.map((r) => r.eventID));
    expect(readme.code).toBe(1);
  });

  it('names a path that does not exist and goes on with the next one; exit 1', async () => {
    // Prepare
    write('ok.json', JSON.stringify({ Records: GLUE }));
    // Act
    const { code, stdout, stderr } = await run(['missing.json.gz', 'ok.json'], dir);
    // Assess
    expect(code).toBe(1);
    expect(lines(stderr)[0]).toBe('missing.json.gz: no such file or folder');
    expect(eventIds(stdout)).toEqual(GLUE.map((r) => r.eventID));
  });

  it('counts records skipped by normalization under their reason', async () => {
    // Prepare
    const badTime = {
      eventSource: 'glue.amazonaws.com',
      eventName: 'GetJob',
      eventTime: 'later',
      eventID: 'x',
    };
    write('mixed.json', JSON.stringify({ Records: [badTime, S3_RECORD, S3_RECORD, ...GLUE] }));
    // Act
    const { code, stderr } = await run([path.join(dir, 'mixed.json')], '/');
    // Assess
    expect(code).toBe(0);
    expect(lines(stderr)).toEqual([
      'trailwatch parse: 1 file: 1 read, 0 failed; 5 records read, 2 events kept, 3 skipped (invalid-time 1, other-service 2)',
    ]);
  });

  it.each([
    ['no path', [], /no PATH given/],
    [
      'an unknown flag',
      ['--bogus', 'x.json'],
      /Unknown option '--bogus'. Run 'trailwatch parse --help' for the options./,
    ],
  ])('is a usage error with %s: exit 2, one line', async (_label, args, message) => {
    // Act
    const { code, stdout, stderr } = await run(args, dir);
    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(message);
  });

  it('--help prints the usage on stdout, exit 0', async () => {
    // Act
    const { code, stdout, stderr } = await run(['--help'], dir);
    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: trailwatch parse \[options\] PATH\.\.\./);
    expect(stderr).toBe('');
  });

  it('`trailwatch help parse` shows the help of parse; `trailwatch --version` the package version', async () => {
    // Prepare
    const stdout = new Capture();
    const version = new Capture();
    const io = (out: Capture): CliIO => ({ stdout: out, stderr: new Capture(), env: {}, cwd: dir });
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    // Act
    const helpCode = await main(['help', 'parse'], io(stdout));
    const versionCode = await main(['--version'], io(version));
    // Assess
    expect(helpCode).toBe(0);
    expect(stdout.text).toMatch(/^Usage: trailwatch parse \[options\] PATH\.\.\./);
    expect(versionCode).toBe(0);
    expect(version.text).toBe(`trailwatch ${pkg.version}\n`);
  });

  it('works through the installed bin (node cli/bin.js parse ...)', async () => {
    // Prepare
    const file = write('bin.json.gz', logFile(SEEDS));
    // Act
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [path.join(REPO, 'cli/bin.js'), 'parse', file],
      { cwd: REPO },
    );
    // Assess (execFile rejects on a non-zero exit)
    expect(eventIds(stdout)).toEqual(SEEDS.map((r) => r.eventID));
    expect(stderr).toContain('1 file: 1 read, 0 failed; 7 records read, 7 events kept');
  });
});
