/**
 * The 4096-byte blob meta header (`BlobCompressionContextHeader`, format doc §3.4). It
 * sits right after the chunk-info array, and nydusd reads both in one request of
 * `ci_compressed_size + 4096` bytes from `ci_offset`.
 *
 * | Off  | Size   | Field                  |
 * |------|--------|------------------------|
 * | 0    | u32    | s_magic 0xB10BB10B     |
 * | 4    | u32    | s_features             |
 * | 8    | u32    | s_ci_compressor        |
 * | 12   | u32    | s_ci_entries           |
 * | 16   | u64    | s_ci_offset            |
 * | 24   | u64    | s_ci_compressed_size   |
 * | 32   | u64    | s_ci_uncompressed_size |
 * | 40   | u64    | s_ci_zran_offset       |
 * | 48   | u64    | s_ci_zran_size         |
 * | 56   | u32    | s_ci_zran_count        |
 * | 60   | [4032] | reserved, zeros        |
 * | 4092 | u32    | s_magic2 0xB10BB10B    |
 */
import { FormatError } from '../errors.js';
import { hex } from './hex.js';
import { compressorOfId } from './ids.js';
import { COMPRESSION_ID, type Compressor } from './types.js';
import { readU64, writeU64 } from '../bytes.js';

/** META_HEADER_SIZE is the size of the header. */
export const META_HEADER_SIZE = 4096;
/** META_HEADER_MAGIC opens and closes the header. */
export const META_HEADER_MAGIC = 0xb10bb10b;

const MAGIC_OFFSET = 0;
const FEATURES_OFFSET = 4;
const CI_COMPRESSOR_OFFSET = 8;
const CI_ENTRIES_OFFSET = 12;
const CI_OFFSET_OFFSET = 16;
const CI_COMPRESSED_SIZE_OFFSET = 24;
const CI_UNCOMPRESSED_SIZE_OFFSET = 32;
const CI_ZRAN_OFFSET_OFFSET = 40;
const CI_ZRAN_SIZE_OFFSET = 48;
const CI_ZRAN_COUNT_OFFSET = 56;
const MAGIC2_OFFSET = 4092;

const STRUCT = 'blob_meta_header';

/** MetaHeader is the decoded header. */
export interface MetaHeader {
  features: number;
  ciCompressor: Compressor;
  ciEntries: number;
  ciOffset: number;
  ciCompressedSize: number;
  ciUncompressedSize: number;
  /** Offset of ZRAN/batch contexts inside the uncompressed CI data; 0 here. */
  ciZranOffset: number;
  ciZranSize: number;
  ciZranCount: number;
}

/** encodeMetaHeader writes the 4096-byte header. */
export function encodeMetaHeader(h: MetaHeader): Buffer {
  const buf = Buffer.alloc(META_HEADER_SIZE);
  buf.writeUInt32LE(META_HEADER_MAGIC, MAGIC_OFFSET);
  buf.writeUInt32LE(h.features >>> 0, FEATURES_OFFSET);
  buf.writeUInt32LE(COMPRESSION_ID[h.ciCompressor], CI_COMPRESSOR_OFFSET);
  buf.writeUInt32LE(h.ciEntries, CI_ENTRIES_OFFSET);
  writeU64(buf, CI_OFFSET_OFFSET, h.ciOffset);
  writeU64(buf, CI_COMPRESSED_SIZE_OFFSET, h.ciCompressedSize);
  writeU64(buf, CI_UNCOMPRESSED_SIZE_OFFSET, h.ciUncompressedSize);
  writeU64(buf, CI_ZRAN_OFFSET_OFFSET, h.ciZranOffset);
  writeU64(buf, CI_ZRAN_SIZE_OFFSET, h.ciZranSize);
  buf.writeUInt32LE(h.ciZranCount, CI_ZRAN_COUNT_OFFSET);
  buf.writeUInt32LE(META_HEADER_MAGIC, MAGIC2_OFFSET);
  return buf;
}

/**
 * decodeMetaHeader reads and validates a header. `at`, its offset in the blob when
 * known, both places errors and checks that the CI array ends right before it.
 */
export function decodeMetaHeader(buf: Buffer, at?: number): MetaHeader {
  const base = at ?? 0;
  if (buf.length !== META_HEADER_SIZE) {
    throw new FormatError(STRUCT, 'length', `0x${buf.length.toString(16)} bytes, want 0x1000`, at);
  }
  checkMagic(buf, MAGIC_OFFSET, 's_magic', base);
  checkMagic(buf, MAGIC2_OFFSET, 's_magic2', base);
  const u64 = (off: number, field: string): number => readU64(buf, off, STRUCT, field, base);
  const h: MetaHeader = {
    features: buf.readUInt32LE(FEATURES_OFFSET),
    ciCompressor: compressorOfId(
      buf.readUInt32LE(CI_COMPRESSOR_OFFSET),
      STRUCT,
      's_ci_compressor',
      base + CI_COMPRESSOR_OFFSET,
    ),
    ciEntries: buf.readUInt32LE(CI_ENTRIES_OFFSET),
    ciOffset: u64(CI_OFFSET_OFFSET, 's_ci_offset'),
    ciCompressedSize: u64(CI_COMPRESSED_SIZE_OFFSET, 's_ci_compressed_size'),
    ciUncompressedSize: u64(CI_UNCOMPRESSED_SIZE_OFFSET, 's_ci_uncompressed_size'),
    ciZranOffset: u64(CI_ZRAN_OFFSET_OFFSET, 's_ci_zran_offset'),
    ciZranSize: u64(CI_ZRAN_SIZE_OFFSET, 's_ci_zran_size'),
    ciZranCount: buf.readUInt32LE(CI_ZRAN_COUNT_OFFSET),
  };
  validateMetaHeader(h, at);
  return h;
}

function checkMagic(buf: Buffer, off: number, field: string, at: number): void {
  const v = buf.readUInt32LE(off);
  if (v !== META_HEADER_MAGIC) {
    throw new FormatError(STRUCT, field, `0x${v.toString(16)}, want 0xb10bb10b`, at + off);
  }
}

/**
 * validateMetaHeader checks the rules a header must satisfy on its own: the CI array
 * ends where the header begins (`at`, when known), and the compressed size does not
 * exceed the uncompressed size.
 */
export function validateMetaHeader(h: MetaHeader, at?: number): void {
  const sizes = `${hex(h.ciCompressedSize)} vs uncompressed ${hex(h.ciUncompressedSize)}`;
  if (h.ciCompressedSize > h.ciUncompressedSize) {
    throw new FormatError(STRUCT, 's_ci_compressed_size', `${sizes}: larger`, at);
  }
  if (h.ciCompressor === 'none' && h.ciCompressedSize !== h.ciUncompressedSize) {
    throw new FormatError(STRUCT, 's_ci_compressed_size', `${sizes}: differ for none`, at);
  }
  const ciEnd = h.ciOffset + h.ciCompressedSize;
  if (at !== undefined && ciEnd !== at) {
    const detail = `CI array ends at ${hex(ciEnd)}, header is at ${hex(at)}`;
    throw new FormatError(STRUCT, 's_ci_offset', detail, at);
  }
}
