/**
 * The 512-byte tar header block: field table, checksum and decoding.
 *
 * Layout (POSIX ustar; GNU tar shares offsets 0–344 and uses the rest differently):
 *
 * | offset | size | field    | notes                                             |
 * |-------:|-----:|----------|---------------------------------------------------|
 * |      0 |  100 | name     | NUL-terminated unless exactly 100 bytes           |
 * |    100 |    8 | mode     | octal; S_IFMT bits, if any, are ignored           |
 * |    108 |    8 | uid      | octal or base-256                                 |
 * |    116 |    8 | gid      | octal or base-256                                 |
 * |    124 |   12 | size     | octal or base-256                                 |
 * |    136 |   12 | mtime    | octal or base-256, seconds since the epoch        |
 * |    148 |    8 | chksum   | octal sum of all 512 bytes, this field as spaces  |
 * |    156 |    1 | typeflag |                                                   |
 * |    157 |  100 | linkname |                                                   |
 * |    257 |    6 | magic    | `ustar\0` (POSIX) or `ustar ` (GNU, with version) |
 * |    263 |    2 | version  | `00` (POSIX) or ` \0` (GNU)                       |
 * |    265 |   32 | uname    |                                                   |
 * |    297 |   32 | gname    |                                                   |
 * |    329 |    8 | devmajor |                                                   |
 * |    337 |    8 | devminor |                                                   |
 * |    345 |  155 | prefix   | POSIX only: GNU keeps atime/ctime here            |
 *
 * Strings are returned as byte strings (one character per byte).
 */

import { FormatError } from '../errors.js';
import { decodeNumeric, decodeOctal } from './tar-numeric.js';

/** BLOCK_SIZE is the tar block size; headers and padded bodies are multiples of it. */
export const BLOCK_SIZE = 512;

// Field offsets and sizes, as in the table above.
const NAME_OFFSET = 0;
const NAME_SIZE = 100;
const MODE_OFFSET = 100;
const MODE_SIZE = 8;
const UID_OFFSET = 108;
const UID_SIZE = 8;
const GID_OFFSET = 116;
const GID_SIZE = 8;
const SIZE_OFFSET = 124;
const SIZE_SIZE = 12;
const MTIME_OFFSET = 136;
const MTIME_SIZE = 12;
const CHKSUM_OFFSET = 148;
const CHKSUM_SIZE = 8;
const TYPEFLAG_OFFSET = 156;
const LINKNAME_OFFSET = 157;
const LINKNAME_SIZE = 100;
const MAGIC_OFFSET = 257;
const MAGIC_SIZE = 6;
const VERSION_SIZE = 2;
const UNAME_OFFSET = 265;
const UNAME_SIZE = 32;
const GNAME_OFFSET = 297;
const GNAME_SIZE = 32;
const DEVMAJOR_OFFSET = 329;
const DEVMAJOR_SIZE = 8;
const DEVMINOR_OFFSET = 337;
const DEVMINOR_SIZE = 8;
const PREFIX_OFFSET = 345;
const PREFIX_SIZE = 155;

/** MAGIC_USTAR is magic + version of a POSIX ustar header. */
export const MAGIC_USTAR = 'ustar\x0000';
/** MAGIC_GNU is magic + version of a GNU tar header. */
export const MAGIC_GNU = 'ustar  \x00';

/** HeaderFormat says which family wrote a header; it decides what bytes 345+ mean. */
export type HeaderFormat = 'ustar' | 'gnu' | 'v7';

/** RawHeader is one decoded header block, before PAX and GNU long-name overrides. */
export interface RawHeader {
  /** name, with the ustar prefix joined in front when the header is POSIX ustar. */
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  /** The typeflag character; NUL is `'\0'`. */
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devMajor: number;
  devMinor: number;
  format: HeaderFormat;
}

/** Returns true for a block of 512 zero bytes (part of the end-of-archive marker). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Returns the header checksums: the POSIX unsigned byte sum and the signed sum
 * that some historic writers (old Sun tar) stored, both with the chksum field
 * counted as eight spaces.
 */
export function headerChecksums(block: Buffer): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const inField = i >= CHKSUM_OFFSET && i < CHKSUM_OFFSET + CHKSUM_SIZE;
    const b = inField ? 0x20 : block[i];
    unsigned += b;
    signed += b >= 0x80 ? b - 0x100 : b;
  }
  return { unsigned, signed };
}

/** Throws FormatError unless the stored checksum matches the unsigned or signed sum. */
export function validateChecksum(block: Buffer, position: number): void {
  const field = block.subarray(CHKSUM_OFFSET, CHKSUM_OFFSET + CHKSUM_SIZE);
  let stored: number;
  try {
    stored = decodeOctal(field, 'chksum', position + CHKSUM_OFFSET);
  } catch {
    // Random bytes, or a layer that is not a tar at all, usually fail right here.
    const detail = 'not a tar header: the checksum field holds no octal number (is this a tar archive?)';
    throw new FormatError('tar header', 'chksum', detail, position + CHKSUM_OFFSET);
  }
  const { unsigned, signed } = headerChecksums(block);
  if (stored !== unsigned && stored !== signed) {
    const detail =
      `checksum mismatch: stored 0o${stored.toString(8)}, ` +
      `computed 0o${unsigned.toString(8)}`;
    throw new FormatError('tar header', 'chksum', detail, position + CHKSUM_OFFSET);
  }
}

/**
 * Decodes and validates one header block. `position` is the block's offset in
 * the archive, used in error messages. The caller handles zero blocks first.
 */
export function decodeHeader(block: Buffer, position: number): RawHeader {
  validateChecksum(block, position);
  const format = headerFormat(block);
  const num = (offset: number, size: number, field: string): number =>
    decodeNumeric(block.subarray(offset, offset + size), field, position + offset);
  let name = cString(block, NAME_OFFSET, NAME_SIZE);
  if (format === 'ustar') {
    const prefix = cString(block, PREFIX_OFFSET, PREFIX_SIZE);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const extended = format !== 'v7';
  return {
    name,
    mode: num(MODE_OFFSET, MODE_SIZE, 'mode'),
    uid: num(UID_OFFSET, UID_SIZE, 'uid'),
    gid: num(GID_OFFSET, GID_SIZE, 'gid'),
    size: num(SIZE_OFFSET, SIZE_SIZE, 'size'),
    mtime: num(MTIME_OFFSET, MTIME_SIZE, 'mtime'),
    typeflag: String.fromCharCode(block[TYPEFLAG_OFFSET]),
    linkname: cString(block, LINKNAME_OFFSET, LINKNAME_SIZE),
    uname: extended ? cString(block, UNAME_OFFSET, UNAME_SIZE) : '',
    gname: extended ? cString(block, GNAME_OFFSET, GNAME_SIZE) : '',
    devMajor: extended ? num(DEVMAJOR_OFFSET, DEVMAJOR_SIZE, 'devmajor') : 0,
    devMinor: extended ? num(DEVMINOR_OFFSET, DEVMINOR_SIZE, 'devminor') : 0,
    format,
  };
}

/** Reads magic and version to tell POSIX ustar, GNU and pre-POSIX (v7) headers apart. */
export function headerFormat(block: Buffer): HeaderFormat {
  const end = MAGIC_OFFSET + MAGIC_SIZE + VERSION_SIZE;
  const magic = block.toString('latin1', MAGIC_OFFSET, end);
  if (magic === MAGIC_USTAR) return 'ustar';
  if (magic === MAGIC_GNU) return 'gnu';
  // Some writers put "ustar\0" with a version other than "00"; the prefix is still POSIX.
  if (magic.startsWith('ustar\x00')) return 'ustar';
  return 'v7';
}

/** Returns the bytes of a NUL-terminated (or field-filling) string as a byte string. */
export function cString(block: Buffer, offset: number, size: number): string {
  const field = block.subarray(offset, offset + size);
  const end = field.indexOf(0);
  return field.toString('latin1', 0, end === -1 ? size : end);
}

/**
 * GNU_SPARSE_ISEXTENDED_OFFSET is the byte of an old-GNU sparse (`S`) header
 * that is non-zero when extension blocks of sparse map entries follow it.
 */
export const GNU_SPARSE_ISEXTENDED_OFFSET = 482;
/** GNU_SPARSE_EXT_ISEXTENDED_OFFSET is the same flag inside an extension block. */
export const GNU_SPARSE_EXT_ISEXTENDED_OFFSET = 504;
