// The bench's process runner: the peak RSS it reports for a child is the child's own. getrusage's maxRSS
// keeps, across the exec, the RSS of the parent's forked copy, so a small child of a big bench process
// read as big as its parent (the handler runs after the local stack's tables had grown).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProcessRunner } from '../../bench/processes';

const MB = 1024 * 1024;
// VmHWM (/proc/self/status), which the probe reads, is Linux's; elsewhere the probe falls back to maxRSS.
const onLinux = process.platform === 'linux' ? it : it.skip;

describe('ProcessRunner peak RSS', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-runner-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  onLinux('is the child’s own, not the parent’s RSS at the fork (Linux only: VmHWM)', async () => {
    // Touched pages, so that they count in this process's RSS when the child is forked.
    const ballast = Buffer.alloc(400 * MB).fill(1);
    expect(process.memoryUsage().rss).toBeGreaterThan(400 * MB);
    const run = await new ProcessRunner(dir).run(['-e', '0']);
    // Used after the run, so it is still held when the child is forked.
    expect(ballast[ballast.length - 1]).toBe(1);
    expect(run.maxRssBytes).toBeGreaterThan(10 * MB);
    expect(run.maxRssBytes).toBeLessThan(200 * MB);
  });

  it('counts what the child itself holds', async () => {
    const run = await new ProcessRunner(dir).run([
      '-e',
      'globalThis.b = Buffer.alloc(300 * 1024 * 1024).fill(1)',
    ]);
    expect(run.maxRssBytes).toBeGreaterThan(300 * MB);
  });
});

describe('ProcessRunner stderr count', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-runner-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('counts a marker on stderr once each, also when a write splits it', async () => {
    // Prepare: three whole markers, one split across two writes (a pause between them), one on stdout.
    const script = [
      'const m = \'"message":"log object read resumed"\';',
      "process.stderr.write(m + '\\n' + m + '\\n');",
      "process.stdout.write(m + '\\n');",
      'process.stderr.write(m.slice(0, 10));',
      "setTimeout(() => process.stderr.write(m.slice(10) + '\\n'), 50);",
    ].join('\n');

    // Act
    const run = await new ProcessRunner(dir).run(['-e', script], {
      countOnStderr: '"message":"log object read resumed"',
    });

    // Assess
    expect(run.stderrCount).toBe(3);
  });
});
