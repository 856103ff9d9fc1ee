/**
 * Field access shared by the RAFS v6 struct modules: bounds-checked struct slices
 * and padded strings, plus the little-endian helpers of `src/bytes.ts`.
 */

import { FormatError } from '../errors.js';
import { hex } from '../bytes.js';

export { alignUp, hex, readU64, writeU64 } from '../bytes.js';

/** BLOCK_SIZE is the RAFS v6 native block size (s_blkszbits 12). */
export const BLOCK_SIZE = 4096;

/**
 * Returns a slice of `buf` of exactly `size` bytes at `off`, or fails with a
 * FormatError when the struct would run past the end of the input.
 */
export function structAt(buf: Buffer, off: number, size: number, struct: string): Buffer {
  if (off < 0 || off + size > buf.length) {
    throw new FormatError(struct, '(struct)', `${size} bytes at ${hex(off)} run past the end (${hex(buf.length)})`, off);
  }
  return buf.subarray(off, off + size);
}

/** Reads a NUL-padded ASCII field, dropping trailing NUL bytes. */
export function readPaddedString(buf: Buffer, off: number, size: number): string {
  let end = off + size;
  while (end > off && buf[end - 1] === 0) end--;
  return buf.toString('latin1', off, end);
}

/** Writes `text` (a byte string) NUL-padded into a `size`-byte field. */
export function writePaddedString(buf: Buffer, off: number, size: number, text: string): void {
  buf.fill(0, off, off + size);
  buf.write(text, off, size, 'latin1');
}
