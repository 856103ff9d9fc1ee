/**
 * The 512-byte GNU tar header that follows each section of a native blob (format doc
 * §3.5). Headers come after their data and the data is not padded, so a blob is read
 * backwards: the header at end − 512 names the `size` bytes just before it.
 *
 * Field table (only these fields are set; every other byte is zero):
 *
 * | Off | Size | Field    | Content                                           |
 * |-----|------|----------|---------------------------------------------------|
 * | 0   | 100  | name     | NUL-padded                                        |
 * | 100 | 24   | mode/uid/gid | NUL bytes, not octal zeros                    |
 * | 124 | 12   | size     | 11 octal digits + NUL, or base-256 from 8 GiB     |
 * | 136 | 12   | mtime    | `00000000000` + NUL                               |
 * | 148 | 8    | checksum | 7 octal digits + NUL                              |
 * | 156 | 1    | typeflag | `0` (regular file)                                |
 * | 257 | 6    | magic    | `ustar ` (GNU)                                    |
 * | 263 | 2    | version  | space, NUL                                        |
 */
import { FormatError } from '../errors.js';

/** TAR_HEADER_SIZE is the size of one header. */
export const TAR_HEADER_SIZE = 512;

const NAME_OFFSET = 0;
const NAME_SIZE = 100;
const SIZE_OFFSET = 124;
const SIZE_SIZE = 12;
const MTIME_OFFSET = 136;
const CHECKSUM_OFFSET = 148;
const CHECKSUM_SIZE = 8;
const TYPEFLAG_OFFSET = 156;
const MAGIC_OFFSET = 257;
const VERSION_OFFSET = 263;

const MTIME_ZERO = '00000000000\0';
const GNU_MAGIC = 'ustar ';
const GNU_VERSION = ' \0';
/** Prefix shared by GNU (`ustar `) and POSIX (`ustar\0`) magics. */
const USTAR_PREFIX = 'ustar';
const TYPE_REGULAR = 0x30; // '0'
const TYPE_REGULAR_OLD = 0x00;
const SPACE = 0x20;

/** Largest size the 11 octal digits hold; larger sizes use base-256. */
const OCTAL_SIZE_MAX = 0o77777777777;
/** High bit of the first size byte marks base-256 (big-endian binary) encoding. */
const BASE256_FLAG = 0x80;

/** The names nydus gives its sections (format doc §3.2, §3.7). */
export const SECTION_IMAGE_BLOB = 'image.blob';
export const SECTION_BLOB_META = 'blob.meta';
export const SECTION_BLOB_META_HEADER = 'blob.meta.header';
export const SECTION_BLOB_DIGEST = 'blob.digest';
export const SECTION_IMAGE_BOOT = 'image.boot';
export const SECTION_TOC = 'rafs.blob.toc';

/** TarHeader is what a blob's trailing header says: a name and a data size. */
export interface TarHeader {
  name: string;
  size: number;
}

/** encodeTarHeader writes the header exactly as nydus-image does. */
export function encodeTarHeader(h: TarHeader): Buffer {
  const name = Buffer.from(h.name, 'latin1');
  if (name.length === 0 || name.length > NAME_SIZE) {
    throw new FormatError('tar_header', 'name', `length ${name.length} is not 1..${NAME_SIZE}`);
  }
  if (!Number.isSafeInteger(h.size) || h.size < 0) {
    throw new FormatError('tar_header', 'size', `bad size ${h.size}`);
  }
  const buf = Buffer.alloc(TAR_HEADER_SIZE);
  name.copy(buf, NAME_OFFSET);
  encodeSize(buf, h.size);
  buf.write(MTIME_ZERO, MTIME_OFFSET, 'latin1');
  buf[TYPEFLAG_OFFSET] = TYPE_REGULAR;
  buf.write(GNU_MAGIC, MAGIC_OFFSET, 'latin1');
  buf.write(GNU_VERSION, VERSION_OFFSET, 'latin1');
  const sum = checksum(buf);
  buf.write(sum.toString(8).padStart(CHECKSUM_SIZE - 1, '0') + '\0', CHECKSUM_OFFSET, 'latin1');
  return buf;
}

function encodeSize(buf: Buffer, size: number): void {
  if (size <= OCTAL_SIZE_MAX) {
    buf.write(size.toString(8).padStart(SIZE_SIZE - 1, '0') + '\0', SIZE_OFFSET, 'latin1');
    return;
  }
  // Base-256 as GNU tar and the Rust tar crate write it: flag bit, then the value
  // big-endian in the remaining 11 bytes. No fixture has a section this large, so
  // the byte layout rests on the tar convention rather than on observed output.
  let v = BigInt(size);
  for (let i = SIZE_SIZE - 1; i >= 1; i--) {
    buf[SIZE_OFFSET + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  buf[SIZE_OFFSET] = BASE256_FLAG;
}

/** checksum sums all 512 bytes with the checksum field counted as eight spaces. */
function checksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i < TAR_HEADER_SIZE; i++) {
    const inField = i >= CHECKSUM_OFFSET && i < CHECKSUM_OFFSET + CHECKSUM_SIZE;
    sum += inField ? SPACE : buf[i];
  }
  return sum;
}

/**
 * decodeTarHeader parses a trailing header. `at` is its offset in the blob, used only
 * in error messages. It checks the magic, the checksum and the type flag.
 */
export function decodeTarHeader(buf: Buffer, at = 0): TarHeader {
  if (buf.length < TAR_HEADER_SIZE) {
    throw new FormatError('tar_header', 'length', `${buf.length} bytes, want 512`, at);
  }
  const magic = buf.toString('latin1', MAGIC_OFFSET, MAGIC_OFFSET + USTAR_PREFIX.length);
  if (magic !== USTAR_PREFIX) {
    throw new FormatError('tar_header', 'magic', `got ${JSON.stringify(magic)}`, at + MAGIC_OFFSET);
  }
  const want = parseOctal(buf, CHECKSUM_OFFSET, CHECKSUM_SIZE, 'checksum', at);
  const got = checksum(buf);
  if (want !== got) {
    const detail = `stored 0o${want.toString(8)}, computed 0o${got.toString(8)}`;
    throw new FormatError('tar_header', 'checksum', detail, at + CHECKSUM_OFFSET);
  }
  const type = buf[TYPEFLAG_OFFSET];
  if (type !== TYPE_REGULAR && type !== TYPE_REGULAR_OLD) {
    const detail = `0x${type.toString(16)} is not a regular file`;
    throw new FormatError('tar_header', 'typeflag', detail, at + TYPEFLAG_OFFSET);
  }
  const nul = buf.indexOf(0, NAME_OFFSET);
  const name = buf.toString('latin1', NAME_OFFSET, nul < 0 || nul > NAME_SIZE ? NAME_SIZE : nul);
  return { name, size: decodeSize(buf, at) };
}

function decodeSize(buf: Buffer, at: number): number {
  if ((buf[SIZE_OFFSET] & BASE256_FLAG) === 0) {
    return parseOctal(buf, SIZE_OFFSET, SIZE_SIZE, 'size', at);
  }
  let v = BigInt(buf[SIZE_OFFSET] & ~BASE256_FLAG & 0xff);
  for (let i = 1; i < SIZE_SIZE; i++) v = (v << 8n) | BigInt(buf[SIZE_OFFSET + i]);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FormatError('tar_header', 'size', `base-256 size 0x${v.toString(16)} too large`, at);
  }
  return Number(v);
}

/** parseOctal reads an octal field that may be padded with spaces or NULs. */
function parseOctal(buf: Buffer, off: number, len: number, field: string, at: number): number {
  const text = buf.toString('latin1', off, off + len).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]+$/.test(text)) {
    throw new FormatError('tar_header', field, `not octal: ${JSON.stringify(text)}`, at + off);
  }
  return parseInt(text, 8);
}
