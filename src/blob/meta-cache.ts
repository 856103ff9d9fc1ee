/**
 * The cache form of a blob's chunk-info array, `<blob id>.blob.meta`: the
 * uncompressed CI array zero-padded to 4 KiB, then the 4096-byte meta header
 * (format doc §3.4). nydus-snapshotter ≥ 0.15.10 finds one per layer in the
 * bootstrap layer, so it need not fetch it from each blob at mount time.
 */
import { alignUp } from '../bytes.js';

/** Block size the CI array is padded to. */
const META_CACHE_ALIGN = 4096;

/** Builds the cache file from the uncompressed CI array and the encoded meta header. */
export function metaCacheFile(ciArray: Buffer, metaHeader: Buffer): Buffer {
  const padded = Buffer.alloc(alignUp(ciArray.length, META_CACHE_ALIGN));
  ciArray.copy(padded);
  return Buffer.concat([padded, metaHeader]);
}
