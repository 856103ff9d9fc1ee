import { describe, expect, test } from 'vitest';
import type { ChunkInfo } from './chunk-info.js';
import { CHUNK_INFO_SIZE, decodeChunkInfo, encodeChunkInfo, validateChunkInfo } from './chunk-info.js';
import { fixtureBoot } from './test-support.js';

describe('chunk info (80 bytes)', () => {
  test('decodes the two fixture records and re-encodes them byte for byte', () => {
    const boot = fixtureBoot();
    const first = decodeChunkInfo(boot, 0x4000);
    expect(first.digest.toString('hex')).toMatch(/^812465bc.*3f$/);
    expect({ ...first, digest: undefined }).toEqual({
      digest: undefined, blobIndex: 0, flags: 1, compressedSize: 0xb9e, uncompressedSize: 0x3458,
      compressedOffset: 0x12dc, uncompressedOffset: 0x5000, fileOffset: 0, index: 1, crc32: 0,
    });
    const second = decodeChunkInfo(boot, 0x4050);
    expect(second.digest.toString('hex')).toMatch(/^f7e2735f.*69$/);
    expect([second.index, second.compressedOffset, second.compressedSize, second.uncompressedSize]).toEqual([0, 0, 0x12dc, 0x4223]);
    const out = Buffer.alloc(2 * CHUNK_INFO_SIZE);
    encodeChunkInfo(first, out, 0);
    encodeChunkInfo(second, out, CHUNK_INFO_SIZE);
    expect(out.equals(boot.subarray(0x4000, 0x40a0))).toBe(true);
  });

  test('golden bytes with crc', () => {
    const c: ChunkInfo = {
      digest: Buffer.alloc(32, 0xaa), blobIndex: 1, flags: 0x11, compressedSize: 0x10, uncompressedSize: 0x20,
      compressedOffset: 0x30, uncompressedOffset: 0x1000, fileOffset: 0x100000, index: 7, crc32: 0xe3069283,
    };
    const b = Buffer.alloc(CHUNK_INFO_SIZE);
    encodeChunkInfo(c, b, 0);
    expect(b.toString('hex')).toBe(
      'aa'.repeat(32) + '01000000' + '11000000' + '10000000' + '20000000' + '3000000000000000' +
        '0010000000000000' + '0000100000000000' + '07000000' + '839206e3',
    );
    expect(decodeChunkInfo(b, 0)).toEqual(c);
  });

  test('validation: blob index, unknown flags, unaligned offset', () => {
    const c = decodeChunkInfo(fixtureBoot(), 0x4000);
    expect(() => validateChunkInfo({ ...c, blobIndex: 1 }, 1, 0x4000)).toThrow(/chunk_info.blob_index at offset 0x4020: 0x1 but 1 blobs/);
    expect(() => validateChunkInfo({ ...c, flags: 0x21 }, 1, 0x4000)).toThrow(/unknown bits in 0x21/);
    expect(() => validateChunkInfo({ ...c, uncompressedOffset: 0x5001 }, 1, 0x4000)).toThrow(/0x5001/);
  });
});
