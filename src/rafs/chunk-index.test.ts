import { describe, expect, test } from 'vitest';
import { decodeChunkIndex, encodeChunkIndex, validateChunkIndex } from './chunk-index.js';
import { fixtureBoot } from './test-support.js';

describe('chunk index (8 bytes)', () => {
  test('fixture entries: chunk 0 at block 0 and chunk 1 at block 5 of blob 0', () => {
    const boot = fixtureBoot();
    expect(decodeChunkIndex(boot, 0x30e0)).toEqual({ blobIndex: 0, chunkIndex: 0, blkAddr: 0 });
    expect(decodeChunkIndex(boot, 0x3140)).toEqual({ blobIndex: 0, chunkIndex: 1, blkAddr: 5 });
    const b = Buffer.alloc(8);
    encodeChunkIndex({ blobIndex: 0, chunkIndex: 1, blkAddr: 5 }, b, 0);
    expect(b.toString('hex')).toBe('0100010005000000');
  });

  test('24-bit chunk index wraps around the device id', () => {
    const b = Buffer.alloc(8);
    const c = { blobIndex: 2, chunkIndex: 0xabcdef, blkAddr: 0x12345678 };
    encodeChunkIndex(c, b, 0);
    expect(b.toString('hex')).toBe('efcd03ab78563412');
    expect(decodeChunkIndex(b, 0)).toEqual(c);
  });

  test('device id 0 and out-of-range values are rejected', () => {
    expect(() => decodeChunkIndex(Buffer.from('0100000005000000', 'hex'), 0)).toThrow(/chunk_index.c_blob_addr_hi at offset 0x2: device id 0/);
    expect(() => validateChunkIndex({ blobIndex: 254, chunkIndex: 0, blkAddr: 0 })).toThrow(/blob index 0xfe/);
    expect(() => validateChunkIndex({ blobIndex: 0, chunkIndex: 1 << 24, blkAddr: 0 })).toThrow(/0x1000000/);
  });
});
