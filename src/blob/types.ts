/**
 * Options and results of writing a Nydus data blob, shared by the blob writer, the
 * RAFS writer (which records blobs in its blob table) and the converter.
 */

/** Compressor names as the CLI accepts them. */
export type Compressor = 'zstd' | 'lz4_block' | 'none';

/** Chunk digest algorithms. */
export type Digester = 'blake3' | 'sha256';

/** Numeric compression ids used in the blob table, meta header and CI compressor. */
export const COMPRESSION_ID: Record<Compressor, number> = { none: 0, lz4_block: 1, zstd: 3 };

/** Numeric digest ids used in the blob table. */
export const DIGEST_ID: Record<Digester, number> = { blake3: 0, sha256: 1 };

/** Smallest chunk size RAFS v6 accepts (one 4 KiB block). */
export const MIN_CHUNK_SIZE = 0x1000;
/** Largest chunk size RAFS v6 accepts (16 MiB). */
export const MAX_CHUNK_SIZE = 0x100_0000;

/** Whether `size` is a valid chunk size: a power of two from 4 KiB to 16 MiB. */
export function isValidChunkSize(size: number): boolean {
  return Number.isInteger(size) && size >= MIN_CHUNK_SIZE && size <= MAX_CHUNK_SIZE && (size & (size - 1)) === 0;
}

/** BlobOptions are the build options that every blob of one image shares. */
export interface BlobOptions {
  /** Chunk size in bytes: a power of two from 0x1000 to 0x1000000. */
  chunkSize: number;
  compressor: Compressor;
  digester: Digester;
}

/**
 * BlobInfo is what a bootstrap's blob table records about one data blob. The blob
 * writer fills it once the chunk data and chunk-info sections are written.
 */
export interface BlobInfo {
  /** Blob id: hex sha256 (64 characters), or the inline placeholder. */
  blobId: string;
  chunkSize: number;
  chunkCount: number;
  compressor: Compressor;
  digester: Digester;
  /** BlobFeatures bits. */
  features: number;
  /** Size of the blob object in bytes (see the inline-meta caveat in the format doc). */
  compressedSize: number;
  /** End of the last chunk in uncompressed space, 4096-aligned. */
  uncompressedSize: number;
  /** Compressor of the chunk-info array (may be `none` when compression did not help). */
  ciCompressor: Compressor;
  ciOffset: number;
  ciCompressedSize: number;
  ciUncompressedSize: number;
  /** Size of the ToC entries plus their tar header; 0 when unknown. */
  tocSize: number;
  /** sha256 of the ToC entries plus their tar header; 32 zero bytes when unknown. */
  tocDigest: Buffer;
}
