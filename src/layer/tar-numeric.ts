/**
 * Numeric fields of a tar header.
 *
 * ustar stores numbers as octal ASCII digits, terminated by a space or NUL, in a
 * fixed-width field; that caps uid/gid at 2^21 − 1 (8-byte fields) and sizes at
 * 8 GiB − 1 (12-byte fields). GNU tar and Go's archive/tar write larger values in
 * "base-256": the high bit of the first byte is set and the field is a big-endian
 * two's-complement number (bit 0x40 of the first byte is the sign).
 */

import { FormatError } from '../errors.js';

/** BASE256_FLAG marks a base-256 field in its first byte. */
export const BASE256_FLAG = 0x80;
/** BASE256_SIGN is the sign bit of a base-256 field, in its first byte. */
export const BASE256_SIGN = 0x40;

const SPACE = 0x20;
const NUL = 0x00;
const DIGIT_0 = 0x30;
const DIGIT_7 = 0x37;

/**
 * Decodes one numeric header field. `field` and `offset` name it in errors.
 * Throws FormatError for bad digits or a value beyond 2^53 − 1.
 */
export function decodeNumeric(bytes: Buffer, field: string, offset: number): number {
  if (bytes.length > 0 && (bytes[0] & BASE256_FLAG) !== 0) {
    return decodeBase256(bytes, field, offset);
  }
  return decodeOctal(bytes, field, offset);
}

/** Decodes an octal field: optional leading spaces, digits, then space or NUL padding. */
export function decodeOctal(bytes: Buffer, field: string, offset: number): number {
  let i = 0;
  // Some old writers right-align the digits behind spaces.
  while (i < bytes.length && bytes[i] === SPACE) i++;
  let value = 0;
  for (; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === SPACE || b === NUL) break;
    if (b < DIGIT_0 || b > DIGIT_7) {
      throw new FormatError('tar header', field, `bad octal digit 0x${b.toString(16)}`, offset + i);
    }
    value = value * 8 + (b - DIGIT_0);
  }
  for (; i < bytes.length; i++) {
    if (bytes[i] !== SPACE && bytes[i] !== NUL) {
      const bad = `0x${bytes[i].toString(16)}`;
      throw new FormatError('tar header', field, `junk ${bad} after octal digits`, offset + i);
    }
  }
  return checkSafe(value, field, offset);
}

/** Decodes a base-256 field (GNU extension); negative values are allowed. */
export function decodeBase256(bytes: Buffer, field: string, offset: number): number {
  const negative = (bytes[0] & BASE256_SIGN) !== 0;
  // For a negative number, invert every byte and compute -(x + 1): two's complement.
  const invert = negative ? 0xff : 0x00;
  let value = 0n;
  for (let i = 0; i < bytes.length; i++) {
    let b = bytes[i] ^ invert;
    if (i === 0) b &= 0x7f;
    value = (value << 8n) | BigInt(b);
  }
  if (negative) value = -value - 1n;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new FormatError('tar header', field, `base-256 value ${value} is out of range`, offset);
  }
  return Number(value);
}

function checkSafe(value: number, field: string, offset: number): number {
  if (!Number.isSafeInteger(value)) {
    throw new FormatError('tar header', field, `octal value ${value} is out of range`, offset);
  }
  return value;
}
