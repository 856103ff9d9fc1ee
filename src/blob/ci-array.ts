/**
 * Chunk compression-info ("CI") entries, the `blob.meta` array (format doc §3.3): one
 * entry per chunk, in chunk-index order, saying where the chunk lies in the blob file
 * and in the blob's uncompressed address space.
 *
 * V1 entry, 16 bytes, two little-endian u64 words:
 *
 * | Word        | Bits  | Content                                  |
 * |-------------|-------|------------------------------------------|
 * | uncomp_info | 0–7   | reserved, 0                              |
 * |             | 8–11  | bits 20–23 of (usize − 1)                |
 * |             | 12–43 | uncompressed offset, 4 KiB aligned, in place |
 * |             | 44–63 | bits 0–19 of (usize − 1)                 |
 * | comp_info   | 0–39  | compressed offset                        |
 * |             | 40–43 | bits 20–23 of (csize − 1)                |
 * |             | 44–63 | bits 0–19 of (csize − 1)                 |
 *
 * V1 has no compressed flag: a chunk is compressed when csize ≠ usize.
 *
 * V2 entry, 24 bytes (decoded only, for blobs other builders made):
 *
 * | Word        | Bits  | Content                                         |
 * |-------------|-------|-------------------------------------------------|
 * | uncomp_info | 0–31  | uncompressed offset >> 12                       |
 * |             | 32–55 | usize − 1                                       |
 * |             | 56–63 | flags: 1 compressed, 2 zran, 4 batch, 8 encrypted, 0x10 has_crc32 |
 * | comp_info   | 0–39  | compressed offset                               |
 * |             | 40–63 | csize (not minus one)                           |
 * | data        | 0–31  | crc32 when has_crc32                            |
 */
import { FormatError } from '../errors.js';
import type { ChunkRef } from '../tree/types.js';
import { alignUp } from '../bytes.js';

/** CI_ENTRY_V1_SIZE is the size of a V1 entry. */
export const CI_ENTRY_V1_SIZE = 16;
/** CI_ENTRY_V2_SIZE is the size of a V2 entry. */
export const CI_ENTRY_V2_SIZE = 24;

const UNCOMP_INFO_OFFSET = 0;
const COMP_INFO_OFFSET = 8;
const V2_DATA_OFFSET = 16;

/** Chunk sizes span 1 .. 16 MiB: 24 bits of (size − 1), split 20 + 4 in V1. */
const SIZE_MAX = 0x100_0000;
const SIZE_LOW_BITS = 20n;
const SIZE_LOW_MASK = 0xf_ffffn;
const SIZE_HIGH_MASK = 0xfn;

const V1_SIZE_HIGH_SHIFT = 8n;
const V1_UOFFSET_MASK = 0xfff_ffff_f000n; // bits 12–43, kept in place
const V1_SIZE_LOW_SHIFT = 44n;
const V1_CSIZE_HIGH_SHIFT = 40n;
const COFFSET_MASK = 0xff_ffff_ffffn; // bits 0–39

const V2_UOFFSET_MASK = 0xffff_ffffn;
const V2_PAGE_SHIFT = 12n;
const V2_USIZE_SHIFT = 32n;
const V2_SIZE_MASK = 0xff_ffffn;
const V2_FLAGS_SHIFT = 56n;
const V2_CSIZE_SHIFT = 40n;
const V2_FLAG_COMPRESSED = 0x01;
const V2_FLAG_HAS_CRC32 = 0x10;
const V2_CRC_MASK = 0xffff_ffffn;

/** ALIGNMENT is the uncompressed-chunk alignment of RAFS v6 blobs. */
const ALIGNMENT = 0x1000;

/**
 * CiEntry is one decoded chunk-info entry: where a chunk lies, as a ChunkRef says
 * it (crc32 only from a V2 entry with has_crc32; V1 entries carry none).
 */
export type CiEntry = Pick<
  ChunkRef,
  'compressedOffset' | 'compressedSize' | 'uncompressedOffset' | 'uncompressedSize' | 'compressed' | 'crc32'
>;

/** encodeCiV1 writes V1 entries back to back. */
export function encodeCiV1(entries: CiEntry[]): Buffer {
  const buf = Buffer.alloc(entries.length * CI_ENTRY_V1_SIZE);
  entries.forEach((e, i) => encodeCiEntryV1(e, buf, i * CI_ENTRY_V1_SIZE, i));
  return buf;
}

/**
 * encodeCiEntryV1 writes entry number `index` at `off` in `buf` (16 bytes), for
 * writers that grow the array one chunk at a time.
 */
export function encodeCiEntryV1(e: CiEntry, buf: Buffer, off: number, index: number): void {
  checkEntry(e, index);
  const u = BigInt(e.uncompressedSize - 1);
  const c = BigInt(e.compressedSize - 1);
  const uncompInfo =
    ((u >> SIZE_LOW_BITS) << V1_SIZE_HIGH_SHIFT) |
    BigInt(e.uncompressedOffset) |
    ((u & SIZE_LOW_MASK) << V1_SIZE_LOW_SHIFT);
  const compInfo =
    BigInt(e.compressedOffset) |
    ((c >> SIZE_LOW_BITS) << V1_CSIZE_HIGH_SHIFT) |
    ((c & SIZE_LOW_MASK) << V1_SIZE_LOW_SHIFT);
  buf.writeBigUInt64LE(uncompInfo, off + UNCOMP_INFO_OFFSET);
  buf.writeBigUInt64LE(compInfo, off + COMP_INFO_OFFSET);
}

/** checkEntry rejects values the V1 bit fields cannot hold. */
function checkEntry(e: CiEntry, index: number): void {
  const field = (name: string, detail: string): FormatError =>
    new FormatError('ci_entry_v1', name, `chunk ${index}: ${detail}`);
  for (const [name, size] of [
    ['uncompressed_size', e.uncompressedSize],
    ['compressed_size', e.compressedSize],
  ] as const) {
    if (!Number.isInteger(size) || size < 1 || size > SIZE_MAX) {
      throw field(name, `0x${size.toString(16)} is not 1..0x1000000`);
    }
  }
  const uoff = BigInt(e.uncompressedOffset);
  if ((uoff & ~V1_UOFFSET_MASK) !== 0n) {
    throw field('uncompressed_offset', `0x${uoff.toString(16)} is not 4 KiB aligned below 2^44`);
  }
  if ((BigInt(e.compressedOffset) & ~COFFSET_MASK) !== 0n) {
    throw field('compressed_offset', `0x${e.compressedOffset.toString(16)} exceeds 2^40`);
  }
  if (e.compressed !== (e.compressedSize !== e.uncompressedSize)) {
    throw field('compressed_size', 'V1 infers compression from csize != usize; sizes disagree');
  }
}

/** decodeCiV1 reads an array of V1 entries; `at` is its offset, for errors. */
export function decodeCiV1(buf: Buffer, at = 0): CiEntry[] {
  checkArrayLength(buf, CI_ENTRY_V1_SIZE, at);
  const entries: CiEntry[] = [];
  for (let off = 0; off < buf.length; off += CI_ENTRY_V1_SIZE) {
    const uncompInfo = buf.readBigUInt64LE(off + UNCOMP_INFO_OFFSET);
    const compInfo = buf.readBigUInt64LE(off + COMP_INFO_OFFSET);
    const usize =
      (((uncompInfo >> V1_SIZE_HIGH_SHIFT) & SIZE_HIGH_MASK) << SIZE_LOW_BITS) |
      (uncompInfo >> V1_SIZE_LOW_SHIFT);
    const csize =
      (((compInfo >> V1_CSIZE_HIGH_SHIFT) & SIZE_HIGH_MASK) << SIZE_LOW_BITS) |
      (compInfo >> V1_SIZE_LOW_SHIFT);
    entries.push({
      compressedOffset: Number(compInfo & COFFSET_MASK),
      compressedSize: Number(csize) + 1,
      uncompressedOffset: Number(uncompInfo & V1_UOFFSET_MASK),
      uncompressedSize: Number(usize) + 1,
      compressed: csize !== usize,
    });
  }
  return entries;
}

/** decodeCiV2 reads an array of V2 entries; `at` is its offset, for errors. */
export function decodeCiV2(buf: Buffer, at = 0): CiEntry[] {
  checkArrayLength(buf, CI_ENTRY_V2_SIZE, at);
  const entries: CiEntry[] = [];
  for (let off = 0; off < buf.length; off += CI_ENTRY_V2_SIZE) {
    const uncompInfo = buf.readBigUInt64LE(off + UNCOMP_INFO_OFFSET);
    const compInfo = buf.readBigUInt64LE(off + COMP_INFO_OFFSET);
    const data = buf.readBigUInt64LE(off + V2_DATA_OFFSET);
    const flags = Number(uncompInfo >> V2_FLAGS_SHIFT);
    const entry: CiEntry = {
      compressedOffset: Number(compInfo & COFFSET_MASK),
      compressedSize: Number(compInfo >> V2_CSIZE_SHIFT),
      uncompressedOffset: Number((uncompInfo & V2_UOFFSET_MASK) << V2_PAGE_SHIFT),
      uncompressedSize: Number((uncompInfo >> V2_USIZE_SHIFT) & V2_SIZE_MASK) + 1,
      compressed: (flags & V2_FLAG_COMPRESSED) !== 0,
    };
    if ((flags & V2_FLAG_HAS_CRC32) !== 0) entry.crc32 = Number(data & V2_CRC_MASK);
    entries.push(entry);
  }
  return entries;
}

function checkArrayLength(buf: Buffer, entrySize: number, at: number): void {
  if (buf.length % entrySize !== 0) {
    const detail = `length 0x${buf.length.toString(16)} is not a multiple of ${entrySize}`;
    throw new FormatError('ci_array', 'length', detail, at);
  }
}

/** align4K rounds up to the next multiple of 4096, the uncompressed-chunk alignment. */
export function align4K(n: number): number {
  return alignUp(n, ALIGNMENT);
}
