/**
 * The extended EROFS inode (`erofs_inode_extended`), 64 bytes: what nydus-image
 * and this writer emit for every inode (nydus-format.md §1.7).
 */

import { readU64, structAt, writeU64 } from './bytes.js';
import type { DiskInode } from './inode-format.js';
import { EXTENDED_INODE_SIZE, INODE_VERSION_EXTENDED, decodeIFormat, encodeIFormat } from './inode-format.js';

const I_FORMAT = 0;
const I_XATTR_ICOUNT = 2;
const I_MODE = 4;
// 6: u16 reserved
const I_SIZE = 8;
const I_U = 16;
const I_INO = 20;
const I_UID = 24;
const I_GID = 28;
const I_MTIME = 32;
const I_MTIME_NSEC = 40;
const I_NLINK = 44;
// 48..63 reserved

/** Encodes an extended inode core (the `version` field is ignored: always 1). */
export function encodeExtendedInode(inode: DiskInode): Buffer {
  const b = Buffer.alloc(EXTENDED_INODE_SIZE);
  b.writeUInt16LE(encodeIFormat(INODE_VERSION_EXTENDED, inode.layout), I_FORMAT);
  b.writeUInt16LE(inode.xattrIcount, I_XATTR_ICOUNT);
  b.writeUInt16LE(inode.mode, I_MODE);
  writeU64(b, I_SIZE, inode.size);
  b.writeUInt32LE(inode.u >>> 0, I_U);
  b.writeUInt32LE(inode.ino, I_INO);
  b.writeUInt32LE(inode.uid, I_UID);
  b.writeUInt32LE(inode.gid, I_GID);
  writeU64(b, I_MTIME, inode.mtime);
  b.writeUInt32LE(inode.mtimeNsec, I_MTIME_NSEC);
  b.writeUInt32LE(inode.nlink, I_NLINK);
  return b;
}

/** Decodes the extended inode at absolute offset `base` of a bootstrap file. */
export function decodeExtendedInode(file: Buffer, base: number): DiskInode {
  const b = structAt(file, base, EXTENDED_INODE_SIZE, 'inode');
  const { layout } = decodeIFormat(b.readUInt16LE(I_FORMAT), base + I_FORMAT);
  return {
    version: INODE_VERSION_EXTENDED,
    layout,
    xattrIcount: b.readUInt16LE(I_XATTR_ICOUNT),
    mode: b.readUInt16LE(I_MODE),
    nlink: b.readUInt32LE(I_NLINK),
    size: readU64(b, I_SIZE, 'inode', 'i_size', base),
    u: b.readUInt32LE(I_U),
    ino: b.readUInt32LE(I_INO),
    uid: b.readUInt32LE(I_UID),
    gid: b.readUInt32LE(I_GID),
    mtime: readU64(b, I_MTIME, 'inode', 'i_mtime', base),
    mtimeNsec: b.readUInt32LE(I_MTIME_NSEC),
  };
}
