/**
 * The compact EROFS inode (`erofs_inode_compact`), 32 bytes (nydus-format.md
 * §1.7). nydus no longer writes it, but a reader must accept it; like nydus's
 * own reader this one reports mtime 0 (the reserved word is not a timestamp).
 */

import { structAt } from './bytes.js';
import type { DiskInode } from './inode-format.js';
import { COMPACT_INODE_SIZE, INODE_VERSION_COMPACT, decodeIFormat, encodeIFormat } from './inode-format.js';

const I_FORMAT = 0;
const I_XATTR_ICOUNT = 2;
const I_MODE = 4;
const I_NLINK = 6;
const I_SIZE = 8;
// 12: u32 reserved
const I_U = 16;
const I_INO = 20;
const I_UID = 24;
const I_GID = 26;
// 28..31 reserved

/** Encodes a compact inode core; callers check that ids, nlink and size fit. */
export function encodeCompactInode(inode: DiskInode): Buffer {
  const b = Buffer.alloc(COMPACT_INODE_SIZE);
  b.writeUInt16LE(encodeIFormat(INODE_VERSION_COMPACT, inode.layout), I_FORMAT);
  b.writeUInt16LE(inode.xattrIcount, I_XATTR_ICOUNT);
  b.writeUInt16LE(inode.mode, I_MODE);
  b.writeUInt16LE(inode.nlink, I_NLINK);
  b.writeUInt32LE(inode.size, I_SIZE);
  b.writeUInt32LE(inode.u >>> 0, I_U);
  b.writeUInt32LE(inode.ino, I_INO);
  b.writeUInt16LE(inode.uid, I_UID);
  b.writeUInt16LE(inode.gid, I_GID);
  return b;
}

/** Decodes the compact inode at absolute offset `base` of a bootstrap file. */
export function decodeCompactInode(file: Buffer, base: number): DiskInode {
  const b = structAt(file, base, COMPACT_INODE_SIZE, 'inode');
  const { layout } = decodeIFormat(b.readUInt16LE(I_FORMAT), base + I_FORMAT);
  return {
    version: INODE_VERSION_COMPACT,
    layout,
    xattrIcount: b.readUInt16LE(I_XATTR_ICOUNT),
    mode: b.readUInt16LE(I_MODE),
    nlink: b.readUInt16LE(I_NLINK),
    size: b.readUInt32LE(I_SIZE),
    u: b.readUInt32LE(I_U),
    ino: b.readUInt32LE(I_INO),
    uid: b.readUInt16LE(I_UID),
    gid: b.readUInt16LE(I_GID),
    mtime: 0,
    mtimeNsec: 0,
  };
}
