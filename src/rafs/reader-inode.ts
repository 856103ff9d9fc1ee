/**
 * Reading one on-disk inode of a RAFS v6 bootstrap: its core (compact or
 * extended), inline xattrs, and data bytes for FLAT_PLAIN and FLAT_INLINE
 * layouts (nydus-format.md §1.7, §1.10).
 */

import { FormatError } from '../errors.js';
import { BLOCK_SIZE, hex, structAt } from './bytes.js';
import { decodeCompactInode } from './inode-compact.js';
import { decodeExtendedInode } from './inode-extended.js';
import type { DiskInode } from './inode-format.js';
import { COMPACT_INODE_SIZE, EXTENDED_INODE_SIZE, INODE_LAYOUT, xattrAreaSize } from './inode-format.js';
import { SLOT_SIZE } from './allocator.js';
import { decodeXattrs } from './xattr.js';

/** LoadedInode is a decoded inode plus where its parts are. */
export interface LoadedInode {
  nid: number;
  disk: DiskInode;
  /** Absolute offset of the inode core. */
  pos: number;
  /** Absolute offset just past the core and xattrs (inline tail / chunk indexes follow). */
  bodyEnd: number;
  xattrs: Map<string, Buffer>;
}

/** DataSegment is one piece of an inode's data and its absolute offset. */
export interface DataSegment {
  bytes: Buffer;
  base: number;
}

/** Loads the inode `nid` of a file whose meta area starts at `metaBase`. */
export function loadInode(file: Buffer, metaBase: number, nid: number): LoadedInode {
  const pos = metaBase + nid * SLOT_SIZE;
  const format = structAt(file, pos, 2, 'inode').readUInt16LE(0);
  const disk = (format & 1) === 1 ? decodeExtendedInode(file, pos) : decodeCompactInode(file, pos);
  const coreSize = disk.version === 1 ? EXTENDED_INODE_SIZE : COMPACT_INODE_SIZE;
  const xattrSize = xattrAreaSize(disk.xattrIcount);
  const xattrs = decodeXattrs(file, pos + coreSize, xattrSize);
  return { nid, disk, pos, bodyEnd: pos + coreSize + xattrSize, xattrs };
}

/**
 * Returns the data of a FLAT_PLAIN or FLAT_INLINE inode as block-sized
 * segments (the last one shorter), each with its absolute offset.
 */
export function inodeData(file: Buffer, inode: LoadedInode): DataSegment[] {
  const { disk } = inode;
  const size = disk.size;
  const blocks = Math.ceil(size / BLOCK_SIZE);
  const inline = disk.layout === INODE_LAYOUT.FLAT_INLINE;
  if (disk.layout === INODE_LAYOUT.CHUNK_BASED) {
    throw new FormatError('inode', 'i_format', `chunk-based layout where plain data is needed (nid ${inode.nid})`, inode.pos);
  }
  const tail = inline ? size % BLOCK_SIZE : 0;
  if (inline && tail === 0) {
    throw new FormatError('inode', 'i_size', `inline layout with block-aligned size ${hex(size)} (nid ${inode.nid})`, inode.pos + 8);
  }
  if (inline && (inode.bodyEnd % BLOCK_SIZE) + tail > BLOCK_SIZE) {
    throw new FormatError('inode', 'i_size', `inline tail of ${hex(tail)} bytes crosses a block (nid ${inode.nid})`, inode.pos + 8);
  }
  const segments: DataSegment[] = [];
  for (let k = 0; k < blocks; k++) {
    const length = k < blocks - 1 ? BLOCK_SIZE : size - k * BLOCK_SIZE;
    const base = inline && k === blocks - 1 ? inode.bodyEnd : (disk.u + k) * BLOCK_SIZE;
    if (base + length > file.length) {
      throw new FormatError('inode', 'i_u', `data block ${hex(disk.u + k)} of nid ${inode.nid} is past the end`, inode.pos + 16);
    }
    segments.push({ bytes: file.subarray(base, base + length), base });
  }
  return segments;
}
