/**
 * writeBootstrap: lays a file tree out as a RAFS v6 bootstrap, byte for byte in
 * the layout nydus-image uses (nydus-format.md §1.1):
 *
 *   0 ........ 1024 zero bytes
 *   1024 ..... EROFS superblock, then the RAFS extended superblock
 *   1408 ..... device slots (one per blob)
 *   BT ....... blob table, then the prefetch table
 *   MA ....... one empty block, then root inode (nid 128) and all other metadata
 *   CT ....... chunk info table, padded to 4 KiB
 */

import type { BlobInfo, BlobOptions } from '../blob/types.js';
import { NydusifyError } from '../errors.js';
import type { TreeNode } from '../tree/types.js';
import { BLOCK_SIZE, alignUp } from './bytes.js';
import { BLOB_ENTRY_SIZE, BLOB_FEATURES, blobEntryFromInfo, encodeBlobEntry, validateBlobEntry } from './blob-entry.js';
import { CHUNK_INFO_SIZE, encodeChunkInfo } from './chunk-info.js';
import type { ChunkInfo } from './chunk-info.js';
import { DEVICE_SLOT_SIZE, deviceSlotOffset, encodeDeviceSlot, mappedBlkaddrs } from './device-slot.js';
import type { RafsExtSuperblock } from './ext-superblock.js';
import { EXT_SUPER_OFFSET, encodeExtSuperblock, isValidChunkSize, validateExtSuperblock } from './ext-superblock.js';
import { RAFS_FLAGS, compressorFlag, digesterFlag } from './flags.js';
import type { ErofsSuperblock } from './superblock.js';
import * as SB from './superblock.js';
import { buildChunkTable, orderBlobs } from './writer-chunks.js';
import type { BlobTable } from './writer-chunks.js';
import { nidOfOffset, writeInode } from './writer-inodes.js';
import { placeInodes } from './writer-layout.js';
import type { PlacedInode } from './writer-layout.js';
import { planInodes } from './writer-plan.js';
import type { PlannedInode } from './writer-plan.js';

/** BootstrapOptions are the blob options plus bootstrap-only switches. */
export interface BootstrapOptions extends BlobOptions {
  /** Write a prefetch table holding the root nid ("prefetch everything"); default true. */
  prefetchAll?: boolean;
}

/** ROOT_NID is the nid nydus-image always gives the root directory. */
export const ROOT_NID = 128;

/** Section offsets of one bootstrap. */
interface Sections {
  blobTable: number;
  prefetchCount: number;
  meta: number;
  chunkTable: number;
  chunkTableSize: number;
  size: number;
}

/**
 * writeBootstrap encodes `root` as a RAFS v6 bootstrap. `ChunkRef.blobIndex`
 * indexes `blobs`; only referenced blobs enter the blob table, renumbered by
 * first use. The same tree always gives the same bytes.
 */
export function writeBootstrap(
  root: TreeNode,
  blobs: ReadonlyArray<BlobInfo | undefined>,
  opts: BootstrapOptions,
): Buffer {
  if (!isValidChunkSize(opts.chunkSize)) {
    throw new NydusifyError('ERR_USAGE', `chunk size ${opts.chunkSize} is not a power of two from 0x1000 to 0x1000000`);
  }
  const plan = planInodes(root);
  const table = orderBlobs(root, blobs);
  const chunks = buildChunkTable(plan.order, table);
  const { placed, end } = placeInodes(plan.order);
  const sections = layoutSections(table.blobs.length, opts.prefetchAll ?? true, end, chunks.length);
  const out = Buffer.alloc(sections.size);
  const nids = new Map<PlannedInode, number>(placed.map((p) => [p.plan, nidOfOffset(p.offset)]));
  writeHeaders(out, sections, plan.inodeCount, table, hasXattrs(placed), opts);
  const ctx = { out, metaBase: sections.meta, nidOf: (p: PlannedInode) => nids.get(p)!, blobPosition: table.position, opts };
  for (const p of placed) writeInode(ctx, p);
  writeChunkTable(out, sections.chunkTable, chunks);
  return out;
}

function layoutSections(blobCount: number, prefetchAll: boolean, metaEnd: number, chunkCount: number): Sections {
  const blobTable = alignUp(deviceSlotOffset(blobCount), BLOCK_SIZE);
  const prefetchCount = prefetchAll && blobCount > 0 ? 1 : 0;
  // Without blobs nydus-image starts the meta area at 0, so the root lands at 4096.
  const meta = blobCount === 0 ? 0 : alignUp(blobTable + BLOB_ENTRY_SIZE * blobCount + 4 * prefetchCount, BLOCK_SIZE);
  const chunkTable = alignUp(meta + metaEnd, BLOCK_SIZE);
  const chunkTableSize = CHUNK_INFO_SIZE * chunkCount;
  const size = alignUp(chunkTable + chunkTableSize, BLOCK_SIZE);
  return { blobTable, prefetchCount, meta, chunkTable, chunkTableSize, size };
}

function hasXattrs(placed: readonly PlacedInode[]): boolean {
  return placed.some((p) => p.xattrIcount > 0);
}

function rafsFlags(table: BlobTable, anyXattr: boolean, opts: BlobOptions): number {
  const allDigests = table.blobs.length > 0 && table.blobs.every((b) => (b.features & BLOB_FEATURES.INLINED_CHUNK_DIGEST) !== 0);
  return (
    RAFS_FLAGS.ENCRYPTION_NONE |
    compressorFlag(opts.compressor) |
    digesterFlag(opts.digester) |
    RAFS_FLAGS.EXPLICIT_UID_GID |
    (anyXattr ? RAFS_FLAGS.HAS_XATTR : 0) |
    (allDigests ? RAFS_FLAGS.INLINED_CHUNK_DIGEST : 0)
  );
}

function writeHeaders(out: Buffer, s: Sections, inos: number, table: BlobTable, anyXattr: boolean, opts: BlobOptions): void {
  const n = table.blobs.length;
  const blocks = table.blobs.map((b) => Math.ceil(b.uncompressedSize / BLOCK_SIZE));
  const sb: ErofsSuperblock = {
    magic: SB.EROFS_SUPER_MAGIC, checksum: 0, featureCompat: SB.EROFS_FEATURE_COMPAT_RAFS_V6,
    blkszbits: SB.EROFS_BLKSZBITS_4K, extslots: 0, rootNid: ROOT_NID, inos, buildTime: 0, buildTimeNsec: 0,
    blocks: blocks.reduce((a, b) => a + b, 0), metaBlkaddr: s.meta / BLOCK_SIZE, xattrBlkaddr: 0,
    featureIncompat: SB.RAFS_V6_INCOMPAT, u: 0, extraDevices: n, devtSlotoff: SB.RAFS_V6_DEVT_SLOTOFF,
  };
  const ext: RafsExtSuperblock = {
    flags: rafsFlags(table, anyXattr, opts), blobTableOffset: s.blobTable, blobTableSize: BLOB_ENTRY_SIZE * n,
    chunkSize: opts.chunkSize, chunkTableOffset: s.chunkTable, chunkTableSize: s.chunkTableSize,
    prefetchTableOffset: s.prefetchCount > 0 ? s.blobTable + BLOB_ENTRY_SIZE * n : 0, prefetchTableSize: 4 * s.prefetchCount,
  };
  SB.validateSuperblock(sb);
  encodeSuperblock(out, sb);
  validateExtSuperblock(ext, out.length);
  encodeExtSuperblock(ext).copy(out, EXT_SUPER_OFFSET);
  const mapped = mappedBlkaddrs(out.length, blocks);
  table.blobs.forEach((info, i) => {
    if (info.blobId.length === 0 || info.blobId.length > 64 || !/^[\x21-\x7e]+$/.test(info.blobId)) {
      throw new NydusifyError('ERR_TREE', `blob id ${JSON.stringify(info.blobId)} is not 1 to 64 printable ASCII bytes`);
    }
    const entry = blobEntryFromInfo(info, i);
    validateBlobEntry(entry, i, opts.chunkSize, s.blobTable + i * BLOB_ENTRY_SIZE);
    encodeBlobEntry(entry).copy(out, s.blobTable + i * BLOB_ENTRY_SIZE);
    const slot = encodeDeviceSlot({ blobId: info.blobId, blocks: blocks[i]!, mappedBlkaddr: mapped[i]! });
    slot.copy(out, deviceSlotOffset(i), 0, DEVICE_SLOT_SIZE);
  });
  if (s.prefetchCount > 0) out.writeUInt32LE(ROOT_NID, ext.prefetchTableOffset);
}

function encodeSuperblock(out: Buffer, sb: ErofsSuperblock): void {
  SB.encodeSuperblock(sb).copy(out, SB.EROFS_SUPER_OFFSET);
}

function writeChunkTable(out: Buffer, at: number, chunks: readonly ChunkInfo[]): void {
  chunks.forEach((c, i) => encodeChunkInfo(c, out, at + i * CHUNK_INFO_SIZE));
}
