import { describe, expect, test } from 'vitest';
import { FormatError } from '../errors.js';
import type { ErofsSuperblock } from './superblock.js';
import { EROFS_SUPER_SIZE, decodeSuperblock, encodeSuperblock, validateSuperblock } from './superblock.js';
import { fixtureBoot } from './test-support.js';

// The fixture's superblock, field by field (nydus-format.md §1.2).
const FIXTURE_SB: ErofsSuperblock = {
  magic: 0xe0f5e1e2, checksum: 0, featureCompat: 0x40000000, blkszbits: 12, extslots: 0, rootNid: 128,
  inos: 3, buildTime: 0, buildTimeNsec: 0, blocks: 9, metaBlkaddr: 2, xattrBlkaddr: 0,
  featureIncompat: 0xc, u: 0, extraDevices: 1, devtSlotoff: 11,
};
const GOLDEN =
  'e2e1f5e0' + '00000000' + '00000040' + '0c' + '00' + '8000' + '0300000000000000' + '0000000000000000' +
  '00000000' + '09000000' + '02000000' + '00000000' + '00'.repeat(32) + '0c000000' + '0000' + '0100' + '0b00' + '00'.repeat(38);

function withSb(patch: Partial<ErofsSuperblock>): Buffer {
  const file = Buffer.alloc(4096);
  encodeSuperblock({ ...FIXTURE_SB, ...patch }).copy(file, 1024);
  return file;
}

describe('EROFS superblock', () => {
  test('encodes the fixture fields to the golden bytes', () => {
    const bytes = encodeSuperblock(FIXTURE_SB);
    expect(bytes.length).toBe(EROFS_SUPER_SIZE);
    expect(bytes.toString('hex')).toBe(GOLDEN);
    expect(fixtureBoot().subarray(1024, 1152).toString('hex')).toBe(GOLDEN);
  });

  test('decodes the real fixture', () => {
    const sb = decodeSuperblock(fixtureBoot());
    expect(sb).toEqual(FIXTURE_SB);
    expect(() => validateSuperblock(sb)).not.toThrow();
  });

  test.each([
    [{ magic: 0x12345678 }, 's_magic', 0x400, '0x12345678'],
    [{ checksum: 0xdead }, 's_checksum', 0x404, '0xdead'],
    [{ featureCompat: 0 }, 's_feature_compat', 0x408, '0x0'],
    [{ blkszbits: 10 }, 's_blkszbits', 0x40c, '0xa'],
    [{ inos: 0 }, 's_inos', 0x410, 'must not be 0'],
    [{ featureIncompat: 0xe }, 's_feature_incompat', 0x450, '0xe'],
    [{ devtSlotoff: 12 }, 's_devt_slotoff', 0x458, '0xc'],
    [{ xattrBlkaddr: 3 }, 's_xattr_blkaddr', 0x42c, '0x3'],
  ])('rejects %o', (patch, field, offset, shown) => {
    const sb = decodeSuperblock(withSb(patch));
    const err = (() => { try { validateSuperblock(sb); } catch (e) { return e; } })() as FormatError;
    expect(err).toBeInstanceOf(FormatError);
    expect(err.field).toBe(field);
    expect(err.offset).toBe(offset);
    expect(err.message).toContain(shown);
  });

  test('a u64 above 2^53 fails to decode', () => {
    const file = withSb({});
    file.writeBigUInt64LE(1n << 60n, 1024 + 16);
    expect(() => decodeSuperblock(file)).toThrow(/s_inos at offset 0x410: u64 0x1000000000000000/);
  });
});
