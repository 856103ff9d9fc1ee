import { describe, expect, test } from 'vitest';
import { MetaAllocator } from './allocator.js';

describe('MetaAllocator', () => {
  test('starts at 4096 and hands out the running offset when no tail fits', () => {
    const a = new MetaAllocator();
    expect(a.place(131)).toBe(4096);
    a.alignSlot();
    expect(a.off).toBe(4256);
  });

  test('closing a block records its free tail, which later small inodes fill', () => {
    const a = new MetaAllocator();
    a.place(100);
    a.alignSlot(); // off = 4224; 3968 bytes (124 slots) free
    a.closeBlock();
    expect(a.off).toBe(8192);
    // 72 bytes need 3 slots: taken from the end side of the 124-slot tail.
    expect(a.allocate(72)).toBe(4224);
    // The rest of that tail (121 slots) is free again.
    expect(a.allocate(64)).toBe(4224 + 96);
    expect(a.allocate(4096)).toBeUndefined();
  });

  test('allocate fails without a large enough tail', () => {
    const a = new MetaAllocator();
    a.off = 4096 + 4000;
    a.closeBlock(); // 96 bytes free: queue 3
    expect(a.allocate(100)).toBeUndefined();
    expect(a.allocate(96)).toBe(4096 + 4000);
    expect(a.allocate(1)).toBeUndefined();
  });
});
