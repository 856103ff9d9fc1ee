/**
 * Little-endian field access shared by the RAFS v6 struct modules.
 *
 * Every u64 on disk is read as a JavaScript number: the values a bootstrap holds
 * (offsets, sizes, flags) stay far below 2^53, and a larger one means corrupt
 * input, so it fails as a FormatError instead of silently losing precision.
 */

import { FormatError } from '../errors.js';

/** BLOCK_SIZE is the RAFS v6 native block size (s_blkszbits 12). */
export const BLOCK_SIZE = 4096;

/** Formats a number as lower-case hex with a 0x prefix, for error messages. */
export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

/** Rounds `value` up to a multiple of `align` (a power of two or any positive integer). */
export function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

/**
 * Reads a u64 at `off` of a struct slice; fails with a FormatError naming
 * `struct.field` when the value does not fit a safe integer. `base` is the
 * struct's absolute file offset, so the error points at the right byte.
 */
export function readU64(buf: Buffer, off: number, struct: string, field: string, base: number): number {
  const value = buf.readBigUInt64LE(off);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FormatError(struct, field, `u64 ${hex(value)} is beyond 2^53`, base + off);
  }
  return Number(value);
}

/** Writes a non-negative safe integer as a u64 at `off`. */
export function writeU64(buf: Buffer, off: number, value: number): void {
  buf.writeBigUInt64LE(BigInt(value), off);
}

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
