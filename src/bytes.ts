/**
 * Little-endian field helpers shared by every on-disk format module (RAFS, blobs).
 *
 * Every u64 on disk is read as a JavaScript number: offsets and sizes stay far
 * below 2^53, and a larger one means corrupt input, so it fails as a FormatError
 * instead of silently losing precision or handing bigints to every caller.
 */
import { FormatError } from './errors.js';

/** Formats a number as lower-case hex with a 0x prefix, for error messages. */
export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

/** Rounds `value` up to a multiple of `align`. */
export function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

/**
 * Reads a u64 at `off`; fails with a FormatError naming `struct.field` when the
 * value does not fit a safe integer. `base` is the absolute offset of `buf[0]` in
 * its file, so the error points at the right byte.
 */
export function readU64(buf: Buffer, off: number, struct: string, field: string, base = 0): number {
  const value = buf.readBigUInt64LE(off);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FormatError(struct, field, `u64 ${hex(value)} is beyond 2^53`, base + off);
  }
  return Number(value);
}

/** Writes a non-negative safe integer as a little-endian u64 at `off`. */
export function writeU64(buf: Buffer, off: number, value: number): void {
  buf.writeBigUInt64LE(BigInt(value), off);
}
