import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBlobFile } from '../blob/reader.js';
import { FIXTURE_BLOB } from '../blob/test-fixtures.js';
import { FormatError } from '../errors.js';
import { CHUNK_FLAGS, type ChunkInfo } from '../rafs/chunk-info.js';
import { readBootstrap } from '../rafs/reader.js';
import { deviceChunks, writeDeviceFile } from './device-file.js';

const BOOT = new URL('../../../shared/fixtures/nydus/rafs-v6-2.2.boot', import.meta.url);

describe('deviceChunks', () => {
  it('picks the fixture chunks in offset order', async () => {
    const boot = readBootstrap(await readFile(BOOT));
    const chunks = deviceChunks(boot.chunkTable, 0, boot.blobs[0]!);
    expect(chunks.map((c) => [c.index, c.uncompressedOffset, c.uncompressedSize])).toEqual([
      [0, 0, 0x4223],
      [1, 0x5000, 0x3458],
    ]);
  });

  it('refuses overlapping chunks, chunks past the blob end, and encrypted chunks', async () => {
    const boot = readBootstrap(await readFile(BOOT));
    const info = boot.blobs[0]!;
    const a = boot.chunkTable.find((c) => c.index === 0) as ChunkInfo;
    const b = boot.chunkTable.find((c) => c.index === 1) as ChunkInfo;
    expect(() => deviceChunks([a, { ...b, uncompressedOffset: 0x4000 }], 0, info)).toThrowError(
      /uncompressed_offset: blob 0 chunk 1 at 0x4000 overlaps the chunk ending at 0x4223/,
    );
    expect(() => deviceChunks([a, { ...b, uncompressedOffset: 0x8000 }], 0, info)).toThrowError(
      /uncompressed_size: blob 0 chunk 1 ends at 0xb458, past the blob's uncompressed size 0x9000/,
    );
    expect(() => deviceChunks([{ ...a, flags: a.flags | CHUNK_FLAGS.ENCRYPTED }], 0, info)).toThrowError(FormatError);
    expect(() => deviceChunks([a, { ...a, compressedOffset: 7 }], 0, info)).toThrowError(/recorded at two places/);
  });
});

describe('writeDeviceFile', () => {
  it('writes each chunk at its uncompressed offset with zeros between', async () => {
    const boot = readBootstrap(await readFile(BOOT));
    const info = boot.blobs[0]!;
    const dir = await mkdtemp(join(tmpdir(), 'nydusify-device-'));
    const blob = await openBlobFile(FIXTURE_BLOB);
    try {
      const path = join(dir, 'blob-1');
      const result = await writeDeviceFile(blob, info, deviceChunks(boot.chunkTable, 0, info), path);
      expect(result).toEqual({ path, size: 0x9000, chunks: 2 });
      const view = await readFile(path);
      expect(view.length).toBe(0x9000);
      expect(view.subarray(0, 0x4223).equals(await blob.readChunkByIndex(0, 'blake3', 'zstd'))).toBe(true);
      expect(view.subarray(0x4223, 0x5000).every((b) => b === 0)).toBe(true);
      expect(view.subarray(0x5000, 0x5000 + 0x3458).equals(await blob.readChunkByIndex(1, 'blake3', 'zstd'))).toBe(true);
      await expect(writeDeviceFile(blob, info, [], path)).rejects.toThrowError(/EEXIST/);
    } finally {
      await blob.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
