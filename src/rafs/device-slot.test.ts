import { describe, expect, test } from 'vitest';
import { FormatError } from '../errors.js';
import { DEVICE_SLOT_SIZE, decodeDeviceSlot, encodeDeviceSlot, mappedBlkaddrs, validateDeviceSlot } from './device-slot.js';
import { FIXTURE_BLOB_ID, fixtureBoot } from './test-support.js';

const GOLDEN = Buffer.from(FIXTURE_BLOB_ID, 'latin1').toString('hex') + '09000000' + '00020000' + '00'.repeat(56);

describe('device slot', () => {
  test('encodes and decodes the fixture slot', () => {
    const slot = { blobId: FIXTURE_BLOB_ID, blocks: 9, mappedBlkaddr: 512 };
    const bytes = encodeDeviceSlot(slot);
    expect(bytes.length).toBe(DEVICE_SLOT_SIZE);
    expect(bytes.toString('hex')).toBe(GOLDEN);
    expect(fixtureBoot().subarray(1408, 1536).toString('hex')).toBe(GOLDEN);
    expect(decodeDeviceSlot(fixtureBoot(), 0)).toEqual(slot);
  });

  test('a short id is NUL-padded and trimmed back', () => {
    const bytes = encodeDeviceSlot({ blobId: 'abc', blocks: 1, mappedBlkaddr: 0 });
    expect(bytes.subarray(0, 4).toString('hex')).toBe('61626300');
    const file = Buffer.alloc(4096);
    bytes.copy(file, 1408);
    expect(decodeDeviceSlot(file, 0).blobId).toBe('abc');
  });

  test('validation rejects zero blocks and a non-ASCII id', () => {
    expect(() => validateDeviceSlot({ blobId: 'x', blocks: 0, mappedBlkaddr: 0 }, 2)).toThrow(/device_slot.blocks at offset 0x6c0: slot 2 has 0x0 blocks/);
    expect(() => validateDeviceSlot({ blobId: '\xff', blocks: 1, mappedBlkaddr: 0 }, 0)).toThrow(FormatError);
  });

  test('mapped_blkaddr follows the 512 KiB rule', () => {
    // 20480-byte bootstrap: blob 0 at 512 KiB (block 128), 9 blocks; blob 1 at the next 512 KiB.
    expect(mappedBlkaddrs(20480, [9, 200])).toEqual([128, 256]);
    expect(mappedBlkaddrs(0x80000, [0x80])).toEqual([128]);
  });
});
