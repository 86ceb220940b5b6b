import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundledFunction, synthesizeBundled, type BundledStack } from '../helpers/bundle';

describe('function bundling', () => {
  let bundled: BundledStack | undefined;

  afterAll(() => {
    if (bundled) fs.rmSync(bundled.outdir, { recursive: true, force: true });
  });

  it('bundles lambdas/ingest/handler.ts (and the backfill and real-time entries) with the local esbuild, without Docker, each under 800 KB', () => {
    // Act: synthesized as `cdk synth` does it, with Docker made unusable, and the distributed backfill and
    // the real-time path on so their functions are bundled in the same synth.
    bundled = synthesizeBundled({ backfill: true, realTimeAlerts: true });
    // Assess: protects offline, Docker-free `cdk synth` and that the asset is the handler, bundled as CJS.
    const fn = bundled.template.Resources[bundled.functionId] as {
      Properties: { Environment?: { Variables?: Record<string, string> } };
    };
    const assetDir = bundled.assetDir;
    const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    expect(bundle).toMatch(/handler/);
    expect(bundle).toMatch(/module\.exports/);
    // The map is kept beside the bundle for decoding stack traces, without the sources, and never loaded
    // at start (cold start and first-error cost; see lib/ingest-function.ts).
    const map = JSON.parse(fs.readFileSync(path.join(assetDir, 'index.js.map'), 'utf8')) as {
      sourcesContent?: unknown;
    };
    expect(map.sourcesContent).toBeUndefined();
    expect(fn.Properties.Environment?.Variables?.NODE_OPTIONS ?? '').not.toMatch(/source-maps/);
    // Minified but with names kept: error classes name themselves (`new.target.name`) in logs and errorType.
    expect(bundle).toMatch(/["']LogFileError["']/);
    expect(bundle).toMatch(/["']ObjectProcessingError["']/);
    // The backfill function's asset is its own entry (the batch message contract), with the same settings.
    const backfillFn = bundledFunction(bundled, 'BackfillFunction');
    expect(backfillFn.assetDir).not.toBe(assetDir);
    const backfill = fs.readFileSync(path.join(backfillFn.assetDir, 'index.js'), 'utf8');
    // Its entry's own names (the handler of batch messages), kept by keepNames like the ingest bundle's.
    expect(backfill.includes('handleSqsEvent')).toBe(true);
    expect(bundle.includes('handleSqsEvent')).toBe(false);
    expect(/["']BackfillBatchError["']/.test(backfill)).toBe(true);
    expect(/module\.exports/.test(backfill)).toBe(true);
    // Issue 19's size target for every function bundle (minified, the map beside it): 800 KB.
    const realTimeFn = bundledFunction(bundled, 'RealTime');
    for (const dir of [assetDir, backfillFn.assetDir, realTimeFn.assetDir])
      expect({ dir, under800KB: fs.statSync(path.join(dir, 'index.js')).size < 800 * 1024 }).toEqual({
        dir,
        under800KB: true,
      });
    // The credential sources a function never reaches are stand-ins, not the SDK's providers and clients
    // (the SSO clients' commands, the profile provider's parts).
    expect(bundle.includes('CredentialSourceNotBundledError')).toBe(true);
    for (const part of [
      'CreateTokenCommand',
      'GetRoleCredentials',
      'resolveProfileData',
      'credential_process',
    ])
      expect({ part, bundled: bundle.includes(part) }).toEqual({ part, bundled: false });
  });
});
