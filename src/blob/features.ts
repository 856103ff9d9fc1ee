/**
 * BlobFeatures bits (format doc §3.6), as stored in the blob table, the blob meta
 * header and the chunk-info header, and the two combinations this writer produces.
 */

/** Uncompressed chunk offsets are 4 KiB aligned (required for RAFS v6). */
export const FEATURE_ALIGNED = 0x0000_0001;
/** The bootstrap is inlined in the blob as `image.boot`. */
export const FEATURE_INLINED_FS_META = 0x0000_0002;
/** Chunk-info entries are 24-byte V2 entries instead of 16-byte V1 entries. */
export const FEATURE_CHUNK_INFO_V2 = 0x0000_0004;
/** The CI array carries gzip random-access contexts (OCI-ref). */
export const FEATURE_ZRAN = 0x0000_0008;
/** Data and metadata live in separate blobs. */
export const FEATURE_SEPARATE = 0x0000_0010;
/** The blob carries a `blob.digest` array of chunk digests. */
export const FEATURE_INLINED_CHUNK_DIGEST = 0x0000_0020;
/** Each section is followed by a 512-byte tar header. */
export const FEATURE_HAS_TAR_HEADER = 0x1000_0000;
/** The blob ends with a `rafs.blob.toc` table of contents. */
export const FEATURE_HAS_TOC = 0x2000_0000;
/** Built by nydus-image 2.2 or later; always set by current builders. */
export const FEATURE_CAP_TAR_TOC = 0x4000_0000;

/** Bits shared by every blob this writer produces. */
const FEATURES_BASE =
  FEATURE_ALIGNED | FEATURE_HAS_TAR_HEADER | FEATURE_HAS_TOC | FEATURE_CAP_TAR_TOC;

/**
 * FEATURES_LAYER_BLOB (0x70000023) is what a per-layer blob with chunks records in its
 * meta header and in its own embedded bootstrap.
 */
export const FEATURES_LAYER_BLOB =
  FEATURES_BASE | FEATURE_INLINED_FS_META | FEATURE_INLINED_CHUNK_DIGEST;

/**
 * FEATURES_MERGED_BLOB (0x70000021) is what the merged bootstrap records for the same
 * blob: merge clears INLINED_FS_META for the blobs it references.
 */
export const FEATURES_MERGED_BLOB = FEATURES_BASE | FEATURE_INLINED_CHUNK_DIGEST;

/**
 * layerFeatures returns the features of a per-layer blob (`inline`: as embedded in
 * its own bootstrap; otherwise as the merged bootstrap records it). A blob without
 * chunks has no `blob.digest` array, so INLINED_CHUNK_DIGEST is left out; nydus sets
 * that bit only for blob-toc blobs with at least one chunk (format doc §3.6).
 */
export function layerFeatures(chunkCount: number, inline: boolean): number {
  let f = inline ? FEATURES_LAYER_BLOB : FEATURES_MERGED_BLOB;
  if (chunkCount === 0) f &= ~FEATURE_INLINED_CHUNK_DIGEST;
  return f >>> 0;
}
