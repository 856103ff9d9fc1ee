/**
 * readBootstrap: decodes and validates a RAFS v6 bootstrap (nydus-format.md
 * §1.15) and rebuilds its file tree. Every structural problem is a FormatError
 * naming the struct, field, offset and bad value.
 */

import type { BlobInfo } from '../blob/types.js';
import { FormatError } from '../errors.js';
import type { TreeNode } from '../tree/types.js';
import { BLOCK_SIZE, hex } from './bytes.js';
import { BLOB_ENTRY_SIZE, blobInfoFromEntry, decodeBlobEntry, validateBlobEntry } from './blob-entry.js';
import type { ChunkInfo } from './chunk-info.js';
import { CHUNK_INFO_SIZE, decodeChunkInfo, validateChunkInfo } from './chunk-info.js';
import { decodeDeviceSlot, deviceSlotOffset, validateDeviceSlot } from './device-slot.js';
import type { RafsExtSuperblock } from './ext-superblock.js';
import { decodeExtSuperblock, validateExtSuperblock } from './ext-superblock.js';
import type { ErofsSuperblock } from './superblock.js';
import { EROFS_BLKSZBITS_4K, EROFS_SUPER_OFFSET, decodeSuperblock, validateSuperblock } from './superblock.js';
import { readTree } from './reader-tree.js';

/** RAFS_V5_MAGIC is the u32 at offset 0 of a RAFS v5 bootstrap. */
export const RAFS_V5_MAGIC = 0x52414653;

/** Bootstrap is everything readBootstrap decodes. */
export interface Bootstrap {
  superblock: ErofsSuperblock;
  ext: RafsExtSuperblock;
  /** Blob table entries in table order (ChunkRef.blobIndex indexes this). */
  blobs: BlobInfo[];
  chunkTable: ChunkInfo[];
  root: TreeNode;
  /** Number of distinct on-disk inodes (nids) the walk reached. */
  inodeCount: number;
  /** Prefetch table nids, up to the first 0. */
  prefetch: number[];
}

/** readBootstrap decodes, validates and walks a whole RAFS v6 bootstrap file. */
export function readBootstrap(buf: Buffer): Bootstrap {
  checkKind(buf);
  const superblock = decodeSuperblock(buf);
  validateSuperblock(superblock);
  if (superblock.blkszbits !== EROFS_BLKSZBITS_4K) {
    throw new FormatError('superblock', 's_blkszbits', `tarfs ${hex(superblock.blkszbits)} (512-byte blocks) is not supported`, EROFS_SUPER_OFFSET + 12);
  }
  const ext = decodeExtSuperblock(buf);
  validateExtSuperblock(ext, buf.length);
  const blobs = readBlobs(buf, superblock, ext);
  const chunkTable = readChunkTable(buf, ext, blobs.length);
  const chunks = new Map(chunkTable.map((c) => [`${c.blobIndex}:${c.index}`, c]));
  const { root, inodeCount } = readTree(
    { file: buf, metaBase: superblock.metaBlkaddr * BLOCK_SIZE, chunkSize: ext.chunkSize, blobCount: blobs.length, chunks },
    superblock.rootNid,
  );
  return { superblock, ext, blobs, chunkTable, root, inodeCount, prefetch: readPrefetch(buf, ext) };
}

/** Rejects RAFS v5 with a clear message, and sizes RAFS v6 cannot have. */
function checkKind(buf: Buffer): void {
  if (buf.length >= 8 && buf.readUInt32LE(0) === RAFS_V5_MAGIC) {
    throw new FormatError('bootstrap', 'magic', `RAFS v5 bootstrap (version ${hex(buf.readUInt32LE(4))}) is not supported; only RAFS v6`, 0);
  }
  if (buf.length < BLOCK_SIZE || buf.length % BLOCK_SIZE !== 0) {
    throw new FormatError('bootstrap', 'size', `${hex(buf.length)} bytes is not a non-zero multiple of 4096`);
  }
}

function readBlobs(buf: Buffer, sb: ErofsSuperblock, ext: RafsExtSuperblock): BlobInfo[] {
  const count = ext.blobTableSize / BLOB_ENTRY_SIZE;
  if (count !== sb.extraDevices) {
    throw new FormatError('superblock', 's_extra_devices', `${hex(sb.extraDevices)} but the blob table has ${count} entries`, EROFS_SUPER_OFFSET + 86);
  }
  return Array.from({ length: count }, (_, i) => {
    const base = ext.blobTableOffset + i * BLOB_ENTRY_SIZE;
    const entry = decodeBlobEntry(buf, base);
    validateBlobEntry(entry, i, ext.chunkSize, base);
    const slot = decodeDeviceSlot(buf, i);
    validateDeviceSlot(slot, i);
    if (slot.blobId !== entry.blobId) {
      throw new FormatError('device_slot', 'blob_id', `slot ${i} names ${slot.blobId}, blob table ${entry.blobId}`, deviceSlotOffset(i));
    }
    return blobInfoFromEntry(entry, base);
  });
}

function readChunkTable(buf: Buffer, ext: RafsExtSuperblock, blobCount: number): ChunkInfo[] {
  const count = ext.chunkTableSize / CHUNK_INFO_SIZE;
  return Array.from({ length: count }, (_, i) => {
    const base = ext.chunkTableOffset + i * CHUNK_INFO_SIZE;
    const info = decodeChunkInfo(buf, base);
    validateChunkInfo(info, blobCount, base);
    return info;
  });
}

function readPrefetch(buf: Buffer, ext: RafsExtSuperblock): number[] {
  const nids: number[] = [];
  for (let i = 0; i < ext.prefetchTableSize / 4; i++) {
    const nid = buf.readUInt32LE(ext.prefetchTableOffset + 4 * i);
    if (nid === 0) break;
    nids.push(nid);
  }
  return nids;
}
