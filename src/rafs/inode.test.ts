import { describe, expect, test } from 'vitest';
import { FormatError } from '../errors.js';
import { decodeCompactInode, encodeCompactInode } from './inode-compact.js';
import { decodeExtendedInode, encodeExtendedInode } from './inode-extended.js';
import type { DiskInode } from './inode-format.js';
import { chunkFormat, decodeIFormat, decodeRdev, encodeRdev, xattrAreaSize } from './inode-format.js';
import { fixtureBoot } from './test-support.js';

const ROOT: DiskInode = {
  version: 1, layout: 2, xattrIcount: 0, mode: 0o40755, nlink: 2, size: 67, u: 3, ino: 0,
  uid: 0, gid: 0, mtime: 0, mtimeNsec: 0,
};
const LIB_RS: DiskInode = {
  version: 1, layout: 4, xattrIcount: 0, mode: 0o100644, nlink: 1, size: 16931, u: 0x28, ino: 2,
  uid: 0, gid: 0, mtime: 0x63f23c61, mtimeNsec: 0x25789c56,
};
const LIB_RS_GOLDEN =
  '0900' + '0000' + 'a481' + '0000' + '2342000000000000' + '28000000' + '02000000' + '00000000' + '00000000' +
  '613cf26300000000' + '569c7825' + '01000000' + '00'.repeat(16);

describe('extended inode (64 bytes)', () => {
  test('encodes lib.rs to the golden bytes the fixture holds at nid 133', () => {
    expect(encodeExtendedInode(LIB_RS).toString('hex')).toBe(LIB_RS_GOLDEN);
    expect(fixtureBoot().subarray(0x30a0, 0x30e0).toString('hex')).toBe(LIB_RS_GOLDEN);
  });

  test('decodes both fixture inodes and the root', () => {
    const boot = fixtureBoot();
    expect(decodeExtendedInode(boot, 0x3000)).toEqual(ROOT);
    expect(decodeExtendedInode(boot, 0x30a0)).toEqual(LIB_RS);
    expect(decodeExtendedInode(boot, 0x3100)).toEqual({ ...LIB_RS, size: 13400, ino: 3, mtimeNsec: 0x257dac3c });
  });

  test('round trip of a device inode with 32-bit ids', () => {
    const dev: DiskInode = { ...ROOT, layout: 0, mode: 0o20600, size: 0, u: encodeRdev(4, 64), uid: 100000, gid: 70000, mtime: 1700000000 };
    expect(decodeExtendedInode(encodeExtendedInode(dev), 0)).toEqual(dev);
  });
});

describe('compact inode (32 bytes)', () => {
  const GOLDEN = '0400' + '0000' + 'a481' + '0100' + '10000000' + '00000000' + '28000000' + '07000000' + 'e803' + 'e903' + '00000000';
  const inode: DiskInode = { version: 0, layout: 2, xattrIcount: 0, mode: 0o100644, nlink: 1, size: 16, u: 0x28, ino: 7, uid: 1000, gid: 1001, mtime: 0, mtimeNsec: 0 };

  test('encodes to golden bytes and decodes back (mtime reads as 0)', () => {
    const bytes = encodeCompactInode(inode);
    expect(bytes.toString('hex')).toBe(GOLDEN);
    expect(decodeCompactInode(bytes, 0)).toEqual(inode);
  });
});

describe('i_format and i_u words', () => {
  test('accepts the layouts RAFS uses and rejects the rest', () => {
    expect(decodeIFormat(0x9, 0)).toEqual({ version: 1, layout: 4 });
    expect(decodeIFormat(0x0, 0)).toEqual({ version: 0, layout: 0 });
    expect(() => decodeIFormat(0x3, 0x40)).toThrow(/inode.i_format at offset 0x40: unsupported 0x3/);
    expect(() => decodeIFormat(0x11, 0)).toThrow(FormatError);
  });

  test('rdev uses new_encode_dev', () => {
    expect(encodeRdev(8, 1)).toBe(0x801);
    expect(encodeRdev(0x123, 0x45678)).toBe(0x45612378);
    expect(decodeRdev(0x45612378)).toEqual({ major: 0x123, minor: 0x45678 });
  });

  test('chunk format word and xattr area size', () => {
    expect(chunkFormat(0x100000)).toBe(0x28);
    expect(chunkFormat(0x400000)).toBe(0x2a);
    expect(xattrAreaSize(0)).toBe(0);
    expect(xattrAreaSize(5)).toBe(28);
  });
});
