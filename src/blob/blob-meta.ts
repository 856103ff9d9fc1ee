/**
 * Checks and decoders for a blob's metadata sections once the reader has their
 * bytes: the chunk-digest array, the CI array and the meta header against the ToC.
 */
import { FormatError } from '../errors.js';
import {
  CI_ENTRY_V1_SIZE,
  CI_ENTRY_V2_SIZE,
  decodeCiV1,
  decodeCiV2,
  type CiEntry,
} from './ci-array.js';
import { DIGEST_SIZE } from './digest.js';
import { FEATURE_CHUNK_INFO_V2 } from './features.js';
import { hex } from './hex.js';
import type { MetaHeader } from './meta-header.js';
import type { TocEntry } from './toc.js';

/** splitDigests cuts a `blob.digest` array into 32-byte digests; `at` is its offset. */
export function splitDigests(bytes: Buffer, at?: number): Buffer[] {
  if (bytes.length % DIGEST_SIZE !== 0) {
    const detail = `${hex(bytes.length)} is not a multiple of 32`;
    throw new FormatError('blob_digest', 'size', detail, at);
  }
  const out: Buffer[] = [];
  for (let off = 0; off < bytes.length; off += DIGEST_SIZE) {
    out.push(bytes.subarray(off, off + DIGEST_SIZE));
  }
  return out;
}

/** checkMetaAgainstToc requires the header and the `blob.meta` ToC entry to agree. */
export function checkMetaAgainstToc(h: MetaHeader, e: TocEntry): void {
  const pairs: [string, number, number][] = [
    ['s_ci_offset', h.ciOffset, e.compressedOffset],
    ['s_ci_compressed_size', h.ciCompressedSize, e.compressedSize],
    ['s_ci_uncompressed_size', h.ciUncompressedSize, e.uncompressedSize],
  ];
  for (const [field, inHeader, inToc] of pairs) {
    if (inHeader !== inToc) {
      const detail = `${hex(inHeader)}, but the blob.meta ToC entry says ${hex(inToc)}`;
      throw new FormatError('blob_meta_header', field, detail, e.compressedOffset);
    }
  }
  if (h.ciCompressor !== e.compressor) {
    const detail = `${h.ciCompressor}, but the blob.meta ToC entry says ${e.compressor}`;
    throw new FormatError('blob_meta_header', 's_ci_compressor', detail, e.compressedOffset);
  }
}

/**
 * decodeCi decodes the first `ciEntries` entries of an uncompressed CI array, V1 or
 * V2 as the header's features say. ZRAN or batch context records may follow the
 * entries; they are not decoded.
 */
export function decodeCi(raw: Buffer, h: MetaHeader): CiEntry[] {
  const v2 = (h.features & FEATURE_CHUNK_INFO_V2) !== 0;
  const need = h.ciEntries * (v2 ? CI_ENTRY_V2_SIZE : CI_ENTRY_V1_SIZE);
  if (raw.length < need) {
    const detail = `${hex(raw.length)} bytes hold fewer than ${h.ciEntries} entries`;
    throw new FormatError('ci_array', 's_ci_uncompressed_size', detail, h.ciOffset);
  }
  const body = raw.subarray(0, need);
  return v2 ? decodeCiV2(body, h.ciOffset) : decodeCiV1(body, h.ciOffset);
}
