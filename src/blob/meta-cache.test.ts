import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeCiV1 } from './ci-array.js';
import { metaCacheFile } from './meta-cache.js';
import { encodeMetaHeader } from './meta-header.js';
import { openBlobFile } from './reader.js';
import { BlobWriter } from './writer.js';

const BLOB = new URL(
  '../../../shared/fixtures/nydus/blobs/be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef',
  import.meta.url,
).pathname;

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

describe('blob.meta cache file', () => {
  it('lays out the real fixture blob\'s CI array padded to 4 KiB, then its header', async () => {
    const bytes = await readFile(BLOB);
    // The fixture's CI array is stored (ci_compressor 0): 32 bytes at 0x207a, header at 0x209a.
    const cache = metaCacheFile(bytes.subarray(0x207a, 0x209a), bytes.subarray(0x209a, 0x309a));
    expect(cache.length).toBe(8192);
    expect(cache.subarray(0, 32).equals(bytes.subarray(0x207a, 0x209a))).toBe(true);
    expect(cache.subarray(32, 4096).every((b) => b === 0)).toBe(true);
    expect(cache.subarray(4096).equals(bytes.subarray(0x209a, 0x309a))).toBe(true);
  });

  it('is what the blob writer stored, as the blob reader reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meta-cache-'));
    try {
      const path = join(dir, 'blob');
      const writer = new BlobWriter(path, { chunkSize: 0x1000, compressor: 'zstd', digester: 'blake3' }, 0);
      // 300 distinct chunks: a CI array of 4800 bytes, so padding spills into a second block.
      const data = Buffer.alloc(300 * 0x1000);
      for (let i = 0; i < 300; i++) data.writeUInt32LE(i, i * 0x1000);
      await writer.addFile(once(data), data.length);
      const result = await writer.finish(Buffer.alloc(4096));
      const blob = await openBlobFile(path);
      try {
        const ci = encodeCiV1(blob.ciEntries ?? []);
        expect(ci.length).toBe(4800);
        expect(result.metaCache?.equals(metaCacheFile(ci, encodeMetaHeader(blob.metaHeader!)))).toBe(true);
        expect(result.metaCache?.length).toBe(8192 + 4096);
      } finally {
        await blob.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is absent for a blob without chunks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meta-cache-'));
    try {
      const writer = new BlobWriter(join(dir, 'blob'), { chunkSize: 0x1000, compressor: 'zstd', digester: 'blake3' }, 0);
      expect((await writer.finish(Buffer.alloc(4096))).metaCache).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
