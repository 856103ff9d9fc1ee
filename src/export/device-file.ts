/**
 * The uncompressed device view of one data blob: a file of the blob's
 * uncompressed size holding every chunk, decompressed and digest-checked, at its
 * uncompressed offset (nydus-format.md §8). A RAFS v6 chunk index addresses data as
 * `blkaddr * 4096` on device `blob_index + 1`, so with these files as extra devices
 * the bootstrap is an ordinary multi-device EROFS image for fsck.erofs and the kernel.
 *
 * Chunks come from the bootstrap's chunk table, which holds every chunk a file of
 * the image reads; one chunk is in memory at a time, and bytes no chunk covers
 * (alignment padding) stay as holes that read back as zeros.
 */
import { open } from 'node:fs/promises';
import type { BlobFile } from '../blob/reader.js';
import type { BlobInfo } from '../blob/types.js';
import { FormatError, withContext } from '../errors.js';
import { hex } from '../bytes.js';
import { CHUNK_FLAGS, type ChunkInfo } from '../rafs/chunk-info.js';

/** DeviceFileResult says what was written for one blob. */
export interface DeviceFileResult {
  path: string;
  /** File size: the blob's uncompressed size. */
  size: number;
  /** Distinct chunks written (chunks marked as holes are counted, not written). */
  chunks: number;
}

/** Chunk flags this writer cannot turn into plain bytes. */
const UNSUPPORTED_FLAGS: ReadonlyArray<[number, string]> = [
  [CHUNK_FLAGS.ENCRYPTED, 'encrypted'],
  [CHUNK_FLAGS.BATCH, 'batch'],
];

/**
 * deviceChunks picks the chunk-table records of blob `blobIndex`, one per chunk
 * index, in uncompressed-offset order, and checks that they fit the blob's
 * uncompressed size without overlapping.
 */
export function deviceChunks(table: ChunkInfo[], blobIndex: number, info: BlobInfo): ChunkInfo[] {
  const byIndex = new Map<number, ChunkInfo>();
  for (const c of table) {
    if (c.blobIndex !== blobIndex) continue;
    const seen = byIndex.get(c.index);
    if (seen !== undefined && !samePlace(seen, c)) {
      const detail = `blob ${blobIndex} chunk ${c.index} is recorded at two places`;
      throw new FormatError('chunk_info', 'index', detail);
    }
    byIndex.set(c.index, c);
  }
  const chunks = [...byIndex.values()].sort((a, b) => a.uncompressedOffset - b.uncompressedOffset);
  let end = 0;
  for (const c of chunks) {
    const where = `blob ${blobIndex} chunk ${c.index}`;
    if (c.uncompressedOffset < end) {
      const detail = `${where} at ${hex(c.uncompressedOffset)} overlaps the chunk ending at ${hex(end)}`;
      throw new FormatError('chunk_info', 'uncompressed_offset', detail);
    }
    end = c.uncompressedOffset + c.uncompressedSize;
    if (end > info.uncompressedSize) {
      const size = hex(info.uncompressedSize);
      const detail = `${where} ends at ${hex(end)}, past the blob's uncompressed size ${size}`;
      throw new FormatError('chunk_info', 'uncompressed_size', detail);
    }
    for (const [flag, name] of UNSUPPORTED_FLAGS) {
      if (c.flags & flag) {
        const detail = `${where} is ${name} (${hex(c.flags)}); export cannot write it`;
        throw new FormatError('chunk_info', 'flags', detail);
      }
    }
  }
  return chunks;
}

function samePlace(a: ChunkInfo, b: ChunkInfo): boolean {
  return (
    a.compressedOffset === b.compressedOffset &&
    a.uncompressedOffset === b.uncompressedOffset &&
    a.uncompressedSize === b.uncompressedSize
  );
}

/**
 * writeDeviceFile writes the device view of `blob` at `path` (which must not exist):
 * each chunk read, decompressed with the blob's compressor and checked against its
 * digest (and CRC-32C when the record carries one), then written at its offset.
 */
export async function writeDeviceFile(
  blob: BlobFile,
  info: BlobInfo,
  chunks: ChunkInfo[],
  path: string,
): Promise<DeviceFileResult> {
  const out = await open(path, 'wx');
  try {
    for (const c of chunks) {
      if (c.flags & CHUNK_FLAGS.HOLE) continue;
      const data = await blob.readChunk(
        {
          compressedOffset: c.compressedOffset,
          compressedSize: c.compressedSize,
          uncompressedSize: c.uncompressedSize,
          compressed: (c.flags & CHUNK_FLAGS.COMPRESSED) !== 0,
          digest: c.digest,
          chunkIndex: c.index,
          crc32: c.flags & CHUNK_FLAGS.HAS_CRC32 ? c.crc32 : undefined,
        },
        info.digester,
        info.compressor,
      );
      await writeAll(out, data, c.uncompressedOffset);
    }
    await out.truncate(info.uncompressedSize);
  } catch (err) {
    throw withContext(`writing the device file of blob ${info.blobId}`, err);
  } finally {
    await out.close();
  }
  return { path, size: info.uncompressedSize, chunks: chunks.length };
}

async function writeAll(out: Awaited<ReturnType<typeof open>>, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await out.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
