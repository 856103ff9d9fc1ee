/**
 * What compact and extended EROFS inodes share (nydus-format.md §1.7): the
 * `i_format` word, the decoded form both struct modules produce, the `i_u`
 * encodings (chunk format, device number) and validation.
 */

import { FormatError } from '../errors.js';
import type { FileType } from '../tree/types.js';
import { typeFromMode } from '../tree/types.js';
import { hex } from './bytes.js';

/** INODE_VERSION_COMPACT and INODE_VERSION_EXTENDED are i_format bit 0. */
export const INODE_VERSION_COMPACT = 0;
/** INODE_VERSION_EXTENDED marks a 64-byte inode. */
export const INODE_VERSION_EXTENDED = 1;
/** INODE_LAYOUT holds the data layouts of i_format bits 1..3 (1 and 3 are compression, unused). */
export const INODE_LAYOUT = { FLAT_PLAIN: 0, FLAT_INLINE: 2, CHUNK_BASED: 4 } as const;
/** INODE_LAYOUT_SHIFT and INODE_LAYOUT_MASK locate the layout inside i_format. */
export const INODE_LAYOUT_SHIFT = 1;
/** INODE_LAYOUT_MASK selects the three layout bits after shifting. */
export const INODE_LAYOUT_MASK = 0x7;
/** COMPACT_INODE_SIZE and EXTENDED_INODE_SIZE are the two core sizes. */
export const COMPACT_INODE_SIZE = 32;
/** EXTENDED_INODE_SIZE is the size of the extended inode core. */
export const EXTENDED_INODE_SIZE = 64;
/** EROFS_CHUNK_FORMAT_INDEXES marks 8-byte chunk index entries in a file's i_u. */
export const EROFS_CHUNK_FORMAT_INDEXES = 0x20;
/** EROFS_CHUNK_FORMAT_BLKBITS_MASK holds chunk bits minus block bits in i_u. */
export const EROFS_CHUNK_FORMAT_BLKBITS_MASK = 0x1f;

/** Layout is one of the three data layouts RAFS uses. */
export type Layout = (typeof INODE_LAYOUT)[keyof typeof INODE_LAYOUT];

/** DiskInode is a decoded inode core; compact inodes report mtime 0 and 16-bit ids. */
export interface DiskInode {
  version: typeof INODE_VERSION_COMPACT | typeof INODE_VERSION_EXTENDED;
  layout: Layout;
  xattrIcount: number;
  /** Full st_mode including the S_IFMT type bits. */
  mode: number;
  nlink: number;
  size: number;
  /** i_u: chunk format, data block address or rdev depending on the type. */
  u: number;
  ino: number;
  uid: number;
  gid: number;
  mtime: number;
  mtimeNsec: number;
}

/** Packs version and layout into an i_format word. */
export function encodeIFormat(version: number, layout: Layout): number {
  return version | (layout << INODE_LAYOUT_SHIFT);
}

/**
 * Splits and checks an i_format word read at absolute `offset`: only the
 * version bit and layouts 0, 2 and 4 are valid.
 */
export function decodeIFormat(format: number, offset: number): { version: 0 | 1; layout: Layout } {
  const layout = (format >> INODE_LAYOUT_SHIFT) & INODE_LAYOUT_MASK;
  const valid = format >> 4 === 0 && (layout === 0 || layout === 2 || layout === 4);
  if (!valid) throw new FormatError('inode', 'i_format', `unsupported ${hex(format)}`, offset);
  return { version: (format & 1) as 0 | 1, layout: layout as Layout };
}

/** Returns the file type of a decoded inode, or fails when the mode has no known type. */
export function inodeFileType(inode: DiskInode, offset: number): FileType {
  const type = typeFromMode(inode.mode);
  if (type === undefined) throw new FormatError('inode', 'i_mode', `unknown file type in ${hex(inode.mode)}`, offset);
  return type;
}

/** Returns the xattr area size for an i_xattr_icount: 12 + 4·(icount − 1), or 0. */
export function xattrAreaSize(icount: number): number {
  return icount === 0 ? 0 : 12 + 4 * (icount - 1);
}

/** Encodes a device number the Linux `new_encode_dev` way. */
export function encodeRdev(major: number, minor: number): number {
  return (((major & 0xfff) << 8) | (minor & 0xff) | ((minor & 0xfff00) << 12)) >>> 0;
}

/** Decodes a `new_encode_dev` device number. */
export function decodeRdev(rdev: number): { major: number; minor: number } {
  return { major: (rdev >>> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}

/** Returns the i_u chunk-format word for a chunk size (a power of two ≥ 4096). */
export function chunkFormat(chunkBytes: number): number {
  return EROFS_CHUNK_FORMAT_INDEXES | (Math.log2(chunkBytes) - 12);
}
