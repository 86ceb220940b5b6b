// Write units per key, computed from stored items and the table's own key schema (DescribeTable):
// DynamoDB bills one write unit per started KB of each item written to the table and to each index
// whose keys the item has, where an index entry is the table's keys, the index's keys and its
// projected attributes.
import type { AttributeValue, TableDescription } from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/** DynamoDB's size of an item: attribute names plus values (strings and binaries by bytes, numbers about one byte per two digits). */
export function itemBytes(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueBytes(value);
  return size;
}

function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L !== undefined) return 3 + v.L.reduce((s, e) => s + 1 + valueBytes(e), 0);
  if (v.M !== undefined)
    return 3 + Object.entries(v.M).reduce((s, [k, e]) => s + 1 + Buffer.byteLength(k) + valueBytes(e), 0);
  if (v.SS !== undefined) return v.SS.reduce((s, e) => s + Buffer.byteLength(e), 0);
  return 0;
}

const KB = 1024;
const units = (bytes: number) => Math.max(1, Math.ceil(bytes / KB));
const hashOf = (schema: TableDescription['KeySchema']) =>
  schema?.find((k) => k.KeyType === 'HASH')?.AttributeName;

/** Write units, storage and the hottest keys of one traffic sample. */
export interface CapacityReport {
  readonly events: number;
  readonly totalUnits: number;
  readonly unitsPerEvent: number;
  /** Bytes per million events: items, index entries and DynamoDB's 100 bytes of overhead each. */
  readonly storagePerMillion: number;
  /** Per table or index: its hottest partition key and the write units on it. */
  readonly hottest: { where: string; key: string; units: number; totalUnits: number; entries: number }[];
  /** Org-wide events/s at which the hottest key of the table or of any index reaches 1,000 WCU/s. */
  readonly ceiling: number;
}

/** Computes the report for `items` (one second of traffic) written to the table `table` describes. */
export function capacity(table: TableDescription, items: Item[]): CapacityReport {
  const tableKeys = (table.KeySchema ?? []).map((k) => k.AttributeName as string);
  const places = [
    { where: 'table', hash: hashOf(table.KeySchema) as string, size: (item: Item) => itemBytes(item) },
    ...(table.GlobalSecondaryIndexes ?? []).map((index) => {
      const keys = (index.KeySchema ?? []).map((k) => k.AttributeName as string);
      const projection = index.Projection?.ProjectionType ?? 'ALL';
      const carried = new Set([...tableKeys, ...keys, ...(index.Projection?.NonKeyAttributes ?? [])]);
      return {
        where: `index ${index.IndexName}`,
        hash: hashOf(index.KeySchema) as string,
        keys,
        size: (item: Item) =>
          projection === 'ALL'
            ? itemBytes(item)
            : itemBytes(Object.fromEntries(Object.entries(item).filter(([name]) => carried.has(name)))),
      };
    }),
  ];
  let totalUnits = 0;
  let storage = 0;
  const hottest: CapacityReport['hottest'] = [];
  for (const place of places) {
    const perKey = new Map<string, number>();
    let placeUnits = 0;
    let entries = 0;
    for (const item of items) {
      // A sparse index holds only the items that have all its key attributes.
      const keys = 'keys' in place ? place.keys : tableKeys;
      if (!keys.every((k) => item[k] !== undefined)) continue;
      const key = item[place.hash]?.S ?? '';
      const bytes = place.size(item);
      const u = units(bytes);
      perKey.set(key, (perKey.get(key) ?? 0) + u);
      placeUnits += u;
      storage += bytes + 100;
      entries++;
    }
    totalUnits += placeUnits;
    const [key, top] = [...perKey.entries()].reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0]);
    hottest.push({ where: place.where, key, units: top, totalUnits: placeUnits, entries });
  }
  const hotUnits = Math.max(...hottest.map((h) => h.units));
  return {
    events: items.length,
    totalUnits,
    unitsPerEvent: totalUnits / items.length,
    storagePerMillion: (storage / items.length) * 1e6,
    hottest,
    ceiling: (items.length * 1000) / hotUnits,
  };
}
