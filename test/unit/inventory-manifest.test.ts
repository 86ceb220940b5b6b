import {
  InventoryManifestError,
  inventoryRow,
  isKeyInScope,
  parseInventoryManifest,
  splitCsvLine,
} from '../../lambdas/core/inventory-manifest';

const MANIFEST = {
  sourceBucket: 'org-trail',
  destinationBucket: 'arn:aws:s3:::inventory-bucket',
  version: '2016-11-30',
  creationTimestamp: '1735606800000',
  fileFormat: 'CSV',
  fileSchema: 'Bucket, Key, Size, LastModifiedDate',
  files: [{ key: 'inventory/org-trail/trailwatch/data/a.csv.gz', size: 1234, MD5checksum: 'x' }],
};
const KEY =
  'org/AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1/2025/03/04/111122223333_CloudTrail_eu-west-1_20250304T0000Z_a.json.gz';

function manifestError(json: unknown): string {
  try {
    parseInventoryManifest(typeof json === 'string' ? json : JSON.stringify(json), 'm.json');
  } catch (err) {
    expect(err).toBeInstanceOf(InventoryManifestError);
    return (err as Error).message;
  }
  throw new Error('expected an InventoryManifestError');
}

describe('S3 Inventory manifest', () => {
  it('reads the bucket, the data files and where Key and Size are', () => {
    expect(parseInventoryManifest(JSON.stringify(MANIFEST), 'm.json')).toEqual({
      sourceBucket: 'org-trail',
      files: [
        { bucket: 'inventory-bucket', key: 'inventory/org-trail/trailwatch/data/a.csv.gz', size: 1234 },
      ],
      keyColumn: 1,
      sizeColumn: 2,
    });
  });

  it.each([
    ['{', 'm.json: not JSON'],
    [{ ...MANIFEST, fileFormat: 'Parquet' }, "m.json: fileFormat: expected 'CSV'"],
    [
      { ...MANIFEST, destinationBucket: 'inventory-bucket' },
      'm.json: destinationBucket: expected the bucket ARN',
    ],
    [{ ...MANIFEST, files: [] }, 'm.json: files: expected at least one data file'],
    [{ ...MANIFEST, fileSchema: 'Bucket, Size' }, "m.json: fileSchema: no Key column in 'Bucket, Size'"],
  ])('refuses %j naming the field', (json, message) => {
    expect(manifestError(json)).toContain(message);
  });

  it('splits quoted CSV fields, quotes and commas inside included', () => {
    expect(splitCsvLine('"b","a,b","12",""')).toEqual(['b', 'a,b', '12', '']);
    expect(splitCsvLine('"say ""hi""",x')).toEqual(['say "hi"', 'x']);
    expect(() => splitCsvLine('"open')).toThrow('unterminated quoted field');
  });

  it('reads a row: the key URL-decoded, the size a number', () => {
    const manifest = parseInventoryManifest(JSON.stringify(MANIFEST), 'm.json');
    expect(
      inventoryRow(
        `"org-trail","my%20trail/${encodeURIComponent('x+y')}","2048","2025-03-04T00:05:00.000Z"`,
        manifest,
      ),
    ).toEqual({
      key: 'my trail/x+y',
      size: 2048,
    });
    expect(() => inventoryRow('"org-trail","k","many"', manifest)).toThrow("Size 'many' is not a byte count");
    expect(() => inventoryRow('"org-trail","%zz","1"', manifest)).toThrow(
      "Key '%zz' is not URL-encoded text",
    );
  });

  it('keeps the keys of the scope: prefix, accounts, regions and days', () => {
    const scope = {
      prefix: 'org/',
      from: '2025-03-01',
      to: '2025-03-31',
      accounts: ['111122223333'],
      regions: ['eu-west-1'],
    };
    expect(isKeyInScope(KEY, scope)).toBe(true);
    expect(isKeyInScope(KEY, { ...scope, prefix: '' })).toBe(false);
    expect(isKeyInScope(KEY, { ...scope, accounts: ['444455556666'] })).toBe(false);
    expect(isKeyInScope(KEY, { ...scope, regions: ['us-east-1'] })).toBe(false);
    expect(isKeyInScope(KEY, { ...scope, from: '2025-03-05' })).toBe(false);
    expect(isKeyInScope(KEY, { ...scope, to: '2025-03-03' })).toBe(false);
    expect(isKeyInScope(KEY.replace('/CloudTrail/', '/CloudTrail-Digest/'), scope)).toBe(false);
    expect(isKeyInScope(KEY, { prefix: 'org/' })).toBe(true);
  });
});
