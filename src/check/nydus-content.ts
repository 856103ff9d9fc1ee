/**
 * Reading a regular file of a Nydus image back, chunk by chunk, with each chunk's
 * digest (and CRC-32C, where recorded) verified by the blob reader.
 */
import { createHash } from 'node:crypto';
import { FormatError } from '../errors.js';
import type { NydusImage } from '../nydus/open-image.js';
import type { Inode } from '../tree/types.js';

/** ContentStats counts what `nydusFileDigest` read. */
export interface ContentStats {
  files: number;
  chunks: number;
  bytes: number;
}

/**
 * nydusFileDigest returns `sha256:<hex>` of a regular file's data as the image
 * serves it. Only one chunk is held at a time. Throws the blob reader's errors
 * (DigestMismatchError for a bad chunk, FormatError for a bad location).
 */
export async function nydusFileDigest(image: NydusImage, inode: Inode, stats?: ContentStats): Promise<string> {
  const hash = createHash('sha256');
  for (const ref of inode.chunks) {
    const info = image.bootstrap.blobs[ref.blobIndex];
    if (info === undefined) {
      throw new FormatError('chunk_info', 'blob_index', `names blob ${ref.blobIndex} of ${image.bootstrap.blobs.length}`);
    }
    const blob = await image.blob(ref.blobIndex);
    const data = await blob.readChunk(ref, info.digester, info.compressor);
    hash.update(data);
    if (stats) {
      stats.chunks += 1;
      stats.bytes += data.length;
    }
  }
  if (stats) stats.files += 1;
  return `sha256:${hash.digest('hex')}`;
}
