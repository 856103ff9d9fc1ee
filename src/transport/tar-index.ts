/**
 * A one-pass index of a tar file's members, for random access without extracting.
 *
 * `scanTar` reads only the 512-byte headers (and the few extended headers that carry
 * long names), seeking over member data, and records where each member's data
 * starts. Members are then read with positioned reads on one open file handle.
 *
 * Header layout (POSIX ustar, offsets in bytes within the 512-byte block):
 *
 * | field    | offset | size | encoding                              |
 * |----------|--------|------|---------------------------------------|
 * | name     | 0      | 100  | NUL-terminated                        |
 * | size     | 124    | 12   | octal, or base-256 when byte 0 & 0x80 |
 * | checksum | 148    | 8    | octal sum of the header, field = ' '  |
 * | typeflag | 156    | 1    | '0'/NUL file, '2' symlink, '5' dir …  |
 * | linkname | 157    | 100  | NUL-terminated                        |
 * | magic    | 257    | 6    | "ustar\0" (or GNU "ustar ")           |
 * | prefix   | 345    | 155  | ustar only: joined to name with '/'   |
 *
 * GNU long names ('L', 'K') and PAX headers ('x': path, linkpath, size) override
 * the next header's fields; global PAX headers ('g') are skipped.
 * References: https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html
 */
import { open, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { FormatError } from '../errors.js';
import { alignUp } from '../bytes.js';

/** TAR_BLOCK is the tar record unit; headers and data are padded to it. */
export const TAR_BLOCK = 512;
const NAME_OFFSET = 0;
const NAME_SIZE = 100;
const SIZE_OFFSET = 124;
const SIZE_SIZE = 12;
const CHECKSUM_OFFSET = 148;
const CHECKSUM_SIZE = 8;
const TYPEFLAG_OFFSET = 156;
const LINKNAME_OFFSET = 157;
const LINKNAME_SIZE = 100;
const MAGIC_OFFSET = 257;
const MAGIC_SIZE = 6;
const PREFIX_OFFSET = 345;
const PREFIX_SIZE = 155;
const BASE256_FLAG = 0x80;
/** MAX_EXTENDED_HEADER bounds a GNU long name or PAX header we read into memory. */
const MAX_EXTENDED_HEADER = 1024 * 1024;
/** How many symlinks one lookup follows before giving up (docker save links layers). */
const MAX_LINK_HOPS = 8;
/** Size of one positioned read when streaming a member. */
const READ_CHUNK = 256 * 1024;

/** TarMember is one indexed member: what it is and where its data starts. */
export interface TarMember {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  /** Byte offset of the member's data in the tar file. */
  offset: number;
  size: number;
  linkname?: string;
}

const EXTENDED_TYPES = new Set(['L', 'K', 'x']);

const TYPES: Record<string, TarMember['type']> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '5': 'dir',
};

/** normalizeMemberName drops `./` prefixes and trailing slashes, so lookups agree. */
export function normalizeMemberName(name: string): string {
  let out = posix.normalize(name);
  while (out.startsWith('./')) out = out.slice(2);
  return out.replace(/\/+$/, '');
}

function readString(block: Buffer, offset: number, size: number): string {
  const field = block.subarray(offset, offset + size);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? size : nul).toString('utf8');
}

function readSize(block: Buffer, at: number): number {
  const field = block.subarray(SIZE_OFFSET, SIZE_OFFSET + SIZE_SIZE);
  if ((field[0] as number) & BASE256_FLAG) {
    // GNU base-256: big-endian magnitude after the flag byte, used past 8 GiB.
    let value = 0;
    for (let i = 1; i < SIZE_SIZE; i++) value = value * 256 + (field[i] as number);
    return value;
  }
  const text = readString(block, SIZE_OFFSET, SIZE_SIZE).trim();
  if (!/^[0-7]*$/.test(text)) throw new FormatError('tar header', 'size', `not octal: ${JSON.stringify(text)}`, at);
  return text === '' ? 0 : parseInt(text, 8);
}

function checkChecksum(block: Buffer, at: number): void {
  const stored = parseInt(readString(block, CHECKSUM_OFFSET, CHECKSUM_SIZE).trim(), 8);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const inField = i >= CHECKSUM_OFFSET && i < CHECKSUM_OFFSET + CHECKSUM_SIZE;
    sum += inField ? 0x20 : (block[i] as number);
  }
  if (stored !== sum) {
    const detail = `stored 0x${stored.toString(16)}, computed 0x${sum.toString(16)}`;
    throw new FormatError('tar header', 'checksum', detail, at);
  }
}

/** Parses the records of a PAX extended header: "<len> <key>=<value>\n". */
function parsePax(data: Buffer, at: number): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const len = space < 0 ? NaN : parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) {
      throw new FormatError('pax header', 'record', 'bad record length', at + pos);
    }
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** Overrides carried by extended headers for the next real header. */
interface Pending {
  name?: string;
  linkname?: string;
  size?: number;
}

/** TarIndex is an open tar file with its member table. */
export class TarIndex {
  private constructor(
    /** The tar file's path, for messages. */
    readonly path: string,
    private readonly handle: FileHandle,
    /** Members by normalised name; a later member of the same name wins, as in tar. */
    readonly members: Map<string, TarMember>,
  ) {}

  /** open scans the tar at `path` once and keeps it open for member reads. */
  static async open(path: string): Promise<TarIndex> {
    const handle = await open(path, 'r');
    try {
      const members = await scan(handle, (await handle.stat()).size);
      return new TarIndex(path, handle, members);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** lookup finds a regular member by name, following symlinks and hardlinks. */
  lookup(name: string): TarMember | undefined {
    let member = this.members.get(normalizeMemberName(name));
    for (let hops = 0; member !== undefined && hops < MAX_LINK_HOPS; hops++) {
      if (member.type === 'file') return member;
      if (member.type === 'symlink' && member.linkname !== undefined) {
        const link = member.linkname;
        const target = link.startsWith('/') ? link : posix.join(posix.dirname(member.name), link);
        member = this.members.get(normalizeMemberName(target));
      } else if (member.type === 'hardlink' && member.linkname !== undefined) {
        member = this.members.get(normalizeMemberName(member.linkname));
      } else {
        return undefined;
      }
    }
    return undefined;
  }

  /** read returns a whole (small) member's bytes. */
  async read(member: TarMember): Promise<Buffer> {
    const buf = Buffer.alloc(member.size);
    const { bytesRead } = await this.handle.read(buf, 0, member.size, member.offset);
    if (bytesRead !== member.size) {
      throw new FormatError('tar member', member.name, `file ends after ${bytesRead} of ${member.size} bytes`);
    }
    return buf;
  }

  /**
   * stream reads a member's data with positioned reads on the shared handle. It is
   * hand-rolled because a FileHandle read stream closes the handle when destroyed,
   * which would break every other member read.
   */
  stream(member: TarMember): Readable {
    const handle = this.handle;
    const end = member.offset + member.size;
    let pos = member.offset;
    return new Readable({
      highWaterMark: READ_CHUNK,
      read(this: Readable): void {
        const length = Math.min(READ_CHUNK, end - pos);
        if (length <= 0) {
          this.push(null);
          return;
        }
        const buf = Buffer.allocUnsafe(length);
        handle.read(buf, 0, length, pos).then(({ bytesRead }) => {
          if (bytesRead === 0) {
            this.destroy(new FormatError('tar member', member.name, 'file ends inside the member'));
            return;
          }
          pos += bytesRead;
          this.push(buf.subarray(0, bytesRead));
        }, (err: Error) => this.destroy(err));
      },
    });
  }

  /** close releases the file handle; streams still open then fail. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function scan(handle: FileHandle, fileSize: number): Promise<Map<string, TarMember>> {
  const members = new Map<string, TarMember>();
  const block = Buffer.alloc(TAR_BLOCK);
  let pos = 0;
  let pending: Pending = {};
  while (pos + TAR_BLOCK <= fileSize) {
    await handle.read(block, 0, TAR_BLOCK, pos);
    if (block.every((b) => b === 0)) break;
    checkChecksum(block, pos);
    const typeflag = String.fromCharCode(block[TYPEFLAG_OFFSET] as number);
    const extended = EXTENDED_TYPES.has(typeflag);
    // A PAX size overrides the next real member's size, never an extended header's.
    const size = extended ? readSize(block, pos) : (pending.size ?? readSize(block, pos));
    const dataAt = pos + TAR_BLOCK;
    if (dataAt + size > fileSize) {
      throw new FormatError('tar header', 'size', `member of ${size} bytes runs past the end of the file`, pos);
    }
    pos = dataAt + alignUp(size, TAR_BLOCK);
    if (extended) {
      pending = { ...pending, ...(await readExtended(handle, typeflag, dataAt, size)) };
      continue;
    }
    if (typeflag === 'g') continue;
    const name = pending.name ?? headerName(block);
    const linkname = pending.linkname ?? readString(block, LINKNAME_OFFSET, LINKNAME_SIZE);
    pending = {};
    const type = TYPES[typeflag] ?? 'other';
    const member: TarMember = { name: normalizeMemberName(name), type, offset: dataAt, size };
    if (linkname !== '') member.linkname = linkname;
    members.set(member.name, member);
  }
  return members;
}

function headerName(block: Buffer): string {
  const name = readString(block, NAME_OFFSET, NAME_SIZE);
  const isUstar = block.subarray(MAGIC_OFFSET, MAGIC_OFFSET + MAGIC_SIZE).toString('latin1') === 'ustar\0';
  const prefix = isUstar ? readString(block, PREFIX_OFFSET, PREFIX_SIZE) : '';
  return prefix === '' ? name : `${prefix}/${name}`;
}

async function readExtended(
  handle: FileHandle,
  typeflag: string,
  at: number,
  size: number,
): Promise<Pending> {
  if (size > MAX_EXTENDED_HEADER) {
    throw new FormatError('tar header', 'size', `extended header of ${size} bytes is over the limit`, at);
  }
  const data = Buffer.alloc(size);
  await handle.read(data, 0, size, at);
  if (typeflag === 'L') return { name: readString(data, 0, size) };
  if (typeflag === 'K') return { linkname: readString(data, 0, size) };
  const pax = parsePax(data, at);
  const out: Pending = {};
  if (pax.has('path')) out.name = pax.get('path') as string;
  if (pax.has('linkpath')) out.linkname = pax.get('linkpath') as string;
  if (pax.has('size')) out.size = Number(pax.get('size'));
  return out;
}
