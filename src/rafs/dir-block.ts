/**
 * Directory data: entries packed into 4 KiB blocks, dirents first and then the
 * names with no terminators (nydus-format.md §1.9). The packing depends only on
 * the name lengths, so the writer can size a directory before nids exist.
 */

import { FormatError } from '../errors.js';
import { BLOCK_SIZE, hex } from './bytes.js';
import type { Dirent } from './dirent.js';
import { DIRENT_SIZE, decodeDirent, encodeDirent } from './dirent.js';

/** DirEntry is one named directory entry (names are byte strings). */
export interface DirEntry {
  name: string;
  nid: number;
  fileType: number;
}

/** Returns true when `a` sorts before `b` in unsigned bytewise order. */
function bytewiseLess(a: string, b: string): boolean {
  return a < b;
}

/** Splits sorted names into blocks: an entry starts a new block when it would overflow. */
export function packDirBlocks(names: readonly string[]): number[][] {
  const blocks: number[][] = [];
  let used = BLOCK_SIZE;
  names.forEach((name, i) => {
    const need = DIRENT_SIZE + name.length;
    if (used + need > BLOCK_SIZE) {
      blocks.push([]);
      used = 0;
    }
    blocks[blocks.length - 1]!.push(i);
    used += need;
  });
  return blocks;
}

/** Returns i_size of a directory with these sorted names: full blocks plus the last block's bytes. */
export function directorySize(names: readonly string[]): number {
  const blocks = packDirBlocks(names);
  const last = blocks[blocks.length - 1] ?? [];
  const lastBytes = last.reduce((sum, i) => sum + DIRENT_SIZE + names[i]!.length, 0);
  return (blocks.length - 1) * BLOCK_SIZE + lastBytes;
}

/**
 * Encodes sorted entries (`.` and `..` included) into the directory's data,
 * `directorySize` bytes long: full blocks, then the used part of the last one.
 */
export function encodeDirectory(entries: readonly DirEntry[]): Buffer {
  const names = entries.map((e) => e.name);
  const size = directorySize(names);
  const out = Buffer.alloc(size);
  packDirBlocks(names).forEach((indexes, k) => {
    const base = k * BLOCK_SIZE;
    let nameoff = DIRENT_SIZE * indexes.length;
    indexes.forEach((entryIndex, slot) => {
      const e = entries[entryIndex]!;
      encodeDirent({ nid: e.nid, nameoff, fileType: e.fileType }, out, base + slot * DIRENT_SIZE);
      out.write(e.name, base + nameoff, 'latin1');
      nameoff += e.name.length;
    });
  });
  return out;
}

/**
 * Decodes one directory block of `valid` bytes (4096, or the tail length of the
 * last block); `base` is the block's absolute file offset. Checks that the name
 * offsets are contiguous and the names strictly increasing.
 */
export function decodeDirBlock(block: Buffer, valid: number, base: number): DirEntry[] {
  const first = decodeDirent(block, 0, base);
  const count = first.nameoff / DIRENT_SIZE;
  if (first.nameoff % DIRENT_SIZE !== 0 || count === 0 || first.nameoff >= valid) {
    throw new FormatError('dirent', 'e_nameoff', `first nameoff ${hex(first.nameoff)} in a block of ${valid}`, base + 8);
  }
  const dirents: Dirent[] = [first];
  for (let i = 1; i < count; i++) dirents.push(decodeDirent(block, i * DIRENT_SIZE, base));
  return dirents.map((d, i) => {
    const end = i + 1 < count ? dirents[i + 1]!.nameoff : lastNameEnd(block, d.nameoff, valid);
    if (end <= d.nameoff || end > valid) {
      throw new FormatError('dirent', 'e_nameoff', `name ${i} spans ${hex(d.nameoff)}..${hex(end)}`, base + i * DIRENT_SIZE + 8);
    }
    return { name: block.toString('latin1', d.nameoff, end), nid: d.nid, fileType: d.fileType };
  }).map((e, i, all) => {
    if (i > 0 && !bytewiseLess(all[i - 1]!.name, e.name)) {
      throw new FormatError('dirent', 'name', `names out of order at entry ${i}`, base + i * DIRENT_SIZE);
    }
    return e;
  });
}

/** The last name of a block runs to the first NUL or to the end of the valid bytes. */
function lastNameEnd(block: Buffer, start: number, valid: number): number {
  const nul = block.subarray(0, valid).indexOf(0, start);
  return nul === -1 ? valid : nul;
}
