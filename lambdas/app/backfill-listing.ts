/**
 * Where a distributed backfill's keys come from, as listing units the enqueue run resumes by: the
 * day prefixes of the date-partitioned walk (lambdas/core/backfill-plan.ts), or the data files of an
 * S3 Inventory report (lambdas/core/inventory-manifest.ts).
 */
import type { ListedObject } from '../adapters/s3-log-lister';
import { planBackfill, utcDay, type BackfillScope } from '../core/backfill-plan';
import { isDaySealed } from '../core/checkpoint';
import { gunzipChunks } from '../core/gzip-stream';
import { inventoryRow, InventoryManifestError, type InventoryManifest } from '../core/inventory-manifest';
import type { LogObjectSource } from '../core/pipeline';
import type { BackfillLister } from './backfill-runner';

/** One part of a listing, listed in the same order every time, so a resume can skip what was sent. */
export interface ListingUnit {
  /** Names the unit in the checkpoint and in errors. */
  readonly id: string;
  /** True when its content cannot change any more (a day safely over, an inventory file). */
  readonly sealed: boolean;
  list(): AsyncIterable<ListedObject>;
}

/** The day prefixes of a prefix walk as units (each sealed once its day is safely over), plus the plan's notes. */
export async function prefixWalkUnits(
  scope: BackfillScope,
  lister: BackfillLister,
  now: Date,
): Promise<{ units: ListingUnit[]; notes: readonly string[] }> {
  const plan = await planBackfill(scope, lister, utcDay(now));
  return {
    units: plan.days.map((day) => ({
      id: day.prefix,
      sealed: isDaySealed(day.day, now),
      list: () => lister.listObjects(day.prefix),
    })),
    notes: plan.notes,
  };
}

/** The data files of an inventory report as units; each is read as a stream of gzipped CSV lines. */
export function inventoryUnits(manifest: InventoryManifest, source: LogObjectSource): ListingUnit[] {
  return manifest.files.map((file) => ({
    id: `s3://${file.bucket}/${file.key}`,
    sealed: true,
    list: () => inventoryObjects(file, manifest, source),
  }));
}

async function* inventoryObjects(
  file: InventoryManifest['files'][number],
  manifest: InventoryManifest,
  source: LogObjectSource,
): AsyncGenerator<ListedObject> {
  const where = `s3://${file.bucket}/${file.key}`;
  const body = await source.open({ bucket: file.bucket, key: file.key });
  let line = 1;
  for await (const text of lines(gunzipChunks(body as AsyncIterable<Buffer>))) {
    if (text !== '') {
      try {
        yield inventoryRow(text, manifest);
      } catch (err) {
        if (err instanceof InventoryManifestError)
          throw new InventoryManifestError(`${where}: line ${line}: ${err.message}`, { cause: err });
        throw err;
      }
    }
    line += 1;
  }
}

/** The lines of a byte stream (UTF-8), without their line ends. */
async function* lines(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  for await (const chunk of chunks) {
    rest += decoder.decode(chunk, { stream: true });
    let end = rest.indexOf('\n');
    while (end >= 0) {
      yield rest.slice(0, end).replace(/\r$/, '');
      rest = rest.slice(end + 1);
      end = rest.indexOf('\n');
    }
  }
  rest += decoder.decode();
  if (rest !== '') yield rest.replace(/\r$/, '');
}
