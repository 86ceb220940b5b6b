// The generated model table: valid against its schema, and exactly what the generator writes from the
// installed botocore (so an edit of the generator or of the table alone cannot pass unnoticed).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadServiceModels } from '../../lambdas/core/normalizers/service-models';
import { ServiceModelsSchema } from '../../lambdas/core/normalizers/service-models-schema';
import { SERVICE_MODELS_DEFLATED } from '../../lambdas/core/normalizers/service-models-deflated.generated';
import { WATCHED_EVENT_SOURCES } from '../../lambdas/core/services';

const ROOT = path.join(__dirname, '../..');
const TABLE = 'lambdas/core/normalizers/service-models.generated.json';
const DEFLATED = 'lambdas/core/normalizers/service-models-deflated.generated.ts';
const FIXTURE = 'test/fixtures/model-operations.json';
const tableText = fs.readFileSync(path.join(ROOT, TABLE), 'utf8');
const table = JSON.parse(tableText) as { botocore: string };

describe('the generated model table', () => {
  it('matches its schema and covers every watched event source', () => {
    // Act
    const parsed = ServiceModelsSchema.parse(table);
    // Assess
    expect(
      Object.values(parsed.models)
        .map((m) => m.eventSource)
        .sort(),
    ).toEqual([...WATCHED_EVENT_SOURCES].sort());
    for (const model of Object.values(parsed.models)) {
      const kinds = Object.values(model.operations).flatMap((o) => [...(o.req ?? []), ...(o.res ?? [])]);
      expect(kinds.length).toBeGreaterThan(0);
    }
  });

  it('is loaded from the deflated module, which holds exactly the bytes of the JSON file', () => {
    // Act: what the normalizers load, and the module's payload as bytes.
    const inflated = zlib.inflateRawSync(Buffer.from(SERVICE_MODELS_DEFLATED, 'base64')).toString('utf8');
    // Assess: protects the reviewed JSON being what runs (an edit of one file alone fails here, botocore
    // or not), and the loader's parse of it.
    expect(inflated === tableText).toBe(true);
    expect(loadServiceModels()).toEqual(table);
  });

  // Needs python3 with the botocore the table was built from; another version would differ by design.
  const probe = spawnSync('python3', ['-c', 'import botocore; print(botocore.__version__)'], {
    encoding: 'utf8',
  });
  const installed = probe.status === 0 ? probe.stdout.trim() : undefined;
  const reason =
    installed === undefined
      ? 'python3 with botocore is not installed'
      : installed !== table.botocore
        ? `botocore ${installed} is installed, the table was built from ${table.botocore}`
        : undefined;
  const check = reason === undefined ? it : it.skip;
  check(`is what scripts/generate-service-models.py writes${reason ? ` [skipped: ${reason}]` : ''}`, () => {
    // Prepare
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-models-'));
    try {
      // Act
      const run = spawnSync(
        'python3',
        [path.join(ROOT, 'scripts/generate-service-models.py'), '--out', out],
        {
          encoding: 'utf8',
        },
      );
      // Assess
      expect(run.status).toBe(0);
      for (const file of [TABLE, DEFLATED, FIXTURE]) {
        const fresh = fs.readFileSync(path.join(out, file), 'utf8');
        expect({ file, same: fresh === fs.readFileSync(path.join(ROOT, file), 'utf8') }).toEqual({
          file,
          same: true,
        });
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
