/**
 * A tar writer for tests: whole archives in memory, plus single headers with
 * any field the tests need to get wrong or unusual (base-256 numbers, GNU long
 * names, PAX records with binary values, signed or wrong checksums).
 *
 * Strings are byte strings (one character per byte, as in src/tree/types.ts), so
 * what `buildTar` is given as a path is exactly what `readTar` hands back; use
 * `toByteString` for UTF-8 names, or pass a Buffer.
 *
 * It is written independently of src/layer so that the two check each other;
 * golden tests pin it to Python's tarfile and GNU tar.
 */

import type { FileType } from '../../src/tree/types.js';

const BLOCK = 512;

/** Bytes is a byte string (latin1) or raw bytes. */
export type Bytes = string | Buffer;

/** NumericField names a numeric header field. */
export type NumericField = 'mode' | 'uid' | 'gid' | 'size' | 'mtime' | 'devMajor' | 'devMinor';

/** HeaderFields are the raw values of one 512-byte header; all are optional. */
export interface HeaderFields {
  name?: Bytes;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number;
  /** One character; default '0'. */
  typeflag?: string;
  linkname?: Bytes;
  uname?: Bytes;
  gname?: Bytes;
  devMajor?: number;
  devMinor?: number;
  /** POSIX ustar prefix (only meaningful with format 'ustar'). */
  prefix?: Bytes;
  /** Magic and version: 'ustar' = "ustar\0" "00", 'gnu' = "ustar  \0", 'v7' = none. */
  format?: 'ustar' | 'gnu' | 'v7';
  /** Fields to write in base-256 even when octal would fit. */
  base256?: NumericField[];
  /** 'unsigned' (default), 'signed' (historic variant), or a number to store as-is. */
  checksum?: 'unsigned' | 'signed' | number;
}

// [offset, size] of each header field.
const F = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 8],
  uname: [265, 32],
  gname: [297, 32],
  devMajor: [329, 8],
  devMinor: [337, 8],
  prefix: [345, 155],
} as const;

const MAGIC = { ustar: 'ustar\x0000', gnu: 'ustar  \x00', v7: '\0'.repeat(8) } as const;

/** Encodes one header block. Numbers too big for octal are written in base-256. */
export function tarHeader(f: HeaderFields): Buffer {
  const b = Buffer.alloc(BLOCK);
  putBytes(b, 'name', f.name ?? '');
  const numbers: Record<NumericField, number> = {
    mode: f.mode ?? 0o644,
    uid: f.uid ?? 0,
    gid: f.gid ?? 0,
    size: f.size ?? 0,
    mtime: f.mtime ?? 0,
    devMajor: f.devMajor ?? 0,
    devMinor: f.devMinor ?? 0,
  };
  const format = f.format ?? 'ustar';
  const typeflag = f.typeflag ?? '0';
  // Like Python's tarfile: device numbers only for devices, or when given.
  const device = typeflag === '3' || typeflag === '4';
  const given = f.devMajor !== undefined || f.devMinor !== undefined;
  const devices = format !== 'v7' && (device || given);
  for (const key of Object.keys(numbers) as NumericField[]) {
    if (!devices && (key === 'devMajor' || key === 'devMinor')) continue;
    putNumber(b, key, numbers[key], f.base256?.includes(key) ?? false);
  }
  b.write(typeflag, F.typeflag[0], 1, 'latin1');
  putBytes(b, 'linkname', f.linkname ?? '');
  b.write(MAGIC[format], F.magic[0], 8, 'latin1');
  if (format !== 'v7') {
    putBytes(b, 'uname', f.uname ?? '');
    putBytes(b, 'gname', f.gname ?? '');
  }
  if (f.prefix !== undefined) putBytes(b, 'prefix', f.prefix);
  putChecksum(b, f.checksum ?? 'unsigned');
  return b;
}

function putBytes(b: Buffer, field: keyof typeof F, value: Bytes): void {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const [offset, size] = F[field];
  if (bytes.length > size) throw new Error(`tar-builder: ${field} is longer than ${size} bytes`);
  bytes.copy(b, offset);
}

function putNumber(b: Buffer, field: NumericField, value: number, base256: boolean): void {
  const [offset, size] = F[field];
  const digits = size - 1;
  if (!base256 && value >= 0 && value < 8 ** digits) {
    // Same form as Python's tarfile and Go: zero-padded octal, NUL-terminated.
    b.write(value.toString(8).padStart(digits, '0') + '\0', offset, size, 'latin1');
    return;
  }
  encodeBase256(value, size).copy(b, offset);
}

/** Encodes `value` as a GNU base-256 field of `size` bytes (two's complement if negative). */
export function encodeBase256(value: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let v = BigInt(value);
  if (v < 0n) v = (1n << BigInt(size * 8)) + v;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[0] |= 0x80;
  return out;
}

function putChecksum(b: Buffer, mode: 'unsigned' | 'signed' | number): void {
  const [offset, size] = F.chksum;
  b.fill(0x20, offset, offset + size);
  let sum = 0;
  for (const byte of b) sum += mode === 'signed' && byte >= 0x80 ? byte - 0x100 : byte;
  const stored = typeof mode === 'number' ? mode : sum;
  b.write(stored.toString(8).padStart(6, '0') + '\0 ', offset, size, 'latin1');
}

/** Encodes PAX records `"%d key=value\n"`; keys and values are bytes, lengths count bytes. */
export function paxRecords(records: Record<string, Bytes> | Array<[Bytes, Bytes]>): Buffer {
  const pairs = Array.isArray(records) ? records : Object.entries(records);
  return Buffer.concat(pairs.map(([key, value]) => paxRecord(key, value)));
}

function paxRecord(key: Bytes, value: Bytes): Buffer {
  const k = typeof key === 'string' ? Buffer.from(key, 'latin1') : key;
  const v = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const base = k.length + v.length + 3; // space, '=', newline
  let length = base + 1;
  while (length !== base + String(length).length) length = base + String(length).length;
  return Buffer.concat([Buffer.from(`${length} `), k, Buffer.from('='), v, Buffer.from('\n')]);
}

/** Pads data to whole blocks. */
export function padded(data: Buffer): Buffer {
  const tail = data.length % BLOCK;
  return tail === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - tail)]);
}

/** A metadata entry (PAX `x`/`g`, GNU `L`/`K`): header plus padded body. */
export function metaEntry(typeflag: string, body: Buffer, name: Bytes = '././@LongLink'): Buffer {
  const format = typeflag === 'L' || typeflag === 'K' ? 'gnu' : 'ustar';
  const header = tarHeader({ name, typeflag, size: body.length, mode: 0o644, format });
  return Buffer.concat([header, padded(body)]);
}

/** EntrySpec describes one file system entry for `buildTar`. */
export interface EntrySpec {
  /** Byte string or bytes. Directories get a trailing '/' added, as tar writers do. */
  path: Bytes;
  /** Default 'file'. */
  type?: FileType | 'hardlink';
  /** Raw typeflag, overriding the one `type` implies (e.g. '7', '\0', 'S', 'Z'). */
  typeflag?: string;
  data?: Bytes;
  /** Default 0o755 for directories, 0o644 otherwise. May include S_IFMT bits. */
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  uname?: string;
  gname?: string;
  /** Written as `SCHILY.xattr.NAME` PAX records. */
  xattrs?: Record<string, Bytes> | Map<string, Bytes>;
  linkTarget?: Bytes;
  devMajor?: number;
  devMinor?: number;
  /** Put path, linkpath, uid, gid, size, mtime, uname, gname into a PAX header. */
  pax?: boolean;
  /** More PAX records for this entry (written after the generated ones). */
  paxRecords?: Record<string, Bytes> | Array<[Bytes, Bytes]>;
  /** Use GNU `L` (and `K`) entries for the path and link target. */
  gnuLongName?: boolean;
  /** Header format; default 'gnu' with gnuLongName, else 'ustar'. */
  format?: 'ustar' | 'gnu' | 'v7';
  /** Header fields forced to base-256. */
  base256?: NumericField[];
  checksum?: HeaderFields['checksum'];
}

/** TarSpec is one item of `buildTar`: an entry, a global PAX header, or raw bytes. */
export type TarSpec = EntrySpec | { globalPax: Record<string, Bytes> } | { raw: Buffer };

/** Options for `buildTar`. */
export interface BuildOptions {
  /** Zero blocks at the end; default 2. */
  endBlocks?: number;
}

const TYPEFLAG: Record<FileType | 'hardlink', string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
  socket: '',
};

/** Builds a whole archive: entries with padded data, then the end-of-archive blocks. */
export function buildTar(items: TarSpec[], opts: BuildOptions = {}): Buffer {
  const parts: Buffer[] = [];
  for (const item of items) {
    if ('raw' in item) parts.push(item.raw);
    else if ('globalPax' in item) {
      parts.push(metaEntry('g', paxRecords(item.globalPax), 'pax_global_header'));
    } else parts.push(...entryBlocks(item));
  }
  parts.push(Buffer.alloc(BLOCK * (opts.endBlocks ?? 2)));
  return Buffer.concat(parts);
}

function entryBlocks(e: EntrySpec): Buffer[] {
  const type = e.type ?? 'file';
  const typeflag = e.typeflag ?? TYPEFLAG[type];
  if (typeflag === '') throw new Error('tar-builder: tar has no socket type');
  const data = toBuf(e.data ?? '');
  let path = toBuf(e.path);
  if (type === 'dir' && path.length > 0 && path[path.length - 1] !== 0x2f) {
    path = Buffer.concat([path, Buffer.from('/')]);
  }
  const link = toBuf(e.linkTarget ?? '');
  const out: Buffer[] = [];
  const header: HeaderFields = {
    mode: e.mode ?? (type === 'dir' ? 0o755 : 0o644),
    uid: e.uid,
    gid: e.gid,
    mtime: e.mtime,
    size: data.length,
    typeflag,
    uname: e.uname,
    gname: e.gname,
    devMajor: e.devMajor,
    devMinor: e.devMinor,
    format: e.format ?? (e.gnuLongName ? 'gnu' : 'ustar'),
    base256: e.base256,
    checksum: e.checksum,
  };
  const pax: Array<[Bytes, Bytes]> = [];
  placeNames(e, path, link, header, pax, out);
  if (e.pax) addPaxNumbers(header, pax);
  for (const [name, value] of xattrPairs(e.xattrs)) pax.push([`SCHILY.xattr.${name}`, value]);
  if (e.paxRecords) {
    pax.push(...(Array.isArray(e.paxRecords) ? e.paxRecords : Object.entries(e.paxRecords)));
  }
  if (pax.length > 0) out.push(metaEntry('x', paxRecords(pax), paxName(path)));
  out.push(tarHeader(header), padded(data));
  return out;
}

/** Fills name/prefix/linkname, moving long ones to GNU L/K entries or PAX records. */
function placeNames(
  e: EntrySpec,
  path: Buffer,
  link: Buffer,
  header: HeaderFields,
  pax: Array<[Bytes, Bytes]>,
  out: Buffer[],
): void {
  if (e.gnuLongName) {
    out.push(metaEntry('L', Buffer.concat([path, Buffer.alloc(1)])));
    header.name = path.subarray(0, 100);
    if (link.length > 0) out.push(metaEntry('K', Buffer.concat([link, Buffer.alloc(1)])));
    header.linkname = link.subarray(0, 100);
    return;
  }
  const split = path.length > 100 && !e.pax ? splitUstar(path) : null;
  if (e.pax || (path.length > 100 && split === null)) {
    pax.push(['path', path]);
    header.name = path.subarray(0, 100);
  } else if (split !== null) {
    [header.prefix, header.name] = split;
  } else {
    header.name = path;
  }
  if (e.pax || link.length > 100) pax.push(['linkpath', link]);
  header.linkname = link.subarray(0, 100);
}

/** Splits a long path at a '/' into a ≤155-byte ustar prefix and a ≤100-byte name. */
function splitUstar(path: Buffer): [Buffer, Buffer] | null {
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== 0x2f) continue;
    if (path.length - i - 1 > 100) return null;
    if (i <= 155) return [path.subarray(0, i), path.subarray(i + 1)];
  }
  return null;
}

function addPaxNumbers(h: HeaderFields, pax: Array<[Bytes, Bytes]>): void {
  for (const key of ['uid', 'gid', 'size', 'mtime'] as const) {
    const value = h[key] ?? 0;
    pax.push([key, String(value)]);
    // Like Go: a value that needs PAX leaves the header field at zero.
    if (value >= 8 ** (key === 'size' || key === 'mtime' ? 11 : 7)) h[key] = 0;
  }
  if (h.uname) pax.push(['uname', h.uname]);
  if (h.gname) pax.push(['gname', h.gname]);
}

function xattrPairs(x: EntrySpec['xattrs']): Array<[string, Bytes]> {
  if (x === undefined) return [];
  return x instanceof Map ? [...x.entries()] : Object.entries(x);
}

function paxName(path: Buffer): Buffer {
  const base = path.toString('latin1').replace(/\/$/, '').split('/').pop() ?? '';
  return Buffer.from(`PaxHeaders.0/${base}`.slice(0, 100), 'latin1');
}

function toBuf(v: Bytes): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
}

/** Yields `data` in slices of `size` bytes (the last may be shorter), for streaming tests. */
export async function* chunked(data: Buffer, size = Infinity): AsyncGenerator<Buffer> {
  if (size === Infinity) {
    if (data.length > 0) yield data;
    return;
  }
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}
