import { describe, expect, test } from 'vitest';
import { decodeDirBlock, directorySize, encodeDirectory, packDirBlocks } from './dir-block.js';
import { DIRENT_SIZE, decodeDirent, encodeDirent } from './dirent.js';
import { fixtureBoot } from './test-support.js';

// The fixture root directory's inline data at 0x3040 (nydus-format.md §1.9).
const ROOT_DIR =
  '8000000000000000' + '3000' + '02' + '00' + '8000000000000000' + '3100' + '02' + '00' +
  '8500000000000000' + '3300' + '01' + '00' + '8800000000000000' + '3900' + '01' + '00' +
  Buffer.from('...lib.rssync_io.rs', 'latin1').toString('hex');
const ROOT_ENTRIES = [
  { name: '.', nid: 128, fileType: 2 },
  { name: '..', nid: 128, fileType: 2 },
  { name: 'lib.rs', nid: 133, fileType: 1 },
  { name: 'sync_io.rs', nid: 136, fileType: 1 },
];

describe('dirent (12 bytes)', () => {
  test('golden bytes', () => {
    const b = Buffer.alloc(DIRENT_SIZE);
    encodeDirent({ nid: 0x85, nameoff: 0x33, fileType: 1 }, b, 0);
    expect(b.toString('hex')).toBe('850000000000000033000100');
    expect(decodeDirent(b, 0, 0)).toEqual({ nid: 0x85, nameoff: 0x33, fileType: 1 });
  });

  test('rejects file type 8 or more', () => {
    const b = Buffer.from('850000000000000033000800', 'hex');
    expect(() => decodeDirent(b, 0, 0x3040)).toThrow(/dirent.e_file_type at offset 0x304a: invalid 0x8/);
  });
});

describe('directory blocks', () => {
  test('encodes the fixture root directory byte for byte', () => {
    const data = encodeDirectory(ROOT_ENTRIES);
    expect(data.toString('hex')).toBe(ROOT_DIR);
    expect(fixtureBoot().subarray(0x3040, 0x3040 + 67).toString('hex')).toBe(ROOT_DIR);
    expect(directorySize(ROOT_ENTRIES.map((e) => e.name))).toBe(67);
  });

  test('decodes the fixture root directory', () => {
    const boot = fixtureBoot();
    expect(decodeDirBlock(boot.subarray(0x3040, 0x3083), 67, 0x3040)).toEqual(ROOT_ENTRIES);
  });

  test('an empty directory is 27 bytes', () => {
    expect(directorySize(['.', '..'])).toBe(27);
  });

  test('entries spill into new blocks when they would overflow, and decode back per block', () => {
    const names = ['.', '..', ...Array.from({ length: 300 }, (_, i) => `entry-${String(i).padStart(4, '0')}`)].sort();
    const entries = names.map((name, i) => ({ name, nid: 200 + i, fileType: 1 }));
    const blocks = packDirBlocks(names);
    // '.' and '..' take 27 bytes and each name 22: 186 entries use 4075 bytes, and a
    // 187th would need 4097, so the second block starts there.
    expect(blocks.map((b) => b.length)).toEqual([186, 116]);
    const data = encodeDirectory(entries);
    expect(data.length).toBe(4096 + 116 * 22);
    const first = decodeDirBlock(data.subarray(0, 4096), 4096, 0);
    const second = decodeDirBlock(data.subarray(4096), data.length - 4096, 4096);
    expect([...first, ...second]).toEqual(entries);
  });

  test('rejects names out of order and a broken first nameoff', () => {
    const swapped = encodeDirectory([
      { name: 'b', nid: 1, fileType: 1 },
      { name: 'a', nid: 2, fileType: 1 },
    ]);
    expect(() => decodeDirBlock(swapped, swapped.length, 0)).toThrow(/names out of order/);
    const broken = Buffer.from(swapped);
    broken.writeUInt16LE(13, 8);
    expect(() => decodeDirBlock(broken, broken.length, 0x100)).toThrow(/dirent.e_nameoff at offset 0x108: first nameoff 0xd/);
  });
});
