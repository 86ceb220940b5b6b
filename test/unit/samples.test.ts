import { gunzipSync } from 'node:zlib';
import { generateSamples, loadSamples, SAMPLE_DAY } from '../../local/samples';
import { parseCommand } from '../../cli/commands/parse';
import { Writable } from 'node:stream';
import { SAMPLES_DIR } from '../../local/samples';

function sink(): Writable & { text: string } {
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.text += chunk.toString('utf8');
      done();
    },
  }) as Writable & { text: string };
  out.text = '';
  return out;
}

describe('the bundled sample logs (samples/)', () => {
  it('are what samples/generate.ts writes: the seven seeds and the generated day, as gzipped CloudTrail files', () => {
    // Prepare
    const expected = generateSamples(SAMPLE_DAY)
      .filter((s) => s.kind !== 'digest')
      .map((s) => ({ key: s.key, json: gunzipSync(s.body).toString('utf8') }))
      .sort((a, b) => a.key.localeCompare(b.key));

    // Act
    const onDisk = loadSamples()
      .filter((s) => s.kind !== 'digest')
      .map((s) => ({ key: s.key, json: gunzipSync(s.body).toString('utf8') }))
      .sort((a, b) => a.key.localeCompare(b.key));

    // Assess: compared uncompressed, as another zlib may compress the same JSON differently
    expect(onDisk.map((s) => s.key)).toEqual(expected.map((s) => s.key));
    expect(onDisk).toEqual(expected);
    expect(onDisk.filter((s) => /_SEED\d+\.json\.gz$/.test(s.key))).toHaveLength(7);
  });

  it('are read by `trailwatch parse samples/` without an error, with the six failed calls', async () => {
    // Prepare
    const stdout = sink();
    const stderr = sink();

    // Act
    const code = await parseCommand.run([SAMPLES_DIR], { stdout, stderr, env: {}, cwd: process.cwd() });

    // Assess
    const events = stdout.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { failed: boolean });
    expect(code).toBe(0);
    expect(stderr.text).toMatch(/^trailwatch parse: 103 files: 103 read, 0 failed;/m);
    expect(events.filter((e) => e.failed)).toHaveLength(6);
  });
});
