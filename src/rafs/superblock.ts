/**
 * The EROFS superblock: 128 bytes at offset 1024 of a RAFS v6 bootstrap
 * (nydus-format.md §1.2). Field offsets are relative to the struct start.
 */

import { FormatError } from '../errors.js';
import { hex, readU64, structAt, writeU64 } from './bytes.js';

/** EROFS_SUPER_OFFSET is where the superblock starts in the file. */
export const EROFS_SUPER_OFFSET = 1024;
/** EROFS_SUPER_SIZE is the superblock's size in bytes. */
export const EROFS_SUPER_SIZE = 128;
/** EROFS_SUPER_MAGIC is s_magic of every EROFS image. */
export const EROFS_SUPER_MAGIC = 0xe0f5e1e2;
/** EROFS_FEATURE_COMPAT_RAFS_V6 marks a RAFS v6 bootstrap in s_feature_compat. */
export const EROFS_FEATURE_COMPAT_RAFS_V6 = 0x4000_0000;
/** EROFS_FEATURE_INCOMPAT_CHUNKED_FILE: files use chunk indexes. */
export const EROFS_FEATURE_INCOMPAT_CHUNKED_FILE = 0x4;
/** EROFS_FEATURE_INCOMPAT_DEVICE_TABLE: the image has a device slot table. */
export const EROFS_FEATURE_INCOMPAT_DEVICE_TABLE = 0x8;
/** RAFS_V6_INCOMPAT is the exact s_feature_incompat a RAFS v6 reader requires. */
export const RAFS_V6_INCOMPAT = EROFS_FEATURE_INCOMPAT_CHUNKED_FILE | EROFS_FEATURE_INCOMPAT_DEVICE_TABLE;
/** RAFS_V6_DEVT_SLOTOFF puts the device table at 11 × 128 = 1408. */
export const RAFS_V6_DEVT_SLOTOFF = 11;
/** EROFS_BLKSZBITS_4K is log2 of the 4 KiB block size nydus uses. */
export const EROFS_BLKSZBITS_4K = 12;
/** EROFS_BLKSZBITS_512 is the tarfs block size, recognised but not supported here. */
export const EROFS_BLKSZBITS_512 = 9;

const SB_MAGIC = 0;
const SB_CHECKSUM = 4;
const SB_FEATURE_COMPAT = 8;
const SB_BLKSZBITS = 12;
const SB_EXTSLOTS = 13;
const SB_ROOT_NID = 14;
const SB_INOS = 16;
const SB_BUILD_TIME = 24;
const SB_BUILD_TIME_NSEC = 32;
const SB_BLOCKS = 36;
const SB_META_BLKADDR = 40;
const SB_XATTR_BLKADDR = 44;
// s_uuid (48, 16 B) and s_volume_name (64, 16 B) stay zero.
const SB_FEATURE_INCOMPAT = 80;
const SB_U = 84;
const SB_EXTRA_DEVICES = 86;
const SB_DEVT_SLOTOFF = 88;
// 90..127 reserved.

/** ErofsSuperblock holds the decoded superblock fields (uuid and name are always zero). */
export interface ErofsSuperblock {
  magic: number;
  checksum: number;
  featureCompat: number;
  blkszbits: number;
  extslots: number;
  rootNid: number;
  inos: number;
  buildTime: number;
  buildTimeNsec: number;
  blocks: number;
  metaBlkaddr: number;
  xattrBlkaddr: number;
  featureIncompat: number;
  u: number;
  extraDevices: number;
  devtSlotoff: number;
}

/** Encodes a superblock into 128 bytes. */
export function encodeSuperblock(sb: ErofsSuperblock): Buffer {
  const b = Buffer.alloc(EROFS_SUPER_SIZE);
  b.writeUInt32LE(sb.magic, SB_MAGIC);
  b.writeUInt32LE(sb.checksum, SB_CHECKSUM);
  b.writeUInt32LE(sb.featureCompat, SB_FEATURE_COMPAT);
  b.writeUInt8(sb.blkszbits, SB_BLKSZBITS);
  b.writeUInt8(sb.extslots, SB_EXTSLOTS);
  b.writeUInt16LE(sb.rootNid, SB_ROOT_NID);
  writeU64(b, SB_INOS, sb.inos);
  writeU64(b, SB_BUILD_TIME, sb.buildTime);
  b.writeUInt32LE(sb.buildTimeNsec, SB_BUILD_TIME_NSEC);
  b.writeUInt32LE(sb.blocks, SB_BLOCKS);
  b.writeUInt32LE(sb.metaBlkaddr, SB_META_BLKADDR);
  b.writeUInt32LE(sb.xattrBlkaddr, SB_XATTR_BLKADDR);
  b.writeUInt32LE(sb.featureIncompat, SB_FEATURE_INCOMPAT);
  b.writeUInt16LE(sb.u, SB_U);
  b.writeUInt16LE(sb.extraDevices, SB_EXTRA_DEVICES);
  b.writeUInt16LE(sb.devtSlotoff, SB_DEVT_SLOTOFF);
  return b;
}

/** Decodes the superblock of a whole bootstrap file (reads 128 bytes at 1024). */
export function decodeSuperblock(file: Buffer): ErofsSuperblock {
  const base = EROFS_SUPER_OFFSET;
  const b = structAt(file, base, EROFS_SUPER_SIZE, 'superblock');
  return {
    magic: b.readUInt32LE(SB_MAGIC),
    checksum: b.readUInt32LE(SB_CHECKSUM),
    featureCompat: b.readUInt32LE(SB_FEATURE_COMPAT),
    blkszbits: b.readUInt8(SB_BLKSZBITS),
    extslots: b.readUInt8(SB_EXTSLOTS),
    rootNid: b.readUInt16LE(SB_ROOT_NID),
    inos: readU64(b, SB_INOS, 'superblock', 's_inos', base),
    buildTime: readU64(b, SB_BUILD_TIME, 'superblock', 's_build_time', base),
    buildTimeNsec: b.readUInt32LE(SB_BUILD_TIME_NSEC),
    blocks: b.readUInt32LE(SB_BLOCKS),
    metaBlkaddr: b.readUInt32LE(SB_META_BLKADDR),
    xattrBlkaddr: b.readUInt32LE(SB_XATTR_BLKADDR),
    featureIncompat: b.readUInt32LE(SB_FEATURE_INCOMPAT),
    u: b.readUInt16LE(SB_U),
    extraDevices: b.readUInt16LE(SB_EXTRA_DEVICES),
    devtSlotoff: b.readUInt16LE(SB_DEVT_SLOTOFF),
  };
}

/** Validates the checks of `RafsV6SuperBlock::validate` (§1.15) that need no other struct. */
export function validateSuperblock(sb: ErofsSuperblock): void {
  const at = (field: number) => EROFS_SUPER_OFFSET + field;
  const fail = (field: string, off: number, detail: string): never => {
    throw new FormatError('superblock', field, detail, at(off));
  };
  if (sb.magic !== EROFS_SUPER_MAGIC) fail('s_magic', SB_MAGIC, `bad magic ${hex(sb.magic)}`);
  if (sb.checksum !== 0) fail('s_checksum', SB_CHECKSUM, `must be 0, got ${hex(sb.checksum)}`);
  if ((sb.featureCompat & EROFS_FEATURE_COMPAT_RAFS_V6) === 0) {
    fail('s_feature_compat', SB_FEATURE_COMPAT, `RAFS v6 bit missing in ${hex(sb.featureCompat)}`);
  }
  if (sb.blkszbits !== EROFS_BLKSZBITS_4K && sb.blkszbits !== EROFS_BLKSZBITS_512) {
    fail('s_blkszbits', SB_BLKSZBITS, `must be 12 or 9, got ${hex(sb.blkszbits)}`);
  }
  if (sb.extslots !== 0) fail('s_extslots', SB_EXTSLOTS, `must be 0, got ${hex(sb.extslots)}`);
  if (sb.inos === 0) fail('s_inos', SB_INOS, 'must not be 0');
  if (sb.xattrBlkaddr !== 0) fail('s_xattr_blkaddr', SB_XATTR_BLKADDR, `must be 0, got ${hex(sb.xattrBlkaddr)}`);
  if (sb.featureIncompat !== RAFS_V6_INCOMPAT) {
    fail('s_feature_incompat', SB_FEATURE_INCOMPAT, `must be 0xc, got ${hex(sb.featureIncompat)}`);
  }
  if (sb.u !== 0) fail('s_u', SB_U, `must be 0, got ${hex(sb.u)}`);
  if (sb.devtSlotoff !== RAFS_V6_DEVT_SLOTOFF) {
    fail('s_devt_slotoff', SB_DEVT_SLOTOFF, `must be 0xb, got ${hex(sb.devtSlotoff)}`);
  }
  if (sb.extraDevices === 0 && sb.blocks !== 0 && sb.blocks !== 4096) {
    fail('s_blocks', SB_BLOCKS, `must be 0 or 0x1000 without devices, got ${hex(sb.blocks)}`);
  }
}
