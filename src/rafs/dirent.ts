/**
 * The EROFS directory entry (`erofs_dirent`), 12 bytes (nydus-format.md §1.9),
 * and the e_file_type codes.
 */

import { FormatError } from '../errors.js';
import type { FileType } from '../tree/types.js';
import { hex, readU64, structAt, writeU64 } from './bytes.js';

/** DIRENT_SIZE is the size of one dirent in bytes. */
export const DIRENT_SIZE = 12;

/** DIRENT_FILE_TYPE maps file types to e_file_type codes (0 is unknown). */
export const DIRENT_FILE_TYPE: Readonly<Record<FileType, number>> = {
  file: 1,
  dir: 2,
  char: 3,
  block: 4,
  fifo: 5,
  socket: 6,
  symlink: 7,
};
/** DIRENT_FILE_TYPE_UNKNOWN is e_file_type 0. */
export const DIRENT_FILE_TYPE_UNKNOWN = 0;
/** DIRENT_FILE_TYPE_MAX is one past the largest valid code. */
export const DIRENT_FILE_TYPE_MAX = 8;

const E_NID = 0;
const E_NAMEOFF = 8;
const E_FILE_TYPE = 10;
// 11: reserved

/** Dirent is one decoded directory entry without its name. */
export interface Dirent {
  nid: number;
  nameoff: number;
  fileType: number;
}

/** Encodes a dirent into `buf` at `off` (12 bytes). */
export function encodeDirent(d: Dirent, buf: Buffer, off: number): void {
  writeU64(buf, off + E_NID, d.nid);
  buf.writeUInt16LE(d.nameoff, off + E_NAMEOFF);
  buf.writeUInt8(d.fileType, off + E_FILE_TYPE);
  buf.writeUInt8(0, off + E_FILE_TYPE + 1);
}

/** Decodes the dirent at `off` of `block`; `base` is the block's absolute offset. */
export function decodeDirent(block: Buffer, off: number, base: number): Dirent {
  const b = structAt(block, off, DIRENT_SIZE, 'dirent');
  const d = {
    nid: readU64(b, E_NID, 'dirent', 'e_nid', base + off),
    nameoff: b.readUInt16LE(E_NAMEOFF),
    fileType: b.readUInt8(E_FILE_TYPE),
  };
  if (d.fileType >= DIRENT_FILE_TYPE_MAX) {
    throw new FormatError('dirent', 'e_file_type', `invalid ${hex(d.fileType)}`, base + off + E_FILE_TYPE);
  }
  return d;
}

/** Returns the file type for an e_file_type code, or undefined for 0. */
export function fileTypeOfDirent(code: number): FileType | undefined {
  return (Object.keys(DIRENT_FILE_TYPE) as FileType[]).find((t) => DIRENT_FILE_TYPE[t] === code);
}
