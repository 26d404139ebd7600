// Generates golden vectors with avsc (an Avro implementation independent of Sluice) and writes them
// as GoldenVectors.g.cs next to this script, so the tests run offline without node.
//   cd tests/Sluice.UnitTests/Schemas/golden && npm install && node make-vectors.mjs
// Each vector: a schema, a value in the Avro JSON encoding (unions wrapped, bytes as code points 0-255,
// longs exact, non-finite reals as "NaN"/"Infinity"/"-Infinity"), and avsc's binary encoding in hex.
// Resolution vectors add a reader schema and the value avsc's resolver produced.
import avro from 'avsc';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

// Longs as BigInt so that long min/max survive (JS numbers lose precision past 2^53). avsc applies the
// registry only to the name "long"; {"type": "long", "logicalType": ...} stays a JS number.
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; },
  fromJSON: (x) => BigInt(x),
  toJSON: (n) => Number(n),
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});
const opts = () => ({ wrapUnions: true, registry: { long: bigLong } });
const typeOf = (schema) => avro.Type.forSchema(schema, opts());

const MARK = '\u0001BIG:';
// JSON with exact longs, bytes as code points 0-255 and non-finite reals as strings.
function toJson(value) {
  const text = JSON.stringify(value, function (key, v) {
    const orig = this[key];
    if (typeof orig === 'bigint') return MARK + orig.toString();
    if (Buffer.isBuffer(orig)) return orig.toString('latin1');
    if (typeof orig === 'number' && !Number.isFinite(orig)) return String(orig);
    return v;
  });
  return text.replace(/"\\u0001BIG:(-?[0-9]+)"/g, '$1');
}

const vectors = [];
function encoding(name, schema, value) {
  const type = typeOf(schema);
  if (!type.isValid(value)) throw new Error(`${name}: avsc says the value is invalid`);
  const buf = type.toBuffer(value);
  const back = type.fromBuffer(buf);
  // SHA-256 of avsc's Parsing Canonical Form: checks Sluice's canonical form byte for byte.
  vectors.push({ kind: 'encoding', name, schema, value: toJson(back), hex: buf.toString('hex'), fingerprint: type.fingerprint('sha256').toString('hex') });
}
function resolution(name, writerSchema, readerSchema, value) {
  const writer = typeOf(writerSchema);
  const reader = typeOf(readerSchema);
  if (!writer.isValid(value)) throw new Error(`${name}: avsc says the writer value is invalid`);
  const buf = writer.toBuffer(value);
  const resolver = reader.createResolver(writer);
  const resolved = reader.fromBuffer(buf, resolver);
  vectors.push({ kind: 'resolution', name, schema: writerSchema, reader: readerSchema, value: toJson(writer.fromBuffer(buf)), resolved: toJson(resolved), hex: buf.toString('hex') });
}

// ---- primitives and edge varints
encoding('null', 'null', null);
encoding('boolean true', 'boolean', true);
encoding('boolean false', 'boolean', false);
for (const i of [0, -1, 1, 63, -64, 64, -65, 300, 8191, -8192, 2147483647, -2147483648]) encoding(`int ${i}`, 'int', i);
for (const l of [0n, -1n, 1n, 2147483648n, -2147483649n, 9007199254740993n, 9223372036854775807n, -9223372036854775808n]) encoding(`long ${l}`, 'long', l);
for (const f of [0, 1.5, -2.25, 0.1, 3.4028234663852886e38, 1.401298464324817e-45, NaN, Infinity, -Infinity]) encoding(`float ${f}`, 'float', f);
for (const d of [0, 3.141592653589793, -2.5, 1.7976931348623157e308, 5e-324, NaN, Infinity, -Infinity]) encoding(`double ${d}`, 'double', d);
encoding('bytes empty', 'bytes', Buffer.alloc(0));
encoding('bytes 0 1 255', 'bytes', Buffer.from([0, 1, 255]));
encoding('bytes 300 long', 'bytes', Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256)));
encoding('string empty', 'string', '');
encoding('string ascii', 'string', 'hello');
encoding('string latin accents', 'string', 'héllo wörld');
encoding('string cjk', 'string', '日本語のテキスト');
encoding('string emoji surrogate pair', 'string', 'ok 😀👍🏽');
encoding('string with nul and control chars', 'string', 'a\u0000b\tc\n');
encoding('string 200 chars', 'string', 'x'.repeat(200));
// Length-prefix boundaries: 63 bytes is the last one-byte zigzag length, 64 the first two-byte one.
encoding('string 63 ascii bytes', 'string', 'a'.repeat(63));
encoding('string 64 ascii bytes', 'string', 'a'.repeat(64));
encoding('string 21 three-byte chars (63 bytes)', 'string', '語'.repeat(21));
encoding('string 22 three-byte chars (66 bytes)', 'string', '語'.repeat(22));
encoding('string 11 four-byte chars (44 bytes)', 'string', '😀'.repeat(11));
for (const l of [34359738367n, -34359738368n, 4398046511104n]) encoding(`long ${l}`, 'long', l);

// ---- logical types (avsc without logicalTypes reads the underlying type: a check on the bytes)
encoding('timestamp-millis', { type: 'long', logicalType: 'timestamp-millis' }, 1700000000123);
encoding('timestamp-millis before epoch', { type: 'long', logicalType: 'timestamp-millis' }, -86400000);
encoding('uuid', { type: 'string', logicalType: 'uuid' }, '123e4567-e89b-12d3-a456-426614174000');
encoding('date', { type: 'int', logicalType: 'date' }, 19675);
encoding('date before epoch', { type: 'int', logicalType: 'date' }, -1);

// ---- complex types
const suit = { type: 'enum', name: 'Suit', namespace: 'cards', symbols: ['SPADES', 'HEARTS', 'DIAMONDS', 'CLUBS'] };
encoding('enum first symbol', suit, 'SPADES');
encoding('enum last symbol', suit, 'CLUBS');
encoding('fixed 4', { type: 'fixed', name: 'Four', size: 4 }, Buffer.from([1, 2, 254, 255]));
encoding('fixed 16 (md5 size)', { type: 'fixed', name: 'Md5', size: 16 }, Buffer.alloc(16, 0xab));
encoding('array empty', { type: 'array', items: 'int' }, []);
encoding('array of ints', { type: 'array', items: 'int' }, [1, -2, 3, 2147483647]);
encoding('array of strings', { type: 'array', items: 'string' }, ['a', '', 'ü']);
encoding('array of arrays', { type: 'array', items: { type: 'array', items: 'long' } }, [[], [1n], [2n, -3n]]);
encoding('array of 200 booleans', { type: 'array', items: 'boolean' }, Array.from({ length: 200 }, (_, i) => i % 3 === 0));
encoding('map empty', { type: 'map', values: 'long' }, {});
encoding('map of longs', { type: 'map', values: 'long' }, { a: 1n, b: -1n, 'ключ': 9223372036854775807n });
encoding('map of arrays', { type: 'map', values: { type: 'array', items: 'string' } }, { x: ['1'], y: [] });
const nullableString = ['null', 'string'];
encoding('union null branch', nullableString, null);
encoding('union string branch', nullableString, { string: 'present' });
encoding('union null second', ['string', 'null'], null);
encoding('union three branches long', ['null', 'long', 'string'], { long: -5n });
encoding('union three branches string', ['null', 'long', 'string'], { string: '' });
encoding('union of enum and string', [suit, 'string'], { 'cards.Suit': 'HEARTS' });
encoding('union of record', ['null', { type: 'record', name: 'Point', fields: [{ name: 'x', type: 'int' }, { name: 'y', type: 'int' }] }], { Point: { x: 1, y: -1 } });
encoding('union bytes branch', ['null', 'bytes'], { bytes: Buffer.from([9, 8]) });
const everything = {
  type: 'record', name: 'Everything', namespace: 'test',
  fields: [
    { name: 'n', type: 'null' }, { name: 'b', type: 'boolean' }, { name: 'i', type: 'int' }, { name: 'l', type: 'long' },
    { name: 'f', type: 'float' }, { name: 'd', type: 'double' }, { name: 'by', type: 'bytes' }, { name: 's', type: 'string' },
    { name: 'e', type: suit }, { name: 'fx', type: { type: 'fixed', name: 'Two', size: 2 } },
    { name: 'a', type: { type: 'array', items: 'int' } }, { name: 'm', type: { type: 'map', values: 'string' } },
    { name: 'u', type: ['null', 'string'] }, { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } }, { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 'v', type: 'string' }] } },
    { name: 'again', type: 'Inner' },
  ],
};
encoding('record of every type', everything, {
  n: null, b: true, i: -7, l: 1234567890123n, f: 0.5, d: -1e-10, by: Buffer.from([0, 255]), s: 'wörd', e: 'DIAMONDS',
  fx: Buffer.from([7, 7]), a: [1, 2], m: { k: 'v' }, u: { string: 'u' }, ts: 1700000000000,
  id: 'a1b2c3d4-e5f6-4789-abcd-ef0123456789', day: 20000, inner: { v: 'in' }, again: { v: 'again' },
});
encoding('record of every type with null union', everything, {
  n: null, b: false, i: 0, l: 0n, f: 0, d: 0, by: Buffer.alloc(0), s: '', e: 'SPADES', fx: Buffer.from([0, 0]),
  a: [], m: {}, u: null, ts: 0, id: '00000000-0000-0000-0000-000000000000', day: 0, inner: { v: '' }, again: { v: '' },
});
const list = { type: 'record', name: 'Node', fields: [{ name: 'value', type: 'int' }, { name: 'next', type: ['null', 'Node'] }] };
encoding('recursive linked list', list, { value: 1, next: { Node: { value: 2, next: { Node: { value: 3, next: null } } } } });
encoding('empty record', { type: 'record', name: 'Empty', fields: [] }, {});
encoding('array of records', { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: ['null', 'int'] }] } },
  [{ sku: 'a', qty: { int: 1 } }, { sku: 'b', qty: null }]);
encoding('map with 70 entries (two-byte block count)', { type: 'map', values: 'int' }, Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, i])));
encoding('union of fixed and bytes', [{ type: 'fixed', name: 'Pair', size: 2 }, 'bytes'], { Pair: Buffer.from([1, 2]) });
encoding('namespaced reference by short name', {
  type: 'record', name: 'Order', namespace: 'shop',
  fields: [{ name: 'status', type: { type: 'enum', name: 'Status', symbols: ['OPEN', 'PAID'] } }, { name: 'previous', type: ['null', 'Status'] }],
}, { status: 'PAID', previous: { 'shop.Status': 'OPEN' } });

// ---- the click event schemas
// The event schemas Sluice embeds, read from the source tree so there is one copy.
const schemaDir = path.join(here, '../../../../src/Sluice.Schemas/Events');
const events = Object.fromEntries(['v1', 'v2', 'v3'].map((v) => [v, JSON.parse(readFileSync(path.join(schemaDir, `clickevent-${v}.avsc`), 'utf8'))]));
const v3Event = {
  event_id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', event_type: 'purchase', timestamp: 1763700000000,
  user_id: { string: 'u-42' }, session_id: 's-9', product_id: { string: 'p-7' }, product_category: { string: 'books' },
  price_cents: { long: 1999n }, quantity: { int: 2 }, search_query: null, page_url: { string: 'https://shop.example/p/7' },
  referrer: null, user_agent: { string: 'Mozilla/5.0' }, ip_address: { string: '10.1.2.0' }, geo_country: { string: 'DE' },
  geo_city: { string: 'Köln' }, user_segment: { string: 'returning' }, device_type: { string: 'mobile' },
  browser: { string: 'firefox' }, campaign_id: null, schema_version: 3,
};
encoding('click event v3', events.v3, v3Event);
encoding('click event v3 anonymous page view', events.v3, {
  ...v3Event, event_type: 'page_view', user_id: null, product_id: null, product_category: null, price_cents: null,
  quantity: null, search_query: null, campaign_id: { string: 'spring' },
});
const v1Event = { event_id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', user_id: { string: 'u-1' }, event_type: 'add_to_cart', product_id: { string: 'p-1' }, price: { long: 500n }, event_time: 1763700000000 };
encoding('click event v1', events.v1, v1Event);
resolution('click event v1 read as v3', events.v1, events.v3, v1Event);
const v2Event = { event_id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', user_id: null, event_type: 'search', product_id: null, price_cents: null, timestamp: 1763700000001, session_id: 's-2', category: { string: 'toys' }, quantity: null, user_segment: { string: 'new' }, search_query: { string: 'lego' } };
resolution('click event v2 read as v3', events.v2, events.v3, v2Event);
resolution('click event v3 read as v2', events.v3, events.v2, v3Event);
resolution('click event v1 read as v2', events.v1, events.v2, v1Event);

// ---- schema resolution
resolution('promote int to long', 'int', 'long', -3);
resolution('promote int to float', 'int', 'float', 16777217);
resolution('promote int to double', 'int', 'double', 2147483647);
resolution('promote long to double', 'long', 'double', 123456789n);
resolution('promote long to float', 'long', 'float', -42n);
resolution('promote float to double', 'float', 'double', 0.1);
resolution('promote string to bytes', 'string', 'bytes', 'é');
resolution('promote bytes to string', 'bytes', 'string', Buffer.from('hi'));
resolution('array items promoted', { type: 'array', items: 'int' }, { type: 'array', items: 'double' }, [1, 2]);
resolution('map values promoted', { type: 'map', values: 'int' }, { type: 'map', values: 'long' }, { a: 5 });
const personV1 = { type: 'record', name: 'Person', fields: [{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }] };
const personAdded = { type: 'record', name: 'Person', fields: [
  { name: 'name', type: 'string' }, { name: 'age', type: 'long' },
  { name: 'email', type: ['null', 'string'], default: null },
  { name: 'score', type: 'double', default: 1.5 },
  { name: 'tags', type: { type: 'array', items: 'string' }, default: ['a'] },
  { name: 'level', type: { type: 'enum', name: 'Level', symbols: ['LOW', 'HIGH'] }, default: 'HIGH' },
] };
resolution('record field added with defaults', personV1, personAdded, { name: 'ann', age: 30 });
const personWide = { ...personAdded, fields: personAdded.fields.map((f) => (f.name === 'age' ? { name: 'age', type: 'int' } : f)) };
resolution('record field removed', personWide, personV1, { name: 'bob', age: 40, email: { string: 'b@x' }, score: 2, tags: ['t'], level: 'LOW' });
resolution('record fields reordered', personV1, { type: 'record', name: 'Person', fields: [{ name: 'age', type: 'int' }, { name: 'name', type: 'string' }] }, { name: 'cy', age: 1 });
resolution('record field renamed by reader alias', personV1, { type: 'record', name: 'Person', fields: [{ name: 'full_name', type: 'string', aliases: ['name'] }, { name: 'age', type: 'int' }] }, { name: 'di', age: 2 });
resolution('record renamed by reader alias', personV1, { type: 'record', name: 'Human', aliases: ['Person'], fields: [{ name: 'name', type: 'string' }] }, { name: 'ed', age: 3 });
const colorsW = { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN', 'BLUE', 'MAUVE'] };
const colorsR = { type: 'enum', name: 'Color', symbols: ['BLUE', 'RED', 'OTHER'], default: 'OTHER' };
resolution('enum symbol unknown to reader takes reader default', colorsW, colorsR, 'MAUVE');
resolution('enum symbol known to reader keeps symbol across reorder', colorsW, colorsR, 'BLUE');
resolution('non-union written, union read', 'int', ['null', 'long'], 7);
resolution('non-union string written, union read', 'string', ['null', 'int', 'string'], 'x');
resolution('union written, non-union read', ['int', 'long'], 'long', { int: 4 });
resolution('union written, non-union read, promoted', ['float', 'double'], 'double', { float: 0.25 });
resolution('union written, reordered union read', ['null', 'string', 'int'], ['int', 'string', 'null'], { int: 3 });
resolution('union written null, reordered union read', ['null', 'string'], ['string', 'null'], null);
resolution('union int branch promoted into long union', ['null', 'int'], ['null', 'long'], { int: -9 });
resolution('map values read into a nullable promoted union', { type: 'map', values: 'int' }, { type: 'map', values: ['null', 'double'] }, { a: 1, b: -2 });
resolution('array of unions with a branch promoted', { type: 'array', items: ['null', 'float'] }, { type: 'array', items: ['null', 'double'] }, [null, { float: 1.5 }]);
resolution('record with fixed and enum kept, field added with a record default',
  { type: 'record', name: 'Doc', fields: [{ name: 'h', type: { type: 'fixed', name: 'H', size: 2 } }, { name: 'k', type: colorsW }] },
  { type: 'record', name: 'Doc', fields: [{ name: 'h', type: { type: 'fixed', name: 'H', size: 2 } }, { name: 'k', type: colorsR },
    { name: 'meta', type: { type: 'record', name: 'Meta', fields: [{ name: 'by', type: 'string' }, { name: 'n', type: 'long' }] }, default: { by: 'nobody', n: 0 } }] },
  { h: Buffer.from([0xca, 0xfe]), k: 'GREEN' });
resolution('nested record field added', { type: 'record', name: 'Outer', fields: [{ name: 'p', type: personV1 }] },
  { type: 'record', name: 'Outer', fields: [{ name: 'p', type: personAdded }] }, { p: { name: 'fi', age: 5 } });

const body = JSON.stringify(vectors, null, 1);
const cs = `// <auto-generated>
// Written by tests/Sluice.UnitTests/Schemas/golden/make-vectors.mjs with avsc ${JSON.parse(readFileSync(path.join(here, 'node_modules/avsc/package.json'), 'utf8')).version}; do not edit.
// Regenerate: cd tests/Sluice.UnitTests/Schemas/golden && npm install && node make-vectors.mjs
// </auto-generated>
namespace Sluice.UnitTests.Schemas.Golden;

internal static class GoldenVectors
{
    public const int Count = ${vectors.length};

    public const string Json = """"
${body}
"""";
}
`;
writeFileSync(path.join(here, 'GoldenVectors.g.cs'), cs);
console.log(`wrote ${vectors.length} vectors (${vectors.filter((v) => v.kind === 'encoding').length} encoding, ${vectors.filter((v) => v.kind === 'resolution').length} resolution)`);
