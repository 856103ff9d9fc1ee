/**
 * The second pass of the bootstrap writer: sizes each planned inode (core,
 * xattrs, inline tail, chunk indexes) and places it in the virtual meta space
 * with nydus-image's rules (nydus-format.md §1.8), so the nids match what
 * nydus-image would produce for the same tree.
 */

import { NydusifyError } from '../errors.js';
import { fromByteString } from '../tree/types.js';
import { MetaAllocator } from './allocator.js';
import { BLOCK_SIZE, alignUp } from './bytes.js';
import { CHUNK_INDEX_SIZE } from './chunk-index.js';
import { directorySize } from './dir-block.js';
import { EXTENDED_INODE_SIZE, INODE_LAYOUT } from './inode-format.js';
import type { Layout } from './inode-format.js';
import { encodeXattrs } from './xattr.js';
import type { PlannedInode } from './writer-plan.js';

/** SYMLINK_MAX is the longest symlink target a RAFS reader accepts. */
export const SYMLINK_MAX = 4096;

/** PlacedInode is a planned inode with its position and sizes. */
export interface PlacedInode {
  plan: PlannedInode;
  /** Offset in the virtual meta space (file offset − MA); nid = offset / 32. */
  offset: number;
  layout: Layout;
  xattrs: Buffer;
  xattrIcount: number;
  /** Inode core + xattr area. */
  metaSize: number;
  /** i_size on disk: dirent area, target length or file size. */
  dataSize: number;
  /** Virtual offset of the first non-inline data block (dirs and symlinks). */
  dataOffset: number;
}

/** Returns the sorted names a directory stores, `.` and `..` included. */
export function direntNames(plan: PlannedInode): string[] {
  return ['.', '..', ...plan.children.map((c) => c.name)].sort();
}

function dataSizeOf(plan: PlannedInode): number {
  const inode = plan.inode;
  if (inode.type === 'dir') return directorySize(direntNames(plan));
  if (inode.type === 'symlink') {
    if (inode.linkTarget.length === 0) throw new NydusifyError('ERR_TREE', `${fromByteString(plan.path)}: symlink has an empty target`);
    if (inode.linkTarget.length > SYMLINK_MAX) {
      throw new NydusifyError('ERR_TREE', `${fromByteString(plan.path)}: symlink target is over ${SYMLINK_MAX} bytes`);
    }
    return inode.linkTarget.length;
  }
  return inode.type === 'file' ? inode.size : 0;
}

/** Places every inode of `order` (root first) and returns them with the end of the meta space. */
export function placeInodes(order: readonly PlannedInode[]): { placed: PlacedInode[]; end: number } {
  const alloc = new MetaAllocator();
  const placed = order.map((plan) => {
    const { area, icount } = encodeXattrs(plan.inode.xattrs, fromByteString(plan.path));
    const metaSize = EXTENDED_INODE_SIZE + area.length;
    if (metaSize > BLOCK_SIZE) {
      throw new NydusifyError('ERR_TREE', `${fromByteString(plan.path)}: inode and xattrs take ${metaSize} bytes, over one 4096-byte block`);
    }
    const p: PlacedInode = { plan, offset: 0, layout: INODE_LAYOUT.FLAT_PLAIN, xattrs: area, xattrIcount: icount, metaSize, dataSize: dataSizeOf(plan), dataOffset: 0 };
    placeOne(alloc, p);
    alloc.alignSlot();
    return p;
  });
  return { placed, end: alloc.off };
}

function placeOne(alloc: MetaAllocator, p: PlacedInode): void {
  switch (p.plan.inode.type) {
    case 'file':
      p.layout = INODE_LAYOUT.CHUNK_BASED;
      p.offset = alloc.place(alignUp(p.metaSize, 8) + CHUNK_INDEX_SIZE * p.plan.inode.chunks.length);
      return;
    case 'dir':
    case 'symlink':
      placeWithData(alloc, p);
      return;
    default:
      // Devices, FIFOs and sockets never reuse free tails in nydus-image.
      p.offset = alloc.off;
      alloc.off += p.metaSize;
  }
}

/** Places a directory or symlink: INLINE when its tail fits the inode's block, else PLAIN. */
function placeWithData(alloc: MetaAllocator, p: PlacedInode): void {
  const tail = p.dataSize % BLOCK_SIZE;
  if (tail !== 0 && p.metaSize + tail <= BLOCK_SIZE) {
    p.layout = INODE_LAYOUT.FLAT_INLINE;
    const need = p.metaSize + tail;
    const at = alloc.allocate(need);
    if (at !== undefined) {
      p.offset = at;
    } else {
      if (BLOCK_SIZE - (alloc.off % BLOCK_SIZE) < need) alloc.closeBlock();
      p.offset = alloc.off;
      alloc.off += need;
    }
    if (p.dataSize !== tail) alloc.closeBlock();
    p.dataOffset = alloc.off;
    alloc.off += p.dataSize - tail;
    return;
  }
  p.layout = INODE_LAYOUT.FLAT_PLAIN;
  p.offset = alloc.place(p.metaSize);
  alloc.closeBlock();
  p.dataOffset = alloc.off;
  alloc.off = alignUp(alloc.off + p.dataSize, BLOCK_SIZE);
}
