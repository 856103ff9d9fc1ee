import { describe, expect, it } from 'vitest';
import { align4K, CI_ENTRY_V1_SIZE, decodeCiV1, decodeCiV2, encodeCiV1, type CiEntry } from './ci-array.js';
import { FIXTURE_BLOB, fixtureBytes } from './test-fixtures.js';

const GOLDEN_V1 = Buffer.from(
  '0000000000202204' + '0000000000b02d01' + '0050000000704503' + 'dc12000000d0b900',
  'hex',
);
const FIXTURE_ENTRIES: CiEntry[] = [
  { compressedOffset: 0, compressedSize: 0x12dc, uncompressedOffset: 0, uncompressedSize: 0x4223, compressed: true },
  { compressedOffset: 0x12dc, compressedSize: 0xb9e, uncompressedOffset: 0x5000, uncompressedSize: 0x3458, compressed: true },
];

describe('CI array V1', () => {
  it('is the fixture array: golden bytes decode and encode', () => {
    expect(fixtureBytes(FIXTURE_BLOB, 0x207a, 32).equals(GOLDEN_V1)).toBe(true);
    expect(decodeCiV1(GOLDEN_V1)).toEqual(FIXTURE_ENTRIES);
    expect(encodeCiV1(FIXTURE_ENTRIES).toString('hex')).toBe(GOLDEN_V1.toString('hex'));
    expect(CI_ENTRY_V1_SIZE).toBe(16);
  });

  it('splits sizes over 1 MiB into the high nibble fields', () => {
    const e: CiEntry = {
      compressedOffset: 0xff_ffff_ffff,
      compressedSize: 0x100_0000,
      uncompressedOffset: 0xfff_ffff_f000,
      uncompressedSize: 0x100_0000,
      compressed: false,
    };
    const buf = encodeCiV1([e]);
    expect(buf.toString('hex')).toBe('00ffffffffffffff' + 'ffffffffffffffff');
    expect(decodeCiV1(buf)).toEqual([e]);
    const mid: CiEntry = { ...e, compressedSize: 0x123457, uncompressedSize: 0x200001, compressed: true };
    const midBuf = encodeCiV1([mid]);
    expect(midBuf.readBigUInt64LE(0)).toBe(0x0000_0fff_ffff_f200n);
    expect(midBuf.readBigUInt64LE(8)).toBe(0x2345_61ff_ffff_ffffn);
    expect(decodeCiV1(midBuf)).toEqual([mid]);
  });

  it('refuses values the fields cannot hold', () => {
    const ok = FIXTURE_ENTRIES[1];
    expect(() => encodeCiV1([{ ...ok, uncompressedOffset: 0x5001 }])).toThrowError(/uncompressed_offset/);
    expect(() => encodeCiV1([{ ...ok, compressedOffset: 2 ** 40 }])).toThrowError(/compressed_offset/);
    expect(() => encodeCiV1([{ ...ok, uncompressedSize: 0x100_0001 }])).toThrowError(/uncompressed_size/);
    expect(() => encodeCiV1([{ ...ok, compressed: false }])).toThrowError(/chunk 0/);
    expect(() => decodeCiV1(Buffer.alloc(17), 0x40)).toThrowError('ci_array.length at offset 0x40: length 0x11 is not a multiple of 16');
  });
});

describe('CI array V2', () => {
  it('decodes offset >> 12, size − 1, flags, plain csize and the crc', () => {
    // uoff 0x5000 → 5; usize 0x3458 → 0x3457; flags compressed | has_crc32 (0x11).
    const buf = Buffer.from(
      '05000000' + '57340011' + 'dc12000000' + '9e0b00' + '839206e3' + '00000000',
      'hex',
    );
    expect(decodeCiV2(buf)).toEqual([
      { compressedOffset: 0x12dc, compressedSize: 0xb9e, uncompressedOffset: 0x5000, uncompressedSize: 0x3458, compressed: true, crc32: 0xe3069283 },
    ]);
  });
});

describe('align4K', () => {
  it('rounds up to 4096', () => {
    expect([0, 1, 4096, 4097, 0x4223].map(align4K)).toEqual([0, 4096, 4096, 8192, 0x5000]);
  });
});
