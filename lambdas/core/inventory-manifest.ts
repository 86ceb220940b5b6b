/**
 * S3 Inventory as a backfill's listing: the `manifest.json` of one inventory report (CSV format),
 * its gzipped CSV data files' rows, and the filter of a row's key to a backfill's scope. An inventory
 * lists a bucket of hundreds of millions of objects without one LIST call.
 */
import * as z from 'zod';
import type { BackfillScope } from './backfill-plan';
import { TrailwatchError } from './errors';
import { classifyLogKey } from './log-key';
import { decodeS3EventKey } from './s3-event';

/** The manifest or a data file row is not what S3 Inventory writes; the message names where and why. */
export class InventoryManifestError extends TrailwatchError {}

const ManifestSchema = z.looseObject({
  sourceBucket: z
    .string('expected the inventoried bucket name')
    .min(1, 'expected the inventoried bucket name'),
  destinationBucket: z
    .string('expected the bucket ARN the report is in')
    .regex(/^arn:aws[a-z-]*:s3:::[^/]+$/, 'expected the bucket ARN the report is in (arn:aws:s3:::name)'),
  fileFormat: z.literal(
    'CSV',
    "expected 'CSV' (ORC and Parquet inventories are not read; configure a CSV one)",
  ),
  fileSchema: z.string('expected the comma-separated column names'),
  files: z
    .array(
      z.looseObject({
        key: z.string('expected the data file key').min(1, 'expected the data file key'),
        size: z.number('expected the data file size in bytes').nonnegative().optional(),
      }),
      'expected the list of data files',
    )
    .min(1, 'expected at least one data file'),
});

/** One data file of the report. */
export interface InventoryDataFile {
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
}

/** A parsed manifest: which bucket it lists, its data files, and where Key and Size are in a row. */
export interface InventoryManifest {
  readonly sourceBucket: string;
  readonly files: readonly InventoryDataFile[];
  readonly keyColumn: number;
  /** Absent when the report was configured without the Size field (the estimate then has no bytes). */
  readonly sizeColumn?: number;
}

/** Reads a manifest.json (its text); `where` (e.g. its s3:// URL) names it in errors. */
export function parseInventoryManifest(text: string, where: string): InventoryManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InventoryManifestError(`${where}: not JSON (expected an S3 Inventory manifest.json)`, {
      cause: err,
    });
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'manifest';
    throw new InventoryManifestError(`${where}: ${field}: ${issue?.message ?? 'invalid'}`);
  }
  const m = parsed.data;
  const columns = m.fileSchema.split(',').map((c) => c.trim());
  const keyColumn = columns.indexOf('Key');
  if (keyColumn < 0)
    throw new InventoryManifestError(`${where}: fileSchema: no Key column in '${m.fileSchema}'`);
  const sizeColumn = columns.indexOf('Size');
  const destination = m.destinationBucket.slice(m.destinationBucket.indexOf(':::') + 3);
  return {
    sourceBucket: m.sourceBucket,
    files: m.files.map((f) => ({
      bucket: destination,
      key: f.key,
      ...(f.size !== undefined ? { size: f.size } : {}),
    })),
    keyColumn,
    ...(sizeColumn >= 0 ? { sizeColumn } : {}),
  };
}

/** Splits one CSV line of an inventory file: every field quoted, `""` inside a field is a quote. */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const close = line.indexOf('"', i);
        if (close < 0) throw new InventoryManifestError('unterminated quoted field');
        value += line.slice(i, close);
        if (line[close + 1] === '"') {
          value += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end;
    }
    if (line[i] === ',') i += 1;
    else break;
  }
  return fields;
}

/** One object of an inventory row. */
export interface InventoryObject {
  readonly key: string;
  readonly size: number;
}

/** Reads one data-file row (its key is URL-encoded in the report); throws naming the reason. */
export function inventoryRow(line: string, manifest: InventoryManifest): InventoryObject {
  const fields = splitCsvLine(line);
  const encoded = fields[manifest.keyColumn];
  if (encoded === undefined) throw new InventoryManifestError(`no field ${manifest.keyColumn + 1} (Key)`);
  const key = decodeS3EventKey(encoded);
  if (key === undefined) throw new InventoryManifestError(`Key '${encoded}' is not URL-encoded text`);
  const sizeText = manifest.sizeColumn !== undefined ? fields[manifest.sizeColumn] : undefined;
  const size = sizeText === undefined || sizeText === '' ? 0 : Number(sizeText);
  if (!Number.isFinite(size) || size < 0)
    throw new InventoryManifestError(`Size '${sizeText}' is not a byte count`);
  return { key, size };
}

/**
 * Whether a key is a CloudTrail log file in a backfill's scope: under exactly its prefix, of one of
 * its accounts and regions (when given), delivered on a day from `from` to `to` (when given).
 */
export function isKeyInScope(key: string, scope: BackfillScope): boolean {
  const layout = classifyLogKey(key);
  if (!layout.ok || layout.prefix !== scope.prefix) return false;
  if (scope.accounts && !scope.accounts.includes(layout.accountId)) return false;
  if (scope.regions && !scope.regions.includes(layout.region)) return false;
  if (scope.from !== undefined && layout.date < scope.from) return false;
  if (scope.to !== undefined && layout.date > scope.to) return false;
  return true;
}
