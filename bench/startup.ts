// `npm run bench:startup [-- --runs 20]`: how long the `trailwatch` command takes to start, against a bare
// `node -e 0`. Builds dist/ first (so the compiled figures are of the current sources), then runs each
// command line `runs` times, interleaved so that load on the machine falls on all of them alike, and
// prints the median and fastest wall time and the median peak RSS of each, and the verdict on the target
// of issue 11 (the compiled `trailwatch --version` within 2x of `node -e 0`).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const TARGET_RATIO = 2;

/** One command line measured. */
interface Subject {
  readonly label: string;
  readonly command: string;
  readonly args: string[];
}

/** One run of a subject: wall time in ms and, where GNU time is installed, peak RSS in KB. */
interface Sample {
  readonly ms: number;
  readonly rssKb?: number;
}

const NODE = process.execPath;
const COMPILED = path.join(ROOT, 'dist', 'trailwatch.js');
const SOURCES = path.join(ROOT, 'cli', 'bin.js');
// GNU time reports the child's own peak RSS; without it the figures are wall times only.
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const SUBJECTS: Subject[] = [
  { label: 'node -e 0 (baseline)', command: NODE, args: ['-e', '0'] },
  { label: 'compiled: trailwatch --version', command: NODE, args: [COMPILED, '--version'] },
  { label: 'compiled: trailwatch parse --help', command: NODE, args: [COMPILED, 'parse', '--help'] },
  { label: 'compiled: trailwatch query --help', command: NODE, args: [COMPILED, 'query', '--help'] },
  { label: 'sources (tsx): trailwatch --version', command: NODE, args: [SOURCES, '--version'] },
  { label: 'sources (tsx): trailwatch parse --help', command: NODE, args: [SOURCES, 'parse', '--help'] },
  { label: 'npx --version (npx alone)', command: 'npx', args: ['--version'] },
  { label: 'npx trailwatch --version', command: 'npx', args: ['trailwatch', '--version'] },
];

function parseArgs(argv: string[]): { runs: number } {
  const k = argv.indexOf('--runs');
  const runs = k >= 0 ? Number(argv[k + 1]) : 20;
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error('usage: npm run bench:startup [-- --runs 20]');
  }
  return { runs };
}

function runOnce(subject: Subject): Sample {
  const [command, args] = GNU_TIME
    ? [GNU_TIME, ['-f', '%M', subject.command, ...subject.args]]
    : [subject.command, subject.args];
  const started = process.hrtime.bigint();
  const child = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', env: process.env });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) {
    throw new Error(`${subject.label} failed (exit ${child.status}): ${child.stderr.trim().split('\n')[0]}`);
  }
  const rss = GNU_TIME ? Number(child.stderr.trim().split('\n').pop()) : NaN;
  return { ms, rssKb: Number.isFinite(rss) ? rss : undefined };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function main(): void {
  const { runs } = parseArgs(process.argv.slice(2));
  const build = spawnSync(NODE, [path.join(ROOT, 'scripts', 'build-cli.js')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('the build failed: run `npm run build` for the details');

  const samples = new Map<Subject, Sample[]>(SUBJECTS.map((s) => [s, []]));
  // One warm-up round fills the OS file cache, so the first subject is not charged for it.
  for (const subject of SUBJECTS) runOnce(subject);
  for (let run = 0; run < runs; run++) {
    for (const subject of SUBJECTS) samples.get(subject)?.push(runOnce(subject));
  }

  const rows = SUBJECTS.map((subject) => {
    const list = samples.get(subject) ?? [];
    const rss = list.flatMap((s) => (s.rssKb === undefined ? [] : [s.rssKb]));
    return {
      subject,
      median: median(list.map((s) => s.ms)),
      min: Math.min(...list.map((s) => s.ms)),
      rssMb: rss.length ? median(rss) / 1024 : undefined,
    };
  });
  const baseline = rows[0]?.median ?? NaN;
  const width = Math.max(...rows.map((r) => r.subject.label.length));
  const load = fs.existsSync('/proc/loadavg')
    ? fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]
    : 'n/a';
  console.log(`startup, ${runs} runs each, Node ${process.version}, load average ${load}`);
  console.log(`${'command'.padEnd(width)}  median ms  fastest ms  x node -e 0  peak RSS`);
  for (const r of rows) {
    const rss = r.rssMb === undefined ? 'n/a' : `${r.rssMb.toFixed(0)} MB`;
    console.log(
      `${r.subject.label.padEnd(width)}  ${r.median.toFixed(0).padStart(9)}  ${r.min.toFixed(0).padStart(10)}` +
        `  ${(r.median / baseline).toFixed(2).padStart(11)}  ${rss.padStart(8)}`,
    );
  }
  const compiled = rows[1]?.median ?? NaN;
  const ratio = compiled / baseline;
  console.log(
    `compiled \`trailwatch --version\`: ${ratio.toFixed(2)}x node -e 0 (target <= ${TARGET_RATIO}x: ` +
      `${ratio <= TARGET_RATIO ? 'met' : 'NOT met'})`,
  );
  process.exitCode = ratio <= TARGET_RATIO ? 0 : 1;
}

main();
