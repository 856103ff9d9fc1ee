/**
 * The chunk index entry of a CHUNK_BASED file (`erofs_inode_chunk_index`),
 * 8 bytes per chunk (nydus-format.md §1.12). RAFS packs its 24-bit chunk index
 * around the EROFS device id: the low byte of c_blob_addr_hi is blob index + 1.
 */

import { FormatError } from '../errors.js';
import { hex, structAt } from './bytes.js';

/** CHUNK_INDEX_SIZE is the size of one entry. */
export const CHUNK_INDEX_SIZE = 8;
/** MAX_CHUNK_INDEX is one past the largest chunk index (24 bits). */
export const MAX_CHUNK_INDEX = 1 << 24;
/** MAX_BLOB_INDEX is one past the largest blob index (the device id is one byte, 0 invalid). */
export const MAX_BLOB_INDEX = 255;

const C_BLOB_ADDR_LO = 0;
const C_BLOB_ADDR_HI = 2;
const C_BLK_ADDR = 4;
const DEVICE_ID_MASK = 0xff;
const CHUNK_INDEX_HI_SHIFT = 8;

/** ChunkIndex is one decoded entry. */
export interface ChunkIndex {
  /** Blob table position (device id − 1). */
  blobIndex: number;
  /** Chunk position in that blob. */
  chunkIndex: number;
  /** Uncompressed offset in the blob / 4096. */
  blkAddr: number;
}

/** Encodes one entry into `buf` at `off`; callers validate the ranges first. */
export function encodeChunkIndex(c: ChunkIndex, buf: Buffer, off: number): void {
  buf.writeUInt16LE(c.chunkIndex & 0xffff, off + C_BLOB_ADDR_LO);
  const hi = ((c.chunkIndex >>> 16) << CHUNK_INDEX_HI_SHIFT) | ((c.blobIndex + 1) & DEVICE_ID_MASK);
  buf.writeUInt16LE(hi, off + C_BLOB_ADDR_HI);
  buf.writeUInt32LE(c.blkAddr, off + C_BLK_ADDR);
}

/** Decodes the entry at absolute `base` of a bootstrap file; device id 0 is invalid. */
export function decodeChunkIndex(file: Buffer, base: number): ChunkIndex {
  const b = structAt(file, base, CHUNK_INDEX_SIZE, 'chunk_index');
  const lo = b.readUInt16LE(C_BLOB_ADDR_LO);
  const hi = b.readUInt16LE(C_BLOB_ADDR_HI);
  const device = hi & DEVICE_ID_MASK;
  if (device === 0) throw new FormatError('chunk_index', 'c_blob_addr_hi', `device id 0 in ${hex(hi)}`, base + C_BLOB_ADDR_HI);
  return { blobIndex: device - 1, chunkIndex: ((hi >>> CHUNK_INDEX_HI_SHIFT) << 16) | lo, blkAddr: b.readUInt32LE(C_BLK_ADDR) };
}

/** Validates ranges before encoding: blob index < 254, chunk index < 2^24, u32 block. */
export function validateChunkIndex(c: ChunkIndex): void {
  if (!(c.blobIndex >= 0 && c.blobIndex < MAX_BLOB_INDEX - 1)) {
    throw new FormatError('chunk_index', 'c_blob_addr_hi', `blob index ${hex(c.blobIndex)} out of range`);
  }
  if (!(c.chunkIndex >= 0 && c.chunkIndex < MAX_CHUNK_INDEX)) {
    throw new FormatError('chunk_index', 'c_blob_addr_lo', `chunk index ${hex(c.chunkIndex)} is not below 2^24`);
  }
  if (!(c.blkAddr >= 0 && c.blkAddr <= 0xffffffff)) {
    throw new FormatError('chunk_index', 'c_blk_addr', `block ${hex(c.blkAddr)} does not fit u32`);
  }
}
