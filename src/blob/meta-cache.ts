/**
 * The cache form of a blob's chunk-info array, `<blob id>.blob.meta`: the
 * uncompressed CI array zero-padded to 4 KiB, then the 4096-byte meta header
 * (format doc §3.4). nydus-snapshotter ≥ 0.15.10 finds one per layer in the
 * bootstrap layer, so it need not fetch it from each blob at mount time.
 */
import { alignUp } from '../bytes.js';
import { encodeCiV1 } from './ci-array.js';
import { encodeMetaHeader } from './meta-header.js';
import type { BlobFile } from './reader.js';

/** Block size the CI array is padded to. */
const META_CACHE_ALIGN = 4096;

/**
 * Builds the cache file of a blob written by this project (V1 CI entries), or
 * returns undefined for a blob without chunks, which has no chunk-info array.
 */
export function blobMetaCache(blob: BlobFile): Buffer | undefined {
  if (!blob.metaHeader || !blob.ciEntries || blob.ciEntries.length === 0) return undefined;
  const ci = encodeCiV1(blob.ciEntries);
  const padded = Buffer.alloc(alignUp(ci.length, META_CACHE_ALIGN));
  ci.copy(padded);
  return Buffer.concat([padded, encodeMetaHeader(blob.metaHeader)]);
}
