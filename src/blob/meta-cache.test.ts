import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { blobMetaCache } from './meta-cache.js';
import { openBlobFile } from './reader.js';

const BLOB = new URL(
  '../../../shared/fixtures/nydus/blobs/be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef',
  import.meta.url,
).pathname;

describe('blob.meta cache file', () => {
  it('is the stored CI array padded to 4 KiB, then the meta header, byte for byte', async () => {
    const bytes = await readFile(BLOB);
    const blob = await openBlobFile(BLOB);
    try {
      const cache = blobMetaCache(blob) as Buffer;
      // The fixture's CI array is stored (ci_compressor 0): 32 bytes at 0x207a, header at 0x209a.
      expect(cache.length).toBe(4096 + 4096);
      expect(cache.subarray(0, 32).equals(bytes.subarray(0x207a, 0x209a))).toBe(true);
      expect(cache.subarray(32, 4096).every((b) => b === 0)).toBe(true);
      expect(cache.subarray(4096).equals(bytes.subarray(0x209a, 0x309a))).toBe(true);
    } finally {
      await blob.close();
    }
  });
});
