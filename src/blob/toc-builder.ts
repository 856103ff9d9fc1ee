/**
 * Builds the ToC entries of a per-layer blob (format doc §3.7) from what the writer
 * recorded while writing each section.
 */
import {
  SECTION_BLOB_DIGEST,
  SECTION_BLOB_META,
  SECTION_BLOB_META_HEADER,
  SECTION_IMAGE_BLOB,
  SECTION_IMAGE_BOOT,
} from './tar-header.js';
import { META_HEADER_SIZE } from './meta-header.js';
import type { TocEntry } from './toc.js';
import type { Compressor } from './types.js';

/** DataSections records where the chunk-data sections of a blob went. */
export interface DataSections {
  chunkDataSize: number;
  uncompressedSize: number;
  /** sha256 over the chunk data followed by its `image.blob` tar header. */
  imageBlobDigest: Buffer;
  ciCompressor: Compressor;
  ciOffset: number;
  ciCompressedSize: number;
  ciUncompressedSize: number;
  /** sha256 of the uncompressed CI array. */
  ciDigest: Buffer;
  metaHeaderDigest: Buffer;
  digestOffset: number;
  digestArraySize: number;
  digestArrayDigest: Buffer;
}

/** BootSection records where the inlined bootstrap went. */
export interface BootSection {
  offset: number;
  storedSize: number;
  rawSize: number;
  compressor: Compressor;
  /** sha256 of the raw bootstrap. */
  digest: Buffer;
}

/**
 * buildToc returns the entries in nydus order: image.blob, blob.meta,
 * blob.meta.header, blob.digest, image.boot; only image.boot without chunk data.
 * The image.blob offset is 0, where chunk data starts; 2.2-era blobs wrote its size
 * there instead, which readers must tolerate but writers need not copy.
 */
export function buildToc(data: DataSections | undefined, boot: BootSection): TocEntry[] {
  const entries: TocEntry[] = [];
  if (data !== undefined) {
    const { ciOffset, ciCompressedSize } = data;
    const headerAt = ciOffset + ciCompressedSize;
    const digestSize = data.digestArraySize;
    entries.push(
      section(SECTION_IMAGE_BLOB, 'none', data.imageBlobDigest, 0, data.chunkDataSize,
        data.uncompressedSize),
      section(SECTION_BLOB_META, data.ciCompressor, data.ciDigest, ciOffset, ciCompressedSize,
        data.ciUncompressedSize),
      section(SECTION_BLOB_META_HEADER, 'none', data.metaHeaderDigest, headerAt,
        META_HEADER_SIZE, META_HEADER_SIZE),
      section(SECTION_BLOB_DIGEST, 'none', data.digestArrayDigest, data.digestOffset,
        digestSize, digestSize),
    );
  }
  entries.push(
    section(SECTION_IMAGE_BOOT, boot.compressor, boot.digest, boot.offset, boot.storedSize,
      boot.rawSize),
  );
  return entries;
}

function section(
  name: string,
  compressor: Compressor,
  digest: Buffer,
  compressedOffset: number,
  compressedSize: number,
  uncompressedSize: number,
): TocEntry {
  return { name, compressor, digest, compressedOffset, compressedSize, uncompressedSize };
}
