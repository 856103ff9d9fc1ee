/**
 * The meta-area block allocator of nydus-image (`BootstrapContext` in
 * nydus-format.md §1.8): a running offset plus queues of partly used blocks,
 * indexed by their free tail in 32-byte slots, so small inodes fill the gaps
 * that block-aligned directory data leaves behind.
 */

import { BLOCK_SIZE, alignUp } from './bytes.js';

/** SLOT_SIZE is the EROFS inode slot (nid unit) in bytes. */
export const SLOT_SIZE = 32;
const QUEUES = BLOCK_SIZE / SLOT_SIZE;

/** MetaAllocator hands out offsets in the virtual meta space that starts at 4096. */
export class MetaAllocator {
  /** The running end of the meta area. */
  off = BLOCK_SIZE;
  private readonly free: number[][] = Array.from({ length: QUEUES }, () => []);

  /** Records the unused tail of the block holding `o` (no-op when `o` is block-aligned). */
  append(o: number): void {
    const rest = o % BLOCK_SIZE;
    if (rest === 0) return;
    this.free[Math.floor((BLOCK_SIZE - rest) / SLOT_SIZE)]!.push(o - rest);
  }

  /** Takes `size` bytes from a recorded free tail, or returns undefined. */
  allocate(size: number): number | undefined {
    if (size >= BLOCK_SIZE) return undefined;
    const slots = Math.ceil(size / SLOT_SIZE);
    for (let k = slots; k < QUEUES; k++) {
      const block = this.free[k]!.pop();
      if (block === undefined) continue;
      const at = block + BLOCK_SIZE - SLOT_SIZE * k;
      this.append(at + SLOT_SIZE * slots);
      return at;
    }
    return undefined;
  }

  /** Places `size` bytes in a free tail if one fits, else at the running offset. */
  place(size: number): number {
    const at = this.allocate(size);
    if (at !== undefined) return at;
    const here = this.off;
    this.off += size;
    return here;
  }

  /** Records the current block's tail as free and moves to the next block boundary. */
  closeBlock(): void {
    this.append(this.off);
    this.off = alignUp(this.off, BLOCK_SIZE);
  }

  /** Aligns the running offset to the next 32-byte slot (done after every placement). */
  alignSlot(): void {
    this.off = alignUp(this.off, SLOT_SIZE);
  }
}
