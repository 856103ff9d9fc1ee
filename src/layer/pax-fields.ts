/**
 * Turns PAX records into the header fields they override.
 *
 * Recognised keys: `path`, `linkpath`, `size`, `uid`, `gid`, `mtime`, `uname`,
 * `gname`, `SCHILY.xattr.NAME` and `LIBARCHIVE.xattr.NAME`. Any `GNU.sparse.*` key
 * marks a sparse file. Other keys (`atime`, `ctime`, `hdrcharset`, `comment`,
 * vendor keys) are ignored.
 *
 * An empty value for a standard key means "use the header field" (POSIX: it
 * deletes a global value of that key). An empty xattr value is a real, empty
 * xattr value, as containerd reads it.
 */

import { FormatError } from '../errors.js';
import { GNU_SPARSE, LIBARCHIVE_XATTR, SCHILY_XATTR, type PaxRecords } from './pax.js';

/** PaxFields holds the overrides found in the PAX records of one entry. */
export interface PaxFields {
  path?: string;
  linkpath?: string;
  size?: number;
  uid?: number;
  gid?: number;
  /** Whole seconds; a fractional part is truncated toward zero. */
  mtime?: number;
  uname?: string;
  gname?: string;
  /** Name (byte string) → raw value. SCHILY wins over LIBARCHIVE for the same name. */
  xattrs: Map<string, Buffer>;
  /** True when a `GNU.sparse.*` key is present. */
  sparse: boolean;
}

const DECIMAL = /^[0-9]+$/;
const TIME = /^-?[0-9]+(\.[0-9]*)?$/;

/** Interprets `records`; throws FormatError for a malformed numeric value. */
export function interpretPax(records: PaxRecords): PaxFields {
  const fields: PaxFields = { xattrs: new Map(), sparse: false };
  const schily = new Map<string, Buffer>();
  for (const [key, value] of records) {
    if (key.startsWith(SCHILY_XATTR)) {
      schily.set(key.slice(SCHILY_XATTR.length), value);
    } else if (key.startsWith(LIBARCHIVE_XATTR)) {
      const name = percentDecode(key.slice(LIBARCHIVE_XATTR.length));
      fields.xattrs.set(name, Buffer.from(value.toString('latin1'), 'base64'));
    } else if (key.startsWith(GNU_SPARSE)) {
      fields.sparse = true;
    } else if (value.length > 0) {
      applyStandard(fields, key, value.toString('latin1'));
    }
  }
  // bsdtar writes both forms with the same bytes; prefer the raw SCHILY copy.
  for (const [name, value] of schily) fields.xattrs.set(name, value);
  return fields;
}

function applyStandard(fields: PaxFields, key: string, text: string): void {
  switch (key) {
    case 'path':
      fields.path = text;
      break;
    case 'linkpath':
      fields.linkpath = text;
      break;
    case 'uname':
      fields.uname = text;
      break;
    case 'gname':
      fields.gname = text;
      break;
    case 'size':
    case 'uid':
    case 'gid':
      fields[key] = decimal(key, text);
      break;
    case 'mtime':
      fields.mtime = seconds(text);
      break;
  }
}

function decimal(key: string, text: string): number {
  const value = Number(text);
  if (!DECIMAL.test(text) || !Number.isSafeInteger(value)) {
    throw new FormatError('pax record', key, `bad decimal value ${JSON.stringify(text)}`);
  }
  return value;
}

function seconds(text: string): number {
  if (!TIME.test(text)) {
    throw new FormatError('pax record', 'mtime', `bad time value ${JSON.stringify(text)}`);
  }
  const whole = Number(text.split('.')[0]);
  if (!Number.isSafeInteger(whole)) {
    throw new FormatError('pax record', 'mtime', `time value ${text} is out of range`);
  }
  // "-0.5" parses to -0; keep the result a plain zero.
  return whole === 0 ? 0 : whole;
}

/** Decodes `%XX` escapes (libarchive's xattr-name encoding) into bytes. */
export function percentDecode(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}
