/**
 * The chunk info record of the bootstrap chunk table, 80 bytes (the RAFS v5
 * chunk info layout; nydus-format.md §1.13).
 */

import { FormatError } from '../errors.js';
import { BLOCK_SIZE, hex, readU64, structAt, writeU64 } from './bytes.js';

/** CHUNK_INFO_SIZE is the size of one record. */
export const CHUNK_INFO_SIZE = 80;

/** CHUNK_FLAGS names the chunk flag bits. */
export const CHUNK_FLAGS = {
  COMPRESSED: 0x1,
  HOLE: 0x2,
  ENCRYPTED: 0x4,
  BATCH: 0x8,
  HAS_CRC32: 0x10,
} as const;

const KNOWN_CHUNK_FLAGS = 0x1f;
const BLOCK_ID = 0;
const BLOB_INDEX = 32;
const FLAGS = 36;
const COMPRESSED_SIZE = 40;
const UNCOMPRESSED_SIZE = 44;
const COMPRESSED_OFFSET = 48;
const UNCOMPRESSED_OFFSET = 56;
const FILE_OFFSET = 64;
const INDEX = 72;
const CRC32 = 76;

/** ChunkInfo is one decoded chunk table record. */
export interface ChunkInfo {
  /** Digest of the uncompressed chunk, 32 bytes. */
  digest: Buffer;
  blobIndex: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  compressedOffset: number;
  uncompressedOffset: number;
  /** Offset in the first file that used the chunk; meaningless when shared. */
  fileOffset: number;
  /** Chunk position in its blob. */
  index: number;
  crc32: number;
}

/** Encodes one record into `buf` at `off`. */
export function encodeChunkInfo(c: ChunkInfo, buf: Buffer, off: number): void {
  c.digest.copy(buf, off + BLOCK_ID, 0, 32);
  buf.writeUInt32LE(c.blobIndex, off + BLOB_INDEX);
  buf.writeUInt32LE(c.flags, off + FLAGS);
  buf.writeUInt32LE(c.compressedSize, off + COMPRESSED_SIZE);
  buf.writeUInt32LE(c.uncompressedSize, off + UNCOMPRESSED_SIZE);
  writeU64(buf, off + COMPRESSED_OFFSET, c.compressedOffset);
  writeU64(buf, off + UNCOMPRESSED_OFFSET, c.uncompressedOffset);
  writeU64(buf, off + FILE_OFFSET, c.fileOffset);
  buf.writeUInt32LE(c.index, off + INDEX);
  buf.writeUInt32LE(c.crc32 >>> 0, off + CRC32);
}

/** Decodes the record at absolute `base` of a bootstrap file. */
export function decodeChunkInfo(file: Buffer, base: number): ChunkInfo {
  const b = structAt(file, base, CHUNK_INFO_SIZE, 'chunk_info');
  const u64 = (off: number, field: string) => readU64(b, off, 'chunk_info', field, base);
  return {
    digest: Buffer.from(b.subarray(BLOCK_ID, BLOCK_ID + 32)),
    blobIndex: b.readUInt32LE(BLOB_INDEX),
    flags: b.readUInt32LE(FLAGS),
    compressedSize: b.readUInt32LE(COMPRESSED_SIZE),
    uncompressedSize: b.readUInt32LE(UNCOMPRESSED_SIZE),
    compressedOffset: u64(COMPRESSED_OFFSET, 'compressed_offset'),
    uncompressedOffset: u64(UNCOMPRESSED_OFFSET, 'uncompressed_offset'),
    fileOffset: u64(FILE_OFFSET, 'file_offset'),
    index: b.readUInt32LE(INDEX),
    crc32: b.readUInt32LE(CRC32),
  };
}

/** Validates a record at absolute `base` against the number of blobs in the table. */
export function validateChunkInfo(c: ChunkInfo, blobCount: number, base: number): void {
  const fail = (field: string, off: number, detail: string): never => {
    throw new FormatError('chunk_info', field, detail, base + off);
  };
  if (c.blobIndex >= blobCount) fail('blob_index', BLOB_INDEX, `${hex(c.blobIndex)} but ${blobCount} blobs`);
  if ((c.flags & ~KNOWN_CHUNK_FLAGS) !== 0) fail('flags', FLAGS, `unknown bits in ${hex(c.flags)}`);
  if (c.uncompressedOffset % BLOCK_SIZE !== 0) {
    fail('uncompressed_offset', UNCOMPRESSED_OFFSET, `not 4096-aligned: ${hex(c.uncompressedOffset)}`);
  }
}
