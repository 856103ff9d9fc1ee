/**
 * Inline extended attributes (nydus-format.md §1.10): a 12-byte ibody header,
 * then entries of {u8 name_len, u8 name_index, u16 value_size, suffix, value}
 * each padded to 4 bytes. Names are stored as a prefix index plus a suffix.
 */

import { FormatError, NydusifyError } from '../errors.js';
import { alignUp, hex, structAt } from './bytes.js';

/** XATTR_IBODY_HEADER_SIZE is the size of the inline xattr header. */
export const XATTR_IBODY_HEADER_SIZE = 12;
/** XATTR_ENTRY_HEADER_SIZE is the fixed part of one entry. */
export const XATTR_ENTRY_HEADER_SIZE = 4;
/** XATTR_NAME_MAX bounds a full xattr name in bytes. */
export const XATTR_NAME_MAX = 255;
/** XATTR_VALUE_MAX bounds a value (e_value_size is a u16). */
export const XATTR_VALUE_MAX = 0xffff;

/** XATTR_PREFIXES lists the prefix indexes RAFS accepts (5, "lustre", is unused). */
export const XATTR_PREFIXES: ReadonlyArray<{ index: number; prefix: string }> = [
  { index: 1, prefix: 'user.' },
  { index: 2, prefix: 'system.posix_acl_access' },
  { index: 3, prefix: 'system.posix_acl_default' },
  { index: 4, prefix: 'trusted.' },
  { index: 6, prefix: 'security.' },
];

const H_SHARED_COUNT = 4;
const E_NAME_LEN = 0;
const E_NAME_INDEX = 1;
const E_VALUE_SIZE = 2;

/** Splits a full name into prefix index and suffix; undefined when no prefix matches. */
export function splitXattrName(name: string): { index: number; suffix: string } | undefined {
  for (const { index, prefix } of XATTR_PREFIXES) {
    // The two ACL names are whole names: their suffix must be empty.
    const whole = !prefix.endsWith('.');
    if (whole ? name === prefix : name.startsWith(prefix) && name.length > prefix.length) {
      return { index, suffix: name.slice(prefix.length) };
    }
  }
  return undefined;
}

/**
 * Encodes the xattrs of one inode, sorted by name (nydus uses hash order, which
 * is not reproducible). Returns an empty buffer and icount 0 when there are
 * none. `path` names the file in errors about bad keys or sizes.
 */
export function encodeXattrs(xattrs: ReadonlyMap<string, Buffer>, path: string): { area: Buffer; icount: number } {
  if (xattrs.size === 0) return { area: Buffer.alloc(0), icount: 0 };
  const parts: Buffer[] = [Buffer.alloc(XATTR_IBODY_HEADER_SIZE)];
  for (const name of [...xattrs.keys()].sort()) {
    const value = xattrs.get(name)!;
    const split = splitXattrName(name);
    if (split === undefined) throw new NydusifyError('ERR_XATTR', `${path}: invalid xattr key ${JSON.stringify(name)}`);
    if (name.length > XATTR_NAME_MAX) throw new NydusifyError('ERR_XATTR', `${path}: xattr name ${JSON.stringify(name)} is over 255 bytes`);
    if (value.length > XATTR_VALUE_MAX) throw new NydusifyError('ERR_XATTR', `${path}: xattr ${JSON.stringify(name)} value is over 65535 bytes`);
    const bodyLen = XATTR_ENTRY_HEADER_SIZE + split.suffix.length + value.length;
    const entry = Buffer.alloc(alignUp(bodyLen, 4));
    entry.writeUInt8(split.suffix.length, E_NAME_LEN);
    entry.writeUInt8(split.index, E_NAME_INDEX);
    entry.writeUInt16LE(value.length, E_VALUE_SIZE);
    entry.write(split.suffix, XATTR_ENTRY_HEADER_SIZE, 'latin1');
    value.copy(entry, XATTR_ENTRY_HEADER_SIZE + split.suffix.length);
    parts.push(entry);
  }
  const area = Buffer.concat(parts);
  return { area, icount: (area.length - XATTR_IBODY_HEADER_SIZE) / 4 + 1 };
}

/** Decodes `size` bytes of inline xattrs at absolute offset `base` of a bootstrap file. */
export function decodeXattrs(file: Buffer, base: number, size: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (size === 0) return out;
  const area = structAt(file, base, size, 'xattr');
  if (size < XATTR_IBODY_HEADER_SIZE) throw new FormatError('xattr', 'i_xattr_icount', `area of ${size} bytes`, base);
  const shared = area.readUInt8(H_SHARED_COUNT);
  if (shared !== 0) throw new FormatError('xattr', 'h_shared_count', `shared xattrs unsupported: ${hex(shared)}`, base + H_SHARED_COUNT);
  let off = XATTR_IBODY_HEADER_SIZE;
  while (off < size) {
    const at = base + off;
    if (off + XATTR_ENTRY_HEADER_SIZE > size) throw new FormatError('xattr', 'entry', 'truncated entry header', at);
    const nameLen = area.readUInt8(off + E_NAME_LEN);
    const index = area.readUInt8(off + E_NAME_INDEX);
    const valueSize = area.readUInt16LE(off + E_VALUE_SIZE);
    const prefix = XATTR_PREFIXES.find((p) => p.index === index);
    if (prefix === undefined) throw new FormatError('xattr', 'e_name_index', `unknown prefix ${hex(index)}`, at + E_NAME_INDEX);
    const start = off + XATTR_ENTRY_HEADER_SIZE;
    const end = start + nameLen + valueSize;
    if (end > size) throw new FormatError('xattr', 'e_value_size', `entry of ${hex(end - off)} bytes overruns the area`, at + E_VALUE_SIZE);
    const name = prefix.prefix + area.toString('latin1', start, start + nameLen);
    out.set(name, Buffer.from(area.subarray(start + nameLen, end)));
    off += Math.ceil((end - off) / 4) * 4;
  }
  return out;
}
