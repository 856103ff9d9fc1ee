import { describe, expect, it } from 'vitest';
import { decodeMetaHeader, encodeMetaHeader, META_HEADER_SIZE, type MetaHeader } from './meta-header.js';
import { FIXTURE_BLOB, fixtureBytes, sparseHex } from './test-fixtures.js';

const HEADER_AT = 0x209a;
const GOLDEN = sparseHex(META_HEADER_SIZE, {
  0: '0bb10bb1', // s_magic
  4: '21000070', // s_features 0x70000021
  8: '00000000', // s_ci_compressor none
  12: '02000000', // s_ci_entries
  16: '7a20000000000000', // s_ci_offset 0x207a
  24: '2000000000000000', // s_ci_compressed_size
  32: '2000000000000000', // s_ci_uncompressed_size
  4092: '0bb10bb1', // s_magic2
});
const FIELDS: MetaHeader = {
  features: 0x70000021,
  ciCompressor: 'none',
  ciEntries: 2,
  ciOffset: 0x207a,
  ciCompressedSize: 0x20,
  ciUncompressedSize: 0x20,
  ciZranOffset: 0,
  ciZranSize: 0,
  ciZranCount: 0,
};

describe('blob meta header', () => {
  it('matches the fixture header and the golden bytes', () => {
    const fromFile = fixtureBytes(FIXTURE_BLOB, HEADER_AT, META_HEADER_SIZE);
    expect(fromFile.equals(GOLDEN)).toBe(true);
    expect(decodeMetaHeader(fromFile, HEADER_AT)).toEqual(FIELDS);
    expect(encodeMetaHeader(FIELDS).equals(GOLDEN)).toBe(true);
  });

  it('round-trips zstd and zran fields', () => {
    const h: MetaHeader = { ...FIELDS, ciCompressor: 'zstd', ciCompressedSize: 0x11, ciZranOffset: 48, ciZranSize: 80, ciZranCount: 2 };
    expect(decodeMetaHeader(encodeMetaHeader(h))).toEqual(h);
    expect(encodeMetaHeader(h).readUInt32LE(8)).toBe(3);
  });

  it('names the bad field, offset and value', () => {
    const bad = Buffer.from(GOLDEN);
    bad.writeUInt32LE(0x12345678, 4092);
    expect(() => decodeMetaHeader(bad, HEADER_AT)).toThrowError(
      'blob_meta_header.s_magic2 at offset 0x3096: 0x12345678, want 0xb10bb10b',
    );
    const gzip = Buffer.from(GOLDEN);
    gzip.writeUInt32LE(2, 8);
    expect(() => decodeMetaHeader(gzip, HEADER_AT)).toThrowError(/s_ci_compressor at offset 0x20a2: unsupported compressor id 0x2/);
    expect(() => decodeMetaHeader(GOLDEN, HEADER_AT + 1)).toThrowError(/s_ci_offset.*CI array ends at 0x209a/);
    const sizes = encodeMetaHeader({ ...FIELDS, ciCompressor: 'zstd', ciCompressedSize: 0x21 });
    expect(() => decodeMetaHeader(sizes)).toThrowError(/s_ci_compressed_size/);
  });
});
