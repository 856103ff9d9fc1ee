/**
 * Bootstrap rules: the merged bootstrap agrees with the manifest and with every
 * data blob it names.
 *
 * For each blob-table entry (values the bootstrap records are compared with what
 * the manifest or the blob itself holds; "expected" is the bootstrap's side except
 * for layer sizes, where the manifest is the reference):
 * 1. its id names a blob layer of the manifest, and where the bootstrap records
 *    the blob's real size (a non-zero ToC size; inline-meta builds record the
 *    offset of `image.boot` instead) the layer has exactly that size;
 * 2. the blob opens: ToC, inlined sections and their sha256, meta header and CI
 *    array all pass the blob reader's validation (a failure is a difference);
 * 3. the ToC exists when the blob's features say so, and its size and digest are
 *    the ones recorded, unless recorded as zero;
 * 4. the meta header and CI array agree with the entry: chunk count, CI offset,
 *    sizes and compressor;
 * 5. each chunk-table record of the blob has a CI entry at its index with the same
 *    offsets, sizes and compressed flag, and the blob's digest array (when it has
 *    one) holds the same digest.
 */
import type { BlobFile } from '../blob/reader.js';
import { FEATURE_HAS_TOC, FEATURE_INLINED_CHUNK_DIGEST } from '../blob/features.js';
import type { BlobInfo } from '../blob/types.js';
import type { NydusImage } from '../nydus/open-image.js';
import { hex } from '../bytes.js';
import { CHUNK_FLAGS, type ChunkInfo } from '../rafs/chunk-info.js';
import { ABSENT, DifferenceLog, isDifferenceError } from './differences.js';

/** checkBootstrap applies the bootstrap rules to an opened Nydus image. */
export async function checkBootstrap(image: NydusImage): Promise<DifferenceLog> {
  const log = new DifferenceLog('bootstrap');
  const { blobs, chunkTable } = image.bootstrap;
  const blobLayers = image.image.manifest.layers.slice(0, -1);
  for (const [i, info] of blobs.entries()) {
    const at = `blobs[${i}]`;
    const layer = blobLayers.find((l) => l.digest === `sha256:${info.blobId}`);
    if (!layer) {
      log.add(`${at}.blob_id`, 'the digest of a blob layer in the manifest', `sha256:${info.blobId}`);
      continue;
    }
    if (info.tocSize !== 0) {
      log.expect(`${at}.compressed_size (vs layer size)`, String(layer.size), String(info.compressedSize));
    } else if (info.compressedSize > layer.size) {
      log.add(`${at}.compressed_size (vs layer size)`, `at most ${layer.size}`, String(info.compressedSize));
    }
    const blob = await openBlob(image, i, log);
    if (!blob) continue;
    checkBlobHeaders(info, blob, at, log);
    checkChunks(chunkTable, i, blob, log);
  }
  return log;
}

async function openBlob(image: NydusImage, index: number, log: DifferenceLog): Promise<BlobFile | undefined> {
  try {
    return await image.blob(index);
  } catch (err) {
    if (!isDifferenceError(err)) throw err;
    log.add(`blobs[${index}] (data blob)`, 'a valid Nydus data blob', err.message);
    return undefined;
  }
}

function checkBlobHeaders(info: BlobInfo, blob: BlobFile, at: string, log: DifferenceLog): void {
  if (blob.toc === null) {
    if ((info.features & FEATURE_HAS_TOC) !== 0) log.add(`${at}.toc`, 'a ToC (features has HAS_TOC)', ABSENT);
  } else if (info.tocSize !== 0) {
    log.expect(`${at}.blob_toc_size`, String(info.tocSize), String(blob.toc.size));
    if (info.tocDigest.some((b) => b !== 0)) {
      log.expect(`${at}.blob_toc_digest`, info.tocDigest.toString('hex'), blob.toc.digest.toString('hex'));
    }
  }
  if ((info.features & FEATURE_INLINED_CHUNK_DIGEST) !== 0 && blob.chunkDigests === null) {
    log.add(`${at}.blob.digest`, 'a chunk digest array (features has INLINED_CHUNK_DIGEST)', ABSENT);
  }
  const h = blob.metaHeader;
  if (h === null) {
    if (info.chunkCount > 0) log.add(`${at}.blob.meta.header`, `a meta header for ${info.chunkCount} chunks`, ABSENT);
    return;
  }
  log.expect(`${at}.chunk_count`, String(info.chunkCount), String(h.ciEntries));
  log.expect(`${at}.ci_offset`, hex(info.ciOffset), hex(h.ciOffset));
  log.expect(`${at}.ci_compressed_size`, String(info.ciCompressedSize), String(h.ciCompressedSize));
  log.expect(`${at}.ci_uncompressed_size`, String(info.ciUncompressedSize), String(h.ciUncompressedSize));
  log.expect(`${at}.ci_compressor`, info.ciCompressor, h.ciCompressor);
  log.expect(`${at}.chunk_count (CI array entries)`, String(info.chunkCount), String(blob.ciEntries?.length ?? 0));
}

function checkChunks(table: ChunkInfo[], blobIndex: number, blob: BlobFile, log: DifferenceLog): void {
  const entries = blob.ciEntries ?? [];
  table.forEach((chunk, k) => {
    if (chunk.blobIndex !== blobIndex) return;
    const at = `chunk_table[${k}] (blob ${blobIndex} chunk ${chunk.index})`;
    const ci = entries[chunk.index];
    if (ci === undefined) {
      log.add(at, 'an entry in the blob CI array', `the CI array has ${entries.length} entries`);
      return;
    }
    log.expect(`${at}.compressed_offset`, hex(chunk.compressedOffset), hex(ci.compressedOffset));
    log.expect(`${at}.compressed_size`, String(chunk.compressedSize), String(ci.compressedSize));
    log.expect(`${at}.uncompressed_offset`, hex(chunk.uncompressedOffset), hex(ci.uncompressedOffset));
    log.expect(`${at}.uncompressed_size`, String(chunk.uncompressedSize), String(ci.uncompressedSize));
    const compressed = (chunk.flags & CHUNK_FLAGS.COMPRESSED) !== 0;
    log.expect(`${at}.compressed`, String(compressed), String(ci.compressed));
    const digest = blob.chunkDigests?.[chunk.index];
    if (digest !== undefined) log.expect(`${at}.digest`, chunk.digest.toString('hex'), digest.toString('hex'));
  });
}
