import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { chunkDigest } from './digest.js';
import { openBlobFile } from './reader.js';
import { BlobWriter } from './writer.js';

const MIB = 1 << 20;
const CHUNKS = 4 * 1024 + 3; // just over 4 GiB of file data
const TAIL = 12345;
const SIZE = CHUNKS * MIB + TAIL;

/**
 * One reused 1 MiB buffer with the chunk number stamped in: every chunk is distinct
 * (so nothing dedups away and uncompressed offsets pass 2^32) yet compresses to a
 * few hundred bytes, so the blob stays small and the test stays fast.
 */
async function* stamped(): AsyncGenerator<Buffer> {
  const buf = Buffer.alloc(MIB, 'nydus ');
  for (let i = 0; i < CHUNKS; i++) {
    buf.writeUInt32LE(i, 0);
    buf.writeUInt32LE(i, MIB / 2);
    yield buf;
  }
  yield buf.subarray(0, TAIL);
}

it('streams a file over 4 GiB with bounded memory', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'blob-large-'));
  try {
    const path = join(dir, 'blob');
    const w = new BlobWriter(path, { chunkSize: MIB, compressor: 'zstd', digester: 'blake3' }, 0);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const watch = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 50);
    let refs;
    try {
      refs = await w.addFile(stamped(), SIZE);
    } finally {
      clearInterval(watch);
    }
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const result = await w.finish(Buffer.alloc(4096, 1));
    expect(rssPeak - rssBefore).toBeLessThan(256 * MIB);

    expect(refs).toHaveLength(CHUNKS + 1);
    const last = refs.at(-1)!;
    expect(last.uncompressedOffset).toBe(CHUNKS * MIB);
    expect(last.uncompressedOffset).toBeGreaterThan(2 ** 32);
    expect(result.info.uncompressedSize).toBe(CHUNKS * MIB + 16384); // 12345 rounds up to 4 blocks
    expect(result.size).toBeLessThan(8 * MIB);

    const blob = await openBlobFile(path);
    try {
      expect(blob.ciEntries!.at(-2)).toMatchObject({ uncompressedOffset: (CHUNKS - 1) * MIB, uncompressedSize: MIB });
      const data = await blob.readChunkByIndex(CHUNKS - 1, 'blake3', 'zstd');
      expect(data.readUInt32LE(MIB / 2)).toBe(CHUNKS - 1);
      expect(chunkDigest('blake3', data).equals(refs[CHUNKS - 1].digest)).toBe(true);
      expect((await blob.readChunk(last, 'blake3', 'zstd')).length).toBe(TAIL);
    } finally {
      await blob.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
