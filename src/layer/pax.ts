/**
 * PAX extended header records (POSIX.1-2001 `x` and `g` entries).
 *
 * The body of a PAX entry is a run of records `"%d %s=%s\n"`: a decimal length
 * that counts every byte of the record (its own digits, the space, the key, `=`,
 * the value and the newline), the key, and the value. Values are parsed as raw
 * bytes, never decoded as UTF-8, because `SCHILY.xattr.*` values are binary
 * (e.g. `security.capability`) and a text decoder would replace invalid bytes.
 *
 * Keys and text values are returned as byte strings (one character per byte).
 */

import { FormatError } from '../errors.js';

/** PaxRecords maps a record key (byte string) to its raw value bytes. */
export type PaxRecords = Map<string, Buffer>;

/** SCHILY_XATTR prefixes an xattr record: name follows verbatim, value is raw bytes. */
export const SCHILY_XATTR = 'SCHILY.xattr.';
/** LIBARCHIVE_XATTR prefixes a bsdtar xattr record: name is %-encoded, value base64. */
export const LIBARCHIVE_XATTR = 'LIBARCHIVE.xattr.';
/** GNU_SPARSE prefixes the keys of GNU sparse files stored in PAX format 0.x/1.0. */
export const GNU_SPARSE = 'GNU.sparse.';

const SPACE = 0x20;
const EQUALS = 0x3d;
const NEWLINE = 0x0a;
/** Longest length prefix accepted; 16 digits already exceed any sane entry. */
const MAX_LENGTH_DIGITS = 16;

/**
 * Parses a PAX entry body into records. A later record with the same key wins.
 * Trailing NUL padding (written by some tools) is ignored. `position` is the
 * body's offset in the archive, for error messages.
 */
export function parsePaxRecords(body: Buffer, position: number): PaxRecords {
  const records: PaxRecords = new Map();
  let at = 0;
  while (at < body.length) {
    if (body[at] === 0 && body.subarray(at).every((b) => b === 0)) break;
    const space = body.indexOf(SPACE, at);
    const digits = space === -1 ? '' : body.toString('latin1', at, space);
    if (!/^[0-9]+$/.test(digits) || digits.length > MAX_LENGTH_DIGITS) {
      throw paxError('length', 'record does not start with a decimal length', position + at);
    }
    const length = Number(digits);
    const end = at + length;
    if (end > body.length || end <= space + 1 || body[end - 1] !== NEWLINE) {
      throw paxError('length', `record length ${length} does not end at a newline`, position + at);
    }
    const equals = body.indexOf(EQUALS, space + 1);
    if (equals === -1 || equals >= end - 1 || equals === space + 1) {
      throw paxError('key', 'record has no key=value', position + at);
    }
    const key = body.toString('latin1', space + 1, equals);
    // Copy: the value must outlive the chunk it was read from.
    records.set(key, Buffer.from(body.subarray(equals + 1, end - 1)));
    at = end;
  }
  return records;
}

/** Returns `base` overlaid with `top`; the inputs are not modified. */
export function overlayPax(base: PaxRecords, top: PaxRecords): PaxRecords {
  const out = new Map(base);
  for (const [key, value] of top) out.set(key, value);
  return out;
}

function paxError(field: string, detail: string, offset: number): FormatError {
  return new FormatError('pax record', field, detail, offset);
}
