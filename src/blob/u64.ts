/**
 * Little-endian u64 fields as JavaScript numbers. Every u64 in a blob is an offset or
 * a size, far below 2^53, so decoding refuses anything a number cannot hold exactly
 * instead of handing bigints to every caller.
 */
import { FormatError } from '../errors.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * readU64 reads a little-endian u64 at `off`. `struct`, `field` and `at` (the
 * struct's offset in its file) name the field when the value is out of range.
 */
export function readU64(buf: Buffer, off: number, struct: string, field: string, at = 0): number {
  const v = buf.readBigUInt64LE(off);
  if (v > MAX_SAFE) {
    throw new FormatError(struct, field, `0x${v.toString(16)} exceeds 2^53`, at + off);
  }
  return Number(v);
}

/** writeU64 writes a non-negative safe integer as a little-endian u64 at `off`. */
export function writeU64(buf: Buffer, off: number, value: number): void {
  buf.writeBigUInt64LE(BigInt(value), off);
}
