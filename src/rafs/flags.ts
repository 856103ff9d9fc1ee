/**
 * RafsSuperFlags: the u64 `s_flags` word of the RAFS v6 extended superblock
 * (nydus-format.md §1.3). Exactly one compression bit and one hash bit are set;
 * nydusd refuses unknown bits.
 */

import type { Compressor, Digester } from '../blob/types.js';
import { FormatError } from '../errors.js';
import { hex } from './bytes.js';

/** RAFS_FLAGS names every RafsSuperFlags bit. */
export const RAFS_FLAGS = {
  COMPRESSION_NONE: 0x1,
  COMPRESSION_LZ4: 0x2,
  HASH_BLAKE3: 0x4,
  HASH_SHA256: 0x8,
  EXPLICIT_UID_GID: 0x10,
  HAS_XATTR: 0x20,
  COMPRESSION_GZIP: 0x40,
  COMPRESSION_ZSTD: 0x80,
  INLINED_CHUNK_DIGEST: 0x100,
  TARTFS_MODE: 0x200,
  ENCRYPTION_NONE: 0x0100_0000,
  ENCRYPTION_ASE_128_XTS: 0x0200_0000,
} as const;

/** RAFS_FLAGS_RESERVED_COMPAT are the high bits readers accept and ignore. */
export const RAFS_FLAGS_RESERVED_COMPAT = 0xfc00_0000;

const KNOWN_BITS = Object.values(RAFS_FLAGS).reduce((a, b) => a | b, 0) >>> 0;
const COMPRESSION_BITS: ReadonlyArray<[number, Compressor | 'gzip']> = [
  [RAFS_FLAGS.COMPRESSION_NONE, 'none'],
  [RAFS_FLAGS.COMPRESSION_LZ4, 'lz4_block'],
  [RAFS_FLAGS.COMPRESSION_GZIP, 'gzip'],
  [RAFS_FLAGS.COMPRESSION_ZSTD, 'zstd'],
];
const HASH_BITS: ReadonlyArray<[number, Digester]> = [
  [RAFS_FLAGS.HASH_BLAKE3, 'blake3'],
  [RAFS_FLAGS.HASH_SHA256, 'sha256'],
];

/** Returns the compression flag bit for a compressor. */
export function compressorFlag(compressor: Compressor): number {
  return COMPRESSION_BITS.find(([, name]) => name === compressor)![0];
}

/** Returns the hash flag bit for a digester. */
export function digesterFlag(digester: Digester): number {
  return HASH_BITS.find(([, name]) => name === digester)![0];
}

/**
 * Validates a flags word: no unknown bits, exactly one compression and one hash
 * bit. `offset` is the absolute position of s_flags for the error.
 */
export function validateRafsFlags(flags: number, offset: number): void {
  const unknown = flags - (flags % 2 ** 32) !== 0 || ((flags >>> 0) & ~(KNOWN_BITS | RAFS_FLAGS_RESERVED_COMPAT)) !== 0;
  if (unknown) throw new FormatError('ext_superblock', 's_flags', `unknown bits in ${hex(flags)}`, offset);
  const compression = COMPRESSION_BITS.filter(([bit]) => (flags & bit) !== 0);
  if (compression.length !== 1) {
    throw new FormatError('ext_superblock', 's_flags', `need exactly one compression bit, got ${hex(flags)}`, offset);
  }
  const hash = HASH_BITS.filter(([bit]) => (flags & bit) !== 0);
  if (hash.length !== 1) {
    throw new FormatError('ext_superblock', 's_flags', `need exactly one hash bit, got ${hex(flags)}`, offset);
  }
}

/** Returns the compressor a (validated) flags word names; gzip is reported as such. */
export function compressorOfFlags(flags: number): Compressor | 'gzip' {
  return COMPRESSION_BITS.find(([bit]) => (flags & bit) !== 0)![1];
}

/** Returns the digester a (validated) flags word names. */
export function digesterOfFlags(flags: number): Digester {
  return HASH_BITS.find(([bit]) => (flags & bit) !== 0)![1];
}
