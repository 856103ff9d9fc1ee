/**
 * The RAFS v6 extended superblock: 256 bytes at 1152, right after the EROFS
 * superblock (nydus-format.md §1.3). EROFS ignores it; nydusd reads the blob,
 * chunk and prefetch tables from it.
 */

import { FormatError } from '../errors.js';
import { BLOCK_SIZE, hex, readU64, structAt, writeU64 } from './bytes.js';
import { validateRafsFlags } from './flags.js';

/** EXT_SUPER_OFFSET is where the extended superblock starts in the file. */
export const EXT_SUPER_OFFSET = 1152;
/** EXT_SUPER_SIZE is the extended superblock's size in bytes. */
export const EXT_SUPER_SIZE = 256;
import { isValidChunkSize } from '../blob/types.js';
export { isValidChunkSize, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../blob/types.js';
/** BLOB_ENTRY_SIZE and CHUNK_INFO_SIZE are the table record sizes the sizes must divide by. */
const BLOB_ENTRY_SIZE = 256;
const CHUNK_INFO_SIZE = 80;

const EXT_FLAGS = 0;
const EXT_BLOB_TABLE_OFFSET = 8;
const EXT_BLOB_TABLE_SIZE = 16;
const EXT_CHUNK_SIZE = 20;
const EXT_CHUNK_TABLE_OFFSET = 24;
const EXT_CHUNK_TABLE_SIZE = 32;
const EXT_PREFETCH_TABLE_OFFSET = 40;
const EXT_PREFETCH_TABLE_SIZE = 48;
// 52: u32 padding, 56..255: reserved.

/** RafsExtSuperblock holds the decoded extended superblock. */
export interface RafsExtSuperblock {
  flags: number;
  blobTableOffset: number;
  blobTableSize: number;
  chunkSize: number;
  chunkTableOffset: number;
  chunkTableSize: number;
  prefetchTableOffset: number;
  prefetchTableSize: number;
}

/** Encodes an extended superblock into 256 bytes. */
export function encodeExtSuperblock(ext: RafsExtSuperblock): Buffer {
  const b = Buffer.alloc(EXT_SUPER_SIZE);
  writeU64(b, EXT_FLAGS, ext.flags);
  writeU64(b, EXT_BLOB_TABLE_OFFSET, ext.blobTableOffset);
  b.writeUInt32LE(ext.blobTableSize, EXT_BLOB_TABLE_SIZE);
  b.writeUInt32LE(ext.chunkSize, EXT_CHUNK_SIZE);
  writeU64(b, EXT_CHUNK_TABLE_OFFSET, ext.chunkTableOffset);
  writeU64(b, EXT_CHUNK_TABLE_SIZE, ext.chunkTableSize);
  writeU64(b, EXT_PREFETCH_TABLE_OFFSET, ext.prefetchTableOffset);
  b.writeUInt32LE(ext.prefetchTableSize, EXT_PREFETCH_TABLE_SIZE);
  return b;
}

/** Decodes the extended superblock of a whole bootstrap file. */
export function decodeExtSuperblock(file: Buffer): RafsExtSuperblock {
  const base = EXT_SUPER_OFFSET;
  const b = structAt(file, base, EXT_SUPER_SIZE, 'ext_superblock');
  const u64 = (off: number, field: string) => readU64(b, off, 'ext_superblock', field, base);
  return {
    flags: u64(EXT_FLAGS, 's_flags'),
    blobTableOffset: u64(EXT_BLOB_TABLE_OFFSET, 's_blob_table_offset'),
    blobTableSize: b.readUInt32LE(EXT_BLOB_TABLE_SIZE),
    chunkSize: b.readUInt32LE(EXT_CHUNK_SIZE),
    chunkTableOffset: u64(EXT_CHUNK_TABLE_OFFSET, 's_chunk_table_offset'),
    chunkTableSize: u64(EXT_CHUNK_TABLE_SIZE, 's_chunk_table_size'),
    prefetchTableOffset: u64(EXT_PREFETCH_TABLE_OFFSET, 's_prefetch_table_offset'),
    prefetchTableSize: b.readUInt32LE(EXT_PREFETCH_TABLE_SIZE),
  };
}


/**
 * Validates the extended superblock against a file of `fileSize` bytes: flags,
 * chunk size, table alignment, bounds and overlap (`RafsV6SuperBlockExt::validate`).
 */
export function validateExtSuperblock(ext: RafsExtSuperblock, fileSize: number): void {
  const fail = (field: string, off: number, detail: string): never => {
    throw new FormatError('ext_superblock', field, detail, EXT_SUPER_OFFSET + off);
  };
  validateRafsFlags(ext.flags, EXT_SUPER_OFFSET + EXT_FLAGS);
  if (!isValidChunkSize(ext.chunkSize)) {
    fail('s_chunk_size', EXT_CHUNK_SIZE, `not a power of two in [0x1000, 0x1000000]: ${hex(ext.chunkSize)}`);
  }
  const bt = ext.blobTableOffset;
  if (bt < BLOCK_SIZE || bt % BLOCK_SIZE !== 0) {
    fail('s_blob_table_offset', EXT_BLOB_TABLE_OFFSET, `must be 4096-aligned and >= 4096: ${hex(bt)}`);
  }
  if (ext.blobTableSize % BLOB_ENTRY_SIZE !== 0) {
    fail('s_blob_table_size', EXT_BLOB_TABLE_SIZE, `not a multiple of 256: ${hex(ext.blobTableSize)}`);
  }
  if (bt + ext.blobTableSize > fileSize) {
    fail('s_blob_table_offset', EXT_BLOB_TABLE_OFFSET, `table ${hex(bt)}+${hex(ext.blobTableSize)} is past the end`);
  }
  const ct = ext.chunkTableOffset;
  if (ext.chunkTableSize !== 0) {
    if (ct % BLOCK_SIZE !== 0) fail('s_chunk_table_offset', EXT_CHUNK_TABLE_OFFSET, `not 4096-aligned: ${hex(ct)}`);
    if (ext.chunkTableSize % CHUNK_INFO_SIZE !== 0) {
      fail('s_chunk_table_size', EXT_CHUNK_TABLE_SIZE, `not a multiple of 80: ${hex(ext.chunkTableSize)}`);
    }
    if (ct + ext.chunkTableSize > fileSize) {
      fail('s_chunk_table_offset', EXT_CHUNK_TABLE_OFFSET, `table ${hex(ct)}+${hex(ext.chunkTableSize)} is past the end`);
    }
  }
  validatePrefetch(ext, fileSize, fail);
  checkOverlap(ext, fail);
}

type Fail = (field: string, off: number, detail: string) => never;

function validatePrefetch(ext: RafsExtSuperblock, fileSize: number, fail: Fail): void {
  const pt = ext.prefetchTableOffset;
  if (ext.prefetchTableSize === 0) return;
  if (pt % 8 !== 0 || ext.prefetchTableSize % 4 !== 0) {
    fail('s_prefetch_table_offset', EXT_PREFETCH_TABLE_OFFSET, `misaligned table ${hex(pt)}+${hex(ext.prefetchTableSize)}`);
  }
  if (pt + ext.prefetchTableSize > fileSize) {
    fail('s_prefetch_table_offset', EXT_PREFETCH_TABLE_OFFSET, `table ${hex(pt)}+${hex(ext.prefetchTableSize)} is past the end`);
  }
}

function checkOverlap(ext: RafsExtSuperblock, fail: Fail): void {
  const tables: Array<[string, number, number, number]> = [
    ['s_blob_table_offset', EXT_BLOB_TABLE_OFFSET, ext.blobTableOffset, ext.blobTableSize],
    ['s_chunk_table_offset', EXT_CHUNK_TABLE_OFFSET, ext.chunkTableOffset, ext.chunkTableSize],
    ['s_prefetch_table_offset', EXT_PREFETCH_TABLE_OFFSET, ext.prefetchTableOffset, ext.prefetchTableSize],
  ];
  for (let i = 0; i < tables.length; i++) {
    for (let j = i + 1; j < tables.length; j++) {
      const [, , s1, n1] = tables[i]!;
      const [field, off, s2, n2] = tables[j]!;
      if (n1 > 0 && n2 > 0 && s1 < s2 + n2 && s2 < s1 + n1) {
        fail(field, off, `table at ${hex(s2)} overlaps the table at ${hex(s1)}`);
      }
    }
  }
}
