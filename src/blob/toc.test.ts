import { describe, expect, it } from 'vitest';
import { FormatError } from '../errors.js';
import { decodeToc, decodeTocEntry, encodeToc, encodeTocEntry, TOC_ENTRY_SIZE } from './toc.js';
import { FIXTURE_BLOB, fixtureBytes, sparseHex } from './test-fixtures.js';

const TOC_AT = 0x34da;
/** Fixture entry 2, `blob.meta.header`, as stored (including the ff ff quirk at 124). */
const META_HEADER_ENTRY = sparseHex(128, {
  0: '01000000',
  8: '626c6f622e6d6574612e686561646572', // "blob.meta.header"
  24: '1a4559316dbcfca5ff8cd1f005172a429a9e9f6b885bfda6a43cf4098a4f8db1',
  56: '9a20000000000000', // compressed_offset 0x209a
  64: '0010000000000000', // compressed_size 0x1000
  72: '0010000000000000', // uncompressed_size 0x1000
  124: 'ffff',
});

describe('toc entries', () => {
  it('decodes the fixture ToC: four entries', () => {
    const entries = decodeToc(fixtureBytes(FIXTURE_BLOB, TOC_AT, 512), TOC_AT);
    expect(entries.map((e) => [e.name, e.compressor, e.compressedOffset, e.compressedSize, e.uncompressedSize])).toEqual([
      ['image.blob', 'none', 0x1e7a, 0x1e7a, 0x9000],
      ['blob.meta', 'none', 0x207a, 0x20, 0x20],
      ['blob.meta.header', 'none', 0x209a, 0x1000, 0x1000],
      ['blob.digest', 'none', 0x329a, 0x40, 0x40],
    ]);
    expect(entries[0].digest.toString('hex')).toBe(
      '632d11c76e652544684d73053a4656d3cca2c693539bd4bae5ea226355cfdd1d',
    );
  });

  it('matches the golden entry and re-encodes it (reserved2 written as zero)', () => {
    const fromFile = fixtureBytes(FIXTURE_BLOB, TOC_AT + 2 * TOC_ENTRY_SIZE, TOC_ENTRY_SIZE);
    expect(fromFile.toString('hex')).toBe(META_HEADER_ENTRY.toString('hex'));
    const entry = decodeTocEntry(fromFile);
    const expected = Buffer.from(META_HEADER_ENTRY);
    expected.fill(0, 124, 126);
    expect(encodeTocEntry(entry).toString('hex')).toBe(expected.toString('hex'));
  });

  it('round-trips every fixture entry apart from the reserved quirk', () => {
    const raw = fixtureBytes(FIXTURE_BLOB, TOC_AT, 512);
    const again = encodeToc(decodeToc(raw));
    for (let off = 0; off < raw.length; off += TOC_ENTRY_SIZE) {
      const want = Buffer.from(raw.subarray(off, off + TOC_ENTRY_SIZE));
      want.fill(0, 80);
      expect(again.subarray(off, off + TOC_ENTRY_SIZE).equals(want)).toBe(true);
    }
  });

  it('maps compressors to flags 1, 2, 4', () => {
    const base = { name: 'image.boot', digest: Buffer.alloc(32), compressedOffset: 1, compressedSize: 2, uncompressedSize: 3 };
    expect(encodeTocEntry({ ...base, compressor: 'none' }).readUInt32LE(0)).toBe(1);
    expect(encodeTocEntry({ ...base, compressor: 'zstd' }).readUInt32LE(0)).toBe(2);
    expect(encodeTocEntry({ ...base, compressor: 'lz4_block' }).readUInt32LE(0)).toBe(4);
    expect(decodeTocEntry(encodeTocEntry({ ...base, compressor: 'lz4_block' }))).toEqual({ ...base, compressor: 'lz4_block' });
  });

  it('rejects bad flags and sizes with the offset', () => {
    const bad = Buffer.from(META_HEADER_ENTRY);
    bad.writeUInt32LE(8, 0);
    expect(() => decodeTocEntry(bad, 0x100)).toThrowError(FormatError);
    expect(() => decodeTocEntry(bad, 0x100)).toThrowError('toc_entry.flags at offset 0x100: bad compression 0x8');
    expect(() => decodeToc(Buffer.alloc(100))).toThrowError(/toc\.size/);
    expect(() => encodeTocEntry({ name: 'x'.repeat(17), compressor: 'none', digest: Buffer.alloc(32), compressedOffset: 0, compressedSize: 0, uncompressedSize: 0 })).toThrowError(/name/);
  });
});
