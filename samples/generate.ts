/**
 * Writes the bundled sample logs: `npx tsx samples/generate.ts` (or `npm run samples`).
 *
 * The files are CloudTrail log files as CloudTrail delivers them (gzipped `{"Records":[...]}`, under
 * `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`): the seven seed examples of
 * local/seeds, one file each, and a generated day (SAMPLE_DAY) of hourly files for two
 * accounts in two regions with five failed Glue, EMR, Athena and Batch calls. The output is
 * deterministic; test/unit/samples.test.ts fails when the files and this generator disagree.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateSamples, SAMPLE_DAY, SAMPLES_DIR } from '../local/samples';

const logs = generateSamples(SAMPLE_DAY).filter((s) => s.kind !== 'digest');
fs.rmSync(path.join(SAMPLES_DIR, 'AWSLogs'), { recursive: true, force: true });
for (const sample of logs) {
  const file = path.join(SAMPLES_DIR, ...sample.key.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, sample.body);
}
const bytes = logs.reduce((n, s) => n + s.body.length, 0);
process.stdout.write(
  `wrote ${logs.length} log files (${(bytes / 1024).toFixed(0)} KB) under ${path.relative(process.cwd(), SAMPLES_DIR) || '.'}/AWSLogs/\n`,
);
