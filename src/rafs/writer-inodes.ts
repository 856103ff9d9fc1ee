/**
 * The last pass of the bootstrap writer: encodes each placed inode with its
 * xattrs, inline tail, data blocks and chunk indexes into the output buffer.
 */

import type { BlobOptions } from '../blob/types.js';
import { NydusifyError } from '../errors.js';
import type { ChunkRef } from '../tree/types.js';
import { fromByteString, typeBits } from '../tree/types.js';
import { BLOCK_SIZE, alignUp } from './bytes.js';
import { CHUNK_INDEX_SIZE, encodeChunkIndex } from './chunk-index.js';
import { encodeDirectory } from './dir-block.js';
import { DIRENT_FILE_TYPE } from './dirent.js';
import { encodeExtendedInode } from './inode-extended.js';
import { INODE_LAYOUT, INODE_VERSION_EXTENDED, chunkFormat, encodeRdev } from './inode-format.js';
import { SLOT_SIZE } from './allocator.js';
import type { PlacedInode } from './writer-layout.js';
import { direntNames } from './writer-layout.js';
import type { PlannedInode } from './writer-plan.js';

/** InodeWriteContext is what encoding an inode needs besides the inode itself. */
export interface InodeWriteContext {
  out: Buffer;
  /** File offset of the meta area (MA). */
  metaBase: number;
  nidOf: (plan: PlannedInode) => number;
  blobPosition: ReadonlyMap<number, number>;
  opts: BlobOptions;
}

/** Writes one placed inode and everything that belongs to it into `ctx.out`. */
export function writeInode(ctx: InodeWriteContext, p: PlacedInode): void {
  const inode = p.plan.inode;
  checkRanges(p.plan);
  const pos = ctx.metaBase + p.offset;
  const core = encodeExtendedInode({
    version: INODE_VERSION_EXTENDED,
    layout: p.layout,
    xattrIcount: p.xattrIcount,
    mode: typeBits(inode.type) | (inode.perm & 0o7777),
    nlink: p.plan.nlink,
    size: p.dataSize,
    u: iUnion(ctx, p),
    ino: p.plan.ino,
    uid: inode.uid,
    gid: inode.gid,
    mtime: inode.mtime,
    mtimeNsec: 0,
  });
  core.copy(ctx.out, pos);
  p.xattrs.copy(ctx.out, pos + core.length);
  if (inode.type === 'file') writeChunkIndexes(ctx, p, alignUp(pos + p.metaSize, 8));
  const data = dataOf(ctx, p);
  if (data === null) return;
  const tail = p.layout === INODE_LAYOUT.FLAT_INLINE ? data.length % BLOCK_SIZE : 0;
  data.copy(ctx.out, ctx.metaBase + p.dataOffset, 0, data.length - tail);
  if (tail !== 0) data.copy(ctx.out, pos + p.metaSize, data.length - tail);
}

/** Largest value of the extended inode's u32 uid and gid fields. */
const MAX_ID = 0xffff_ffff;

/** Refuses owners and times the extended inode cannot hold, naming the path. */
function checkRanges(plan: PlannedInode): void {
  const { uid, gid, mtime } = plan.inode;
  const bad =
    !(Number.isInteger(uid) && uid >= 0 && uid <= MAX_ID) ? `uid ${uid}` :
    !(Number.isInteger(gid) && gid >= 0 && gid <= MAX_ID) ? `gid ${gid}` :
    !(Number.isSafeInteger(mtime) && mtime >= 0) ? `mtime ${mtime}` : undefined;
  if (bad !== undefined) {
    throw new NydusifyError('ERR_TREE', `${fromByteString(plan.path)}: ${bad} does not fit a RAFS v6 inode (uid and gid are 32-bit, mtime is unsigned)`);
  }
}

function iUnion(ctx: InodeWriteContext, p: PlacedInode): number {
  const inode = p.plan.inode;
  switch (inode.type) {
    case 'file':
      return chunkFormat(fileChunkBytes(inode.chunks, inode.size, ctx.opts.chunkSize));
    case 'dir':
    case 'symlink':
      return Math.floor((ctx.metaBase + p.dataOffset) / BLOCK_SIZE);
    default:
      return encodeRdev(inode.devMajor, inode.devMinor);
  }
}

/**
 * Returns the chunk size EROFS should use for a file. Current nydus-image maps a
 * file whose chunks are contiguous in one blob as a single chunk of the next
 * power of two; the per-chunk indexes are still written for nydusd.
 */
export function fileChunkBytes(chunks: readonly ChunkRef[], size: number, chunkSize: number): number {
  if (size <= chunkSize || chunks.length < 2) return chunkSize;
  const contiguous = chunks.every(
    (c, i) => i === 0 || (c.blobIndex === chunks[0]!.blobIndex && c.uncompressedOffset === chunks[i - 1]!.uncompressedOffset + chunkSize),
  );
  return contiguous ? 2 ** Math.ceil(Math.log2(size)) : chunkSize;
}

function writeChunkIndexes(ctx: InodeWriteContext, p: PlacedInode, at: number): void {
  const inode = p.plan.inode;
  const expected = Math.ceil(inode.size / ctx.opts.chunkSize);
  if (inode.chunks.length !== expected) {
    throw new NydusifyError(
      'ERR_TREE',
      `${fromByteString(p.plan.path)}: ${inode.chunks.length} chunks for ${inode.size} bytes; chunk size ${ctx.opts.chunkSize} needs ${expected}`,
    );
  }
  inode.chunks.forEach((chunk, i) => {
    const blobIndex = ctx.blobPosition.get(chunk.blobIndex)!;
    const blkAddr = chunk.uncompressedOffset / BLOCK_SIZE;
    encodeChunkIndex({ blobIndex, chunkIndex: chunk.chunkIndex, blkAddr }, ctx.out, at + i * CHUNK_INDEX_SIZE);
  });
}

function dataOf(ctx: InodeWriteContext, p: PlacedInode): Buffer | null {
  const inode = p.plan.inode;
  if (inode.type === 'symlink') return Buffer.from(inode.linkTarget, 'latin1');
  if (inode.type !== 'dir') return null;
  const byName = new Map(p.plan.children.map((c) => [c.name, c.target]));
  const entries = direntNames(p.plan).map((name) => {
    const target = name === '.' ? p.plan : name === '..' ? p.plan.parent! : byName.get(name)!;
    return { name, nid: ctx.nidOf(target), fileType: DIRENT_FILE_TYPE[target.inode.type] };
  });
  return encodeDirectory(entries);
}

/** Returns the nid of a virtual offset. */
export function nidOfOffset(offset: number): number {
  return offset / SLOT_SIZE;
}
