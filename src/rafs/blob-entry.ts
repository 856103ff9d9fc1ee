/**
 * The RAFS v6 blob table entry `RafsV6Blob`: 256 bytes per blob at BT
 * (nydus-format.md §1.5), plus the BlobFeatures bits it carries (§3.6) and the
 * mapping to the shared `BlobInfo`.
 */

import type { BlobInfo, Compressor, Digester } from '../blob/types.js';
import { COMPRESSION_ID, DIGEST_ID } from '../blob/types.js';
import { FormatError } from '../errors.js';
import { hex, readPaddedString, readU64, structAt, writePaddedString, writeU64 } from './bytes.js';

/** BLOB_ENTRY_SIZE is the size of one blob table entry. */
export const BLOB_ENTRY_SIZE = 256;

/** BLOB_FEATURES names the BlobFeatures bits. */
export const BLOB_FEATURES = {
  ALIGNED: 0x1,
  INLINED_FS_META: 0x2,
  CHUNK_INFO_V2: 0x4,
  ZRAN: 0x8,
  SEPARATE: 0x10,
  INLINED_CHUNK_DIGEST: 0x20,
  TARFS: 0x40,
  BATCH: 0x80,
  ENCRYPTED: 0x100,
  IS_CHUNKDICT_GENERATED: 0x200,
  IS_SEPARATED_WITH_PREFETCH_FILES: 0x400,
  EXTERNAL: 0x800,
  HAS_TAR_HEADER: 0x1000_0000,
  HAS_TOC: 0x2000_0000,
  CAP_TAR_TOC: 0x4000_0000,
  V5_NO_EXT_BLOB_TABLE: 0x8000_0000,
} as const;

/** MAX_CHUNK_COUNT bounds chunk_count (24-bit chunk indexes). */
export const MAX_CHUNK_COUNT = 1 << 24;
const MAX_COMPRESSED_SIZE = 2 ** 40;
const MAX_UNCOMPRESSED_SIZE = 2 ** 44;
const CI_ENTRY_V1 = 16;
const CI_ENTRY_V2 = 24;

const BLOB_ID = 0;
const BLOB_INDEX = 64;
const CHUNK_SIZE = 68;
const CHUNK_COUNT = 72;
const COMPRESSION_ALGO = 76;
const DIGEST_ALGO = 80;
const FEATURES = 84;
const COMPRESSED_SIZE = 88;
const UNCOMPRESSED_SIZE = 96;
const BLOB_TOC_SIZE = 104;
const CI_COMPRESSOR = 108;
const CI_OFFSET = 112;
const CI_COMPRESSED_SIZE = 120;
const CI_UNCOMPRESSED_SIZE = 128;
const BLOB_TOC_DIGEST = 136;
const BLOB_META_DIGEST = 168;
const BLOB_META_SIZE = 200;
const CIPHER_IV = 208;
const CIPHER_ALGO = 216;
// 220..255 reserved.

/** RafsV6Blob holds one decoded blob table entry, algorithms as numeric ids. */
export interface RafsV6Blob {
  blobId: string;
  blobIndex: number;
  chunkSize: number;
  chunkCount: number;
  compressionAlgo: number;
  digestAlgo: number;
  features: number;
  compressedSize: number;
  uncompressedSize: number;
  blobTocSize: number;
  ciCompressor: number;
  ciOffset: number;
  ciCompressedSize: number;
  ciUncompressedSize: number;
  blobTocDigest: Buffer;
  blobMetaDigest: Buffer;
  blobMetaSize: number;
  cipherIv: Buffer;
  cipherAlgo: number;
}

/** Encodes a blob table entry into 256 bytes. */
export function encodeBlobEntry(e: RafsV6Blob): Buffer {
  const b = Buffer.alloc(BLOB_ENTRY_SIZE);
  writePaddedString(b, BLOB_ID, 64, e.blobId);
  b.writeUInt32LE(e.blobIndex, BLOB_INDEX);
  b.writeUInt32LE(e.chunkSize, CHUNK_SIZE);
  b.writeUInt32LE(e.chunkCount, CHUNK_COUNT);
  b.writeUInt32LE(e.compressionAlgo, COMPRESSION_ALGO);
  b.writeUInt32LE(e.digestAlgo, DIGEST_ALGO);
  b.writeUInt32LE(e.features >>> 0, FEATURES);
  writeU64(b, COMPRESSED_SIZE, e.compressedSize);
  writeU64(b, UNCOMPRESSED_SIZE, e.uncompressedSize);
  b.writeUInt32LE(e.blobTocSize, BLOB_TOC_SIZE);
  b.writeUInt32LE(e.ciCompressor, CI_COMPRESSOR);
  writeU64(b, CI_OFFSET, e.ciOffset);
  writeU64(b, CI_COMPRESSED_SIZE, e.ciCompressedSize);
  writeU64(b, CI_UNCOMPRESSED_SIZE, e.ciUncompressedSize);
  e.blobTocDigest.copy(b, BLOB_TOC_DIGEST, 0, 32);
  e.blobMetaDigest.copy(b, BLOB_META_DIGEST, 0, 32);
  writeU64(b, BLOB_META_SIZE, e.blobMetaSize);
  e.cipherIv.copy(b, CIPHER_IV, 0, 8);
  b.writeUInt32LE(e.cipherAlgo, CIPHER_ALGO);
  return b;
}

/** Decodes the blob table entry at absolute offset `base` of a bootstrap file. */
export function decodeBlobEntry(file: Buffer, base: number): RafsV6Blob {
  const b = structAt(file, base, BLOB_ENTRY_SIZE, 'blob_entry');
  const u64 = (off: number, field: string) => readU64(b, off, 'blob_entry', field, base);
  return {
    blobId: readPaddedString(b, BLOB_ID, 64),
    blobIndex: b.readUInt32LE(BLOB_INDEX),
    chunkSize: b.readUInt32LE(CHUNK_SIZE),
    chunkCount: b.readUInt32LE(CHUNK_COUNT),
    compressionAlgo: b.readUInt32LE(COMPRESSION_ALGO),
    digestAlgo: b.readUInt32LE(DIGEST_ALGO),
    features: b.readUInt32LE(FEATURES),
    compressedSize: u64(COMPRESSED_SIZE, 'compressed_size'),
    uncompressedSize: u64(UNCOMPRESSED_SIZE, 'uncompressed_size'),
    blobTocSize: b.readUInt32LE(BLOB_TOC_SIZE),
    ciCompressor: b.readUInt32LE(CI_COMPRESSOR),
    ciOffset: u64(CI_OFFSET, 'ci_offset'),
    ciCompressedSize: u64(CI_COMPRESSED_SIZE, 'ci_compressed_size'),
    ciUncompressedSize: u64(CI_UNCOMPRESSED_SIZE, 'ci_uncompressed_size'),
    blobTocDigest: Buffer.from(b.subarray(BLOB_TOC_DIGEST, BLOB_TOC_DIGEST + 32)),
    blobMetaDigest: Buffer.from(b.subarray(BLOB_META_DIGEST, BLOB_META_DIGEST + 32)),
    blobMetaSize: u64(BLOB_META_SIZE, 'blob_meta_size'),
    cipherIv: Buffer.from(b.subarray(CIPHER_IV, CIPHER_IV + 8)),
    cipherAlgo: b.readUInt32LE(CIPHER_ALGO),
  };
}

/**
 * Validates entry `position` at absolute `base` against the fs chunk size,
 * following `RafsV6Blob::validate` for a non-tarfs filesystem.
 */
export function validateBlobEntry(e: RafsV6Blob, position: number, fsChunkSize: number, base: number): void {
  const fail = (field: string, off: number, detail: string): never => {
    throw new FormatError('blob_entry', field, detail, base + off);
  };
  const F = BLOB_FEATURES;
  if (e.blobIndex !== position) fail('blob_index', BLOB_INDEX, `${hex(e.blobIndex)} at position ${position}`);
  if (e.chunkSize !== fsChunkSize) fail('chunk_size', CHUNK_SIZE, `${hex(e.chunkSize)} differs from fs ${hex(fsChunkSize)}`);
  if (e.chunkCount > MAX_CHUNK_COUNT) fail('chunk_count', CHUNK_COUNT, `too large: ${hex(e.chunkCount)}`);
  if (e.compressionAlgo > 3) fail('compression_algo', COMPRESSION_ALGO, `unknown ${hex(e.compressionAlgo)}`);
  if (e.digestAlgo > 1) fail('digest_algo', DIGEST_ALGO, `unknown ${hex(e.digestAlgo)}`);
  if (e.ciCompressor > 3) fail('ci_compressor', CI_COMPRESSOR, `unknown ${hex(e.ciCompressor)}`);
  const f = e.features >>> 0;
  if ((f & 0xf000) !== 0 || (f & F.V5_NO_EXT_BLOB_TABLE) !== 0) fail('features', FEATURES, `invalid bits in ${hex(f)}`);
  if ((f & F.ALIGNED) === 0) fail('features', FEATURES, `ALIGNED (0x1) missing in ${hex(f)}`);
  if ((f & (F.BATCH | F.ZRAN | F.ENCRYPTED)) !== 0 && (f & F.CHUNK_INFO_V2) === 0) {
    fail('features', FEATURES, `BATCH/ZRAN/ENCRYPTED need CHUNK_INFO_V2 in ${hex(f)}`);
  }
  if (e.compressedSize > MAX_COMPRESSED_SIZE) fail('compressed_size', COMPRESSED_SIZE, `too large: ${hex(e.compressedSize)}`);
  if (e.uncompressedSize > MAX_UNCOMPRESSED_SIZE) {
    fail('uncompressed_size', UNCOMPRESSED_SIZE, `too large: ${hex(e.uncompressedSize)}`);
  }
  if (e.ciCompressedSize > e.ciUncompressedSize) {
    fail('ci_compressed_size', CI_COMPRESSED_SIZE, `${hex(e.ciCompressedSize)} > uncompressed ${hex(e.ciUncompressedSize)}`);
  }
  const entry = (f & F.CHUNK_INFO_V2) !== 0 ? CI_ENTRY_V2 : CI_ENTRY_V1;
  const exact = (f & (F.ZRAN | F.BATCH | F.ENCRYPTED)) === 0;
  const need = e.chunkCount * entry;
  if (exact ? e.ciUncompressedSize !== need : e.ciUncompressedSize < need) {
    fail('ci_uncompressed_size', CI_UNCOMPRESSED_SIZE, `${hex(e.ciUncompressedSize)} for ${e.chunkCount} chunks`);
  }
}

const COMPRESSOR_BY_ID = new Map<number, Compressor>(
  (Object.entries(COMPRESSION_ID) as Array<[Compressor, number]>).map(([name, id]) => [id, name]),
);
const DIGESTER_BY_ID = new Map<number, Digester>(
  (Object.entries(DIGEST_ID) as Array<[Digester, number]>).map(([name, id]) => [id, name]),
);

/** Builds the entry for `info` at table position `index`; unused v6 fields are zero. */
export function blobEntryFromInfo(info: BlobInfo, index: number): RafsV6Blob {
  return {
    blobId: info.blobId,
    blobIndex: index,
    chunkSize: info.chunkSize,
    chunkCount: info.chunkCount,
    compressionAlgo: COMPRESSION_ID[info.compressor],
    digestAlgo: DIGEST_ID[info.digester],
    features: info.features,
    compressedSize: info.compressedSize,
    uncompressedSize: info.uncompressedSize,
    blobTocSize: info.tocSize,
    ciCompressor: COMPRESSION_ID[info.ciCompressor],
    ciOffset: info.ciOffset,
    ciCompressedSize: info.ciCompressedSize,
    ciUncompressedSize: info.ciUncompressedSize,
    blobTocDigest: info.tocDigest,
    blobMetaDigest: Buffer.alloc(32),
    blobMetaSize: 0,
    cipherIv: Buffer.alloc(8),
    cipherAlgo: 0,
  };
}

/**
 * Converts a validated entry at absolute `base` to a BlobInfo. Gzip (id 2) has
 * no `Compressor` name in this project and fails as unsupported.
 */
export function blobInfoFromEntry(e: RafsV6Blob, base: number): BlobInfo {
  const compressor = COMPRESSOR_BY_ID.get(e.compressionAlgo);
  const ciCompressor = COMPRESSOR_BY_ID.get(e.ciCompressor);
  const digester = DIGESTER_BY_ID.get(e.digestAlgo);
  if (compressor === undefined) {
    throw new FormatError('blob_entry', 'compression_algo', `unsupported ${hex(e.compressionAlgo)}`, base + COMPRESSION_ALGO);
  }
  if (ciCompressor === undefined) {
    throw new FormatError('blob_entry', 'ci_compressor', `unsupported ${hex(e.ciCompressor)}`, base + CI_COMPRESSOR);
  }
  if (digester === undefined) {
    throw new FormatError('blob_entry', 'digest_algo', `unsupported ${hex(e.digestAlgo)}`, base + DIGEST_ALGO);
  }
  return {
    blobId: e.blobId,
    chunkSize: e.chunkSize,
    chunkCount: e.chunkCount,
    compressor,
    digester,
    features: e.features >>> 0,
    compressedSize: e.compressedSize,
    uncompressedSize: e.uncompressedSize,
    ciCompressor,
    ciOffset: e.ciOffset,
    ciCompressedSize: e.ciCompressedSize,
    ciUncompressedSize: e.ciUncompressedSize,
    tocSize: e.blobTocSize,
    tocDigest: e.blobTocDigest,
  };
}
