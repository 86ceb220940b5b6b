import * as fs from 'node:fs';
import * as path from 'node:path';
import { synthesizeBundled, type BundledStack } from '../helpers/bundle';

describe('function bundling', () => {
  let bundled: BundledStack | undefined;

  afterAll(() => {
    if (bundled) fs.rmSync(bundled.outdir, { recursive: true, force: true });
  });

  it('bundles lambdas/ingest/handler.ts with the local esbuild, without Docker', () => {
    // Act: synthesized as `cdk synth` does it, with Docker made unusable.
    bundled = synthesizeBundled({});
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
  });
});
