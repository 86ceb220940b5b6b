// `trailwatch parse` on two threads (TRAILWATCH_PARSE_WORKER=on) against the single-threaded path (off):
// the same lines, summary, errors and exit codes, on the seed and sample files and on generated files with
// many kept records, damaged mid-file; and the process ends when its work or its reader does.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { main } from '../../cli/main';
import { ParseWorker } from '../../cli/parse-in-worker';
import type { CliIO } from '../../cli/usage';
import { generateLogFile } from '../../bench/generate-log';
import { seedRecords } from '../../local/seed-records';

const REPO = path.resolve(__dirname, '../..');
const SEEDS = seedRecords().map((s) => s.record);

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function parse(mode: 'on' | 'off' | 'auto', args: string[], cwd: string): Promise<Outcome> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIO = { stdout, stderr, env: { TRAILWATCH_PARSE_WORKER: mode }, cwd };
  const code = await main(['parse', ...args], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** stdout and stderr in one stream, in the order they were written. */
async function interleaved(mode: 'on' | 'off', args: string[], cwd: string): Promise<string[]> {
  const both = new Capture();
  await main(['parse', ...args], { stdout: both, stderr: both, env: { TRAILWATCH_PARSE_WORKER: mode }, cwd });
  return lines(both.text);
}

/** Both paths on the same arguments; also says how many batches went to a worker thread. */
async function bothWays(
  args: string[],
  cwd: string,
  mode: 'on' | 'auto' = 'on',
): Promise<{ one: Outcome; two: Outcome; posted: number }> {
  const one = await parse('off', args, cwd);
  const posting = jest.spyOn(Worker.prototype, 'postMessage');
  try {
    const two = await parse(mode, args, cwd);
    return { one, two, posted: posting.mock.calls.length };
  } finally {
    posting.mockRestore();
  }
}

/**
 * The JSON texts of `count` records: two thirds watched (the seeds, each with its own id and a user agent
 * of varying length, some with non-ASCII text), a third S3, and every 97th with no eventTime (skipped by
 * normalization), so that a 512 KB piece of the file holds hundreds of kept records.
 */
function recordTexts(count: number, idPrefix = 'event'): string[] {
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) {
      texts.push(
        JSON.stringify({
          eventSource: 's3.amazonaws.com',
          eventName: 'GetObject',
          eventID: `s3-${idPrefix}-${i}`,
        }),
      );
      continue;
    }
    const record: Record<string, unknown> = {
      ...SEEDS[i % SEEDS.length]!,
      eventID: `${idPrefix}-${i}`,
      userAgent: `agent/${i} ${'x'.repeat(i % 900)}${i % 5 === 0 ? ' Ünïcödé ✓' : ''}`,
    };
    if (i % 97 === 0) delete record.eventTime;
    texts.push(JSON.stringify(record));
  }
  return texts;
}

const document = (texts: readonly string[]): string => `{"Records":[${texts.join(',')}]}`;

let dir: string;

function write(relative: string, content: string | Buffer): string {
  const file = path.join(dir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-parse2-'));
  // About 12 MB of JSON, 8,000 records of which 5,280 are kept.
  write('many.json.gz', gzipSync(document(recordTexts(8000))));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('trailwatch parse on two threads', () => {
  it('prints exactly what one thread prints for the seed files and the sample folder', async () => {
    // Prepare
    write('seeds.json.gz', gzipSync(JSON.stringify({ Records: SEEDS })));
    // Act
    const { one, two, posted } = await bothWays(['seeds.json.gz', path.join(REPO, 'samples')], dir);
    // Assess
    expect(posted).toBeGreaterThan(0);
    expect(one.code).toBe(0);
    expect(lines(one.stdout).length).toBeGreaterThan(800);
    expect(two).toEqual(one);
  }, 60_000);

  it('prints exactly what one thread prints for a file with thousands of kept records', async () => {
    // Act
    const { one, two, posted } = await bothWays(['many.json.gz'], dir);
    // Assess: several batches went to the worker, and every line, the summary and the code are the same.
    expect(posted).toBeGreaterThan(0);
    expect(lines(one.stdout)).toHaveLength(5278);
    expect(lines(one.stderr)).toEqual([
      'trailwatch parse: 1 file: 1 read, 0 failed; 8000 records read, 5278 events kept, 2722 skipped (missing-field 55, other-service 2667)',
    ]);
    expect(two).toEqual(one);
  }, 60_000);

  // Which lines come before a mid-file error is not fixed, even on one thread: the reader hands on the
  // records of each 512 KB piece of decompressed data together, a piece's records before a bad record are
  // lost with it, where zlib's output pieces begin depends on timing, and so does how much inflated data is
  // still unscanned when zlib reports a cut. So both paths are held to what is fixed: the error line, the exit
  // code, the counts, and lines that are a prefix of the file's (short of a bad record by less than one
  // piece), every one of them counted in the summary.
  const KEPT_PER_PIECE = (512 * 1024) / 1000; // a kept record here is more than 1,000 bytes

  /** The ids of the events `texts` give, in order (what one thread prints for the whole file). */
  async function allIds(name: string, texts: readonly string[]): Promise<string[]> {
    write(`whole/${name}`, gzipSync(document(texts)));
    return eventIds((await parse('off', [`whole/${name}`], dir)).stdout);
  }

  function eventIds(stdout: string): string[] {
    return lines(stdout).map((l) => (JSON.parse(l) as { eventId: string }).eventId);
  }

  it('reports a record that is not JSON once, with the file; the counts stop there, as on one thread; exit 1', async () => {
    // Prepare: a wanted record deep in the file is broken (the scanner hands it on; JSON.parse refuses it),
    // and a good file follows, whose counts add to what the broken one's stood at.
    const texts = recordTexts(8000);
    const whole = await allIds('bad.json.gz', texts);
    const before = whole.filter((id) => Number(id.split('-')[1]) < 6001);
    texts[6001] = texts[6001]!.replace('"eventName":', '"eventName": tru, "x":');
    write('damaged/a-bad-record.json.gz', gzipSync(document(texts)));
    write('damaged/b-good.json.gz', gzipSync(document(recordTexts(300, 'late'))));
    // Act
    const { one, two, posted } = await bothWays(['damaged'], dir);
    // Assess
    expect(posted).toBeGreaterThan(0);
    for (const outcome of [one, two]) {
      expect(outcome.code).toBe(1);
      const errors = lines(outcome.stderr);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toBe(lines(one.stderr)[0]);
      expect(errors[0]).toMatch(/^damaged\/a-bad-record\.json\.gz: invalid JSON in record 6002 \(/);
      const ids = eventIds(outcome.stdout);
      const printed = ids.filter((id) => id.startsWith('event-'));
      expect(printed).toEqual(before.slice(0, printed.length));
      expect(before.length - printed.length).toBeLessThan(KEPT_PER_PIECE);
      // The good file's 198 events follow, and the summary counts exactly the lines printed.
      expect(ids.slice(printed.length).filter((id) => id.startsWith('late-'))).toHaveLength(198);
      expect(errors[1]).toMatch(
        new RegExp(
          `^trailwatch parse: 2 files: 1 read, 1 failed; 6302 records read, ${ids.length} events kept, \\d+ skipped \\(missing-field \\d+, other-service 2101\\)$`,
        ),
      );
    }
  }, 60_000);

  it('reports a gzip file cut short once, after a prefix of its lines, as one thread does; exit 1', async () => {
    // Prepare
    const texts = recordTexts(8000);
    const whole = await allIds('cut.json.gz', texts);
    const gzip = gzipSync(document(texts));
    write('cut/a-truncated.json.gz', gzip.subarray(0, Math.floor(gzip.length * 0.7)));
    write('cut/b-good.json.gz', gzipSync(document(recordTexts(300, 'late'))));
    // Act
    const { one, two, posted } = await bothWays(['cut'], dir);
    // Assess
    expect(posted).toBeGreaterThan(0);
    for (const outcome of [one, two]) {
      expect(outcome.code).toBe(1);
      const errors = lines(outcome.stderr);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toBe('cut/a-truncated.json.gz: gzip data is truncated');
      const ids = eventIds(outcome.stdout);
      const printed = ids.filter((id) => id.startsWith('event-'));
      expect(printed.length).toBeGreaterThan(2000);
      expect(printed).toEqual(whole.slice(0, printed.length));
      expect(ids).toHaveLength(printed.length + 198);
      expect(errors[1]).toMatch(
        new RegExp(
          `^trailwatch parse: 2 files: 1 read, 1 failed; \\d+ records read, ${ids.length} events kept, `,
        ),
      );
    }
    // Every line of the cut file comes before the line that says it is cut, the good file's after it; also
    // for a file so sparse that all its records before the cut are still waiting for a full batch.
    const sparse = recordTexts(200).flatMap((text, i) => [
      text,
      JSON.stringify({
        eventSource: 's3.amazonaws.com',
        eventName: 'PutObject',
        eventID: `pad-${i}`,
        key: 'k'.repeat(50_000),
      }),
    ]);
    const sparseGzip = gzipSync(document(sparse));
    write('sparse/a-truncated.json.gz', sparseGzip.subarray(0, Math.floor(sparseGzip.length * 0.7)));
    write('sparse/b-good.json.gz', gzipSync(document(recordTexts(300, 'late'))));
    for (const [mode, folder] of [
      ['off', 'cut'],
      ['on', 'cut'],
      ['off', 'sparse'],
      ['on', 'sparse'],
    ] as const) {
      const all = await interleaved(mode, [folder], dir);
      const cut = all.indexOf(`${folder}/a-truncated.json.gz: gzip data is truncated`);
      expect(cut).toBeGreaterThan(folder === 'cut' ? 2000 : 50);
      expect(all.slice(0, cut).every((l) => l.includes('"eventId":"event-'))).toBe(true);
      expect(all.slice(cut + 1, -1).every((l) => l.includes('"eventId":"late-'))).toBe(true);
    }
  }, 60_000);

  it('by default starts the worker for a large file only when its watched records make it pay', async () => {
    // Prepare: 40 MB of JSON each (5 MB of gzip, over the size from which parse considers two threads).
    fs.mkdirSync(path.join(dir, 'auto'));
    const few = await generateLogFile(path.join(dir, 'auto/few.json.gz'), 40e6, 0.05);
    const many = await generateLogFile(path.join(dir, 'auto/many.json.gz'), 40e6, 0.5);
    expect(Math.min(few.compressedBytes, many.compressedBytes)).toBeGreaterThan(4 * 1024 * 1024);
    // Act: whether the worker is started is the rule's; whether it is ready before a 40 MB file ends, the
    // machine's.
    const starting = jest.spyOn(ParseWorker.prototype as unknown as { start: () => unknown }, 'start');
    const reading = jest.spyOn(ParseWorker.prototype, 'readFile');
    const fewWays = await bothWays(['auto/few.json.gz'], dir, 'auto');
    const startedForFew = starting.mock.calls.length;
    // The sample of the file's start said one thread: the two-thread reader was not even entered.
    const readForFew = reading.mock.calls.length;
    reading.mockRestore();
    const manyWays = await bothWays(['auto/many.json.gz'], dir, 'auto');
    const startedForMany = starting.mock.calls.length - startedForFew;
    starting.mockRestore();
    // Assess: at 5% the reader went on parsing on one thread; at 50% the worker was started.
    expect(startedForFew).toBe(0);
    expect(readForFew).toBe(0);
    expect(fewWays.posted).toBe(0);
    expect(startedForMany).toBe(1);
    expect(lines(fewWays.one.stdout)).toHaveLength(few.watchedRecords);
    expect(lines(manyWays.one.stdout)).toHaveLength(many.watchedRecords);
    expect(fewWays.two).toEqual(fewWays.one);
    expect(manyWays.two).toEqual(manyWays.one);
  }, 120_000);

  it('refuses a TRAILWATCH_PARSE_WORKER it does not know: one line, exit 2', async () => {
    // Act
    const stderr = new Capture();
    const code = await main(['parse', 'many.json.gz'], {
      stdout: new Capture(),
      stderr,
      env: { TRAILWATCH_PARSE_WORKER: 'yes' },
      cwd: dir,
    });
    // Assess
    expect(code).toBe(2);
    expect(stderr.text).toBe(
      "trailwatch parse: TRAILWATCH_PARSE_WORKER must be auto, on or off, not 'yes'\n",
    );
  });
});

describe('the trailwatch process with its worker thread', () => {
  /** `node cli/bin.js parse FILE` with two threads; `firstLine` closes stdout after the first line. */
  function spawnParse(
    file: string,
    firstLine: boolean,
  ): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(REPO, 'cli/bin.js'), 'parse', file], {
        cwd: REPO,
        env: { ...process.env, TRAILWATCH_PARSE_WORKER: 'on' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      // The whole test's limit would report a hang less clearly than this.
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(`trailwatch parse did not exit within 40 s (stdout ${out.length} chars, stderr: ${err})`),
        );
      }, 40_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        if (firstLine && out.includes('\n')) child.stdout.destroy();
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
    });
  }

  it('exits once the file is printed (no worker left running)', async () => {
    // Act
    const { code, out, err } = await spawnParse(path.join(dir, 'many.json.gz'), false);
    // Assess
    expect(code).toBe(0);
    expect(lines(out)).toHaveLength(5278);
    expect(err).toContain('8000 records read, 5278 events kept');
  }, 60_000);

  it('exits quietly with 0 when its reader goes away after the first line (| head -1)', async () => {
    // Act
    const { code, out, err } = await spawnParse(path.join(dir, 'many.json.gz'), true);
    // Assess
    expect(code).toBe(0);
    expect(out.length).toBeGreaterThan(0);
    expect(err).not.toMatch(/\n\s+at |Error/);
  }, 60_000);
});
