/**
 * The EROFS device slot (`erofs_deviceslot`): 128 bytes per blob, the table
 * starting at 1408 (nydus-format.md §1.4). Slot i describes blob-table entry i,
 * which EROFS calls device i + 1.
 */

import { FormatError } from '../errors.js';
import { hex, readPaddedString, structAt, writePaddedString } from './bytes.js';

/** DEVICE_SLOT_SIZE is the size of one slot in bytes. */
export const DEVICE_SLOT_SIZE = 128;
/** DEVICE_TABLE_OFFSET is where slot 0 starts (s_devt_slotoff 11 × 128). */
export const DEVICE_TABLE_OFFSET = 1408;
/** BLOB_ID_SIZE is the width of the NUL-padded blob id field. */
export const BLOB_ID_SIZE = 64;
/** MAPPED_BLKADDR_ALIGN is the 512 KiB alignment of mapped_blkaddr (current nydus). */
export const MAPPED_BLKADDR_ALIGN = 0x80000;

const SLOT_BLOB_ID = 0;
const SLOT_BLOCKS = 64;
const SLOT_MAPPED_BLKADDR = 68;
// 72..127 reserved.

/** DeviceSlot holds one decoded device slot. */
export interface DeviceSlot {
  /** Blob id, trailing NULs trimmed. */
  blobId: string;
  /** Blob uncompressed size in 4 KiB blocks. */
  blocks: number;
  /** Start block in the flattened address space (block-device mode only). */
  mappedBlkaddr: number;
}

/** Encodes a device slot into 128 bytes. */
export function encodeDeviceSlot(slot: DeviceSlot): Buffer {
  const b = Buffer.alloc(DEVICE_SLOT_SIZE);
  writePaddedString(b, SLOT_BLOB_ID, BLOB_ID_SIZE, slot.blobId);
  b.writeUInt32LE(slot.blocks, SLOT_BLOCKS);
  b.writeUInt32LE(slot.mappedBlkaddr, SLOT_MAPPED_BLKADDR);
  return b;
}

/** Decodes slot `index` of a whole bootstrap file. */
export function decodeDeviceSlot(file: Buffer, index: number): DeviceSlot {
  const b = structAt(file, deviceSlotOffset(index), DEVICE_SLOT_SIZE, 'device_slot');
  return {
    blobId: readPaddedString(b, SLOT_BLOB_ID, BLOB_ID_SIZE),
    blocks: b.readUInt32LE(SLOT_BLOCKS),
    mappedBlkaddr: b.readUInt32LE(SLOT_MAPPED_BLKADDR),
  };
}

/** Returns the absolute file offset of slot `index`. */
export function deviceSlotOffset(index: number): number {
  return DEVICE_TABLE_OFFSET + index * DEVICE_SLOT_SIZE;
}

/** Validates slot `index`: an ASCII blob id and a non-zero block count. */
export function validateDeviceSlot(slot: DeviceSlot, index: number): void {
  const base = deviceSlotOffset(index);
  if (slot.blobId.length === 0 || !/^[\x20-\x7e]*$/.test(slot.blobId)) {
    throw new FormatError('device_slot', 'blob_id', `blob id of slot ${index} is empty or not printable ASCII`, base + SLOT_BLOB_ID);
  }
  if (slot.blocks === 0) {
    throw new FormatError('device_slot', 'blocks', `slot ${index} has ${hex(0)} blocks`, base + SLOT_BLOCKS);
  }
}

/**
 * Computes each blob's mapped_blkaddr by the current nydus rule: a running
 * position starts at the bootstrap size, and each blob starts at the next
 * 512 KiB boundary after the previous one.
 */
export function mappedBlkaddrs(bootstrapSize: number, blocks: readonly number[]): number[] {
  let pos = bootstrapSize;
  return blocks.map((count) => {
    const mapped = Math.ceil(pos / MAPPED_BLKADDR_ALIGN) * (MAPPED_BLKADDR_ALIGN / 4096);
    pos = (mapped + count) * 4096;
    return mapped;
  });
}
