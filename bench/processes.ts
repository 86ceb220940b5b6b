// Whole-process measurements for `npm run bench`: each contender runs as a Node process of its own, timed
// from spawn to exit by the parent; a preloaded probe reports the process's peak RSS and CPU time (all
// threads) as it exits.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One run of one contender. */
export interface ProcessRun {
  /** Spawn to exit, as the parent saw it (process start included). */
  readonly wallSeconds: number;
  /** User + system CPU of every thread of the process. */
  readonly cpuSeconds: number;
  readonly maxRssBytes: number;
  /** The last line the process printed on stdout (when it is asked to keep stdout). */
  readonly lastLine: string;
  /** Exit status (only ever non-zero with `allowFailure`). */
  readonly status: number | null;
  /** The first 64 KB and the last 4,000 characters the process wrote on stderr. */
  readonly stderrHead: string;
  readonly stderrTail: string;
  /** How often `countOnStderr` appeared on stderr (0 when not asked). */
  readonly stderrCount: number;
}

// Written into the bench's temp folder and preloaded with `-r`: runs last, on the way out. The peak RSS
// is Linux's VmHWM, this process image's own: getrusage's maxRSS keeps, across the exec, the RSS the
// forked copy of the parent had, so a child of a big bench process (the local stack's tables, in memory,
// live there) would show the parent's size instead of its own. Elsewhere maxRSS is all there is.
const PROBE = `'use strict';
process.on('exit', () => {
  const u = process.resourceUsage();
  let maxRssBytes = u.maxRSS * 1024;
  try {
    const hwm = /^VmHWM:\\s*(\\d+) kB$/m.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'));
    if (hwm) maxRssBytes = Number(hwm[1]) * 1024;
  } catch {}
  require('node:fs').writeFileSync(process.env.TRAILWATCH_BENCH_USAGE, JSON.stringify({
    maxRssBytes,
    cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6,
  }));
});
`;

// A failing function's first stderr lines are a JSON log line with the whole error, then the thrown error.
const HEAD_CHARS = 64 * 1024;

/** Runs Node processes with the usage probe preloaded; every file it writes lives in `dir`. */
export class ProcessRunner {
  private readonly probe: string;
  private readonly usageFile: string;

  constructor(private readonly dir: string) {
    this.probe = path.join(dir, 'usage-probe.js');
    this.usageFile = path.join(dir, 'usage.json');
    fs.writeFileSync(this.probe, PROBE);
  }

  /**
   * Runs `node <args>`; stdout goes to /dev/null unless `keepStdout`. Rejects with the process's last
   * stderr lines when it fails, unless `allowFailure` (then the caller reads `status` and `stderrTail`).
   * Asynchronous: the local stack's servers run in this process and must go on answering while the child
   * runs.
   */
  async run(
    args: readonly string[],
    options: {
      env?: NodeJS.ProcessEnv;
      keepStdout?: boolean;
      allowFailure?: boolean;
      /** Text whose occurrences on stderr are counted (e.g. a log line's message). */
      countOnStderr?: string;
    } = {},
  ): Promise<ProcessRun> {
    fs.rmSync(this.usageFile, { force: true });
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-r', this.probe, ...args], {
      env: { ...(options.env ?? process.env), TRAILWATCH_BENCH_USAGE: this.usageFile },
      stdio: ['ignore', options.keepStdout ? 'pipe' : 'ignore', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let stderrHead = '';
    const marker = options.countOnStderr;
    let stderrCount = 0;
    // The end of the previous chunk, shorter than the marker: a match across two chunks is counted once.
    let carry = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderrHead.length < HEAD_CHARS) stderrHead = (stderrHead + d).slice(0, HEAD_CHARS);
      stderr = (stderr + d).slice(-4000);
      if (marker) {
        const text = carry + d;
        stderrCount += text.split(marker).length - 1;
        carry = text.slice(-(marker.length - 1));
      }
    });
    const status = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code));
    });
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if ((status !== 0 && options.allowFailure !== true) || !fs.existsSync(this.usageFile)) {
      const tail = stderr.trim().split('\n').slice(-40).join(' | ');
      throw new Error(`node ${args.slice(0, 3).join(' ').slice(0, 200)} failed (exit ${status}): ${tail}`);
    }
    const usage = JSON.parse(fs.readFileSync(this.usageFile, 'utf8')) as {
      maxRssBytes: number;
      cpuSeconds: number;
    };
    const lastLine = stdout.trim().split('\n').pop() ?? '';
    return { wallSeconds, ...usage, lastLine, status, stderrHead, stderrTail: stderr, stderrCount };
  }
}

/** Plain stream decompression of the file, output discarded: the floor (no tsx, nothing but zlib). */
export const FLOOR_SCRIPT = `
const fs = require('node:fs'), zlib = require('node:zlib');
const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
let bytes = 0;
gunzip.on('data', (c) => { bytes += c.length; });
fs.createReadStream(process.argv[1], { highWaterMark: 256 * 1024 }).pipe(gunzip);
`;

/** The obvious approach: gunzip the whole file into a string, JSON.parse it, filter Records, print them. */
export const OBVIOUS_SCRIPT = `
const fs = require('node:fs'), zlib = require('node:zlib');
const wanted = new Set(['glue.amazonaws.com', 'elasticmapreduce.amazonaws.com', 'athena.amazonaws.com', 'batch.amazonaws.com']);
const doc = JSON.parse(zlib.gunzipSync(fs.readFileSync(process.argv[1])).toString('utf8'));
const kept = doc.Records.filter((r) => r && typeof r.eventSource === 'string' && wanted.has(r.eventSource));
let out = '';
for (const r of kept) { out += JSON.stringify(r) + '\\n'; if (out.length > 65536) { fs.writeSync(1, out); out = ''; } }
fs.writeSync(1, out);
`;
