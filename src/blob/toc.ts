/**
 * Table-of-contents entries (`rafs.blob.toc`, format doc §3.7), 128 bytes each. The
 * ToC lists the sections of a blob so a reader can fetch one without parsing the rest.
 *
 * | Off | Size | Field             | Notes                                              |
 * |-----|------|-------------------|----------------------------------------------------|
 * | 0   | u32  | flags             | compression of the entry data: 1 none, 2 zstd, 4 lz4 |
 * | 4   | u32  | reserved1         | 0                                                  |
 * | 8   | [16] | name              | NUL-padded                                         |
 * | 24  | [32] | digest            | sha256 of the uncompressed entry data              |
 * | 56  | u64  | compressed_offset | absolute offset in the blob                        |
 * | 64  | u64  | compressed_size   |                                                    |
 * | 72  | u64  | uncompressed_size |                                                    |
 * | 80  | [48] | reserved2         | written as 0; ignored when read (old blobs: ff ff) |
 */
import { FormatError } from '../errors.js';
import type { Compressor } from './types.js';
import { readU64, writeU64 } from '../bytes.js';

/** TOC_ENTRY_SIZE is the size of one entry. */
export const TOC_ENTRY_SIZE = 128;
/** TOC_MAX_ENTRIES is how many entries fit in the 4096-byte tail nydus reads. */
export const TOC_MAX_ENTRIES = 28;

const FLAGS_OFFSET = 0;
const RESERVED1_OFFSET = 4;
const NAME_OFFSET = 8;
const NAME_SIZE = 16;
const DIGEST_OFFSET = 24;
const DIGEST_SIZE = 32;
const COMPRESSED_OFFSET_OFFSET = 56;
const COMPRESSED_SIZE_OFFSET = 64;
const UNCOMPRESSED_SIZE_OFFSET = 72;

/** Compression flag values; the low four bits hold exactly one of them. */
const TOC_FLAG: Record<Compressor, number> = { none: 0x1, zstd: 0x2, lz4_block: 0x4 };
const TOC_FLAG_MASK = 0xf;

/** TocEntry describes one section of a blob. */
export interface TocEntry {
  name: string;
  /** How the section's bytes are stored. */
  compressor: Compressor;
  /** sha256 of the uncompressed section bytes. */
  digest: Buffer;
  compressedOffset: number;
  compressedSize: number;
  uncompressedSize: number;
}

/** encodeTocEntry writes one 128-byte entry. */
export function encodeTocEntry(e: TocEntry): Buffer {
  const name = Buffer.from(e.name, 'latin1');
  if (name.length === 0 || name.length > NAME_SIZE) {
    throw new FormatError('toc_entry', 'name', `length ${name.length} is not 1..${NAME_SIZE}`);
  }
  if (e.digest.length !== DIGEST_SIZE) {
    throw new FormatError('toc_entry', 'digest', `length ${e.digest.length}, want 32`);
  }
  const buf = Buffer.alloc(TOC_ENTRY_SIZE);
  buf.writeUInt32LE(TOC_FLAG[e.compressor], FLAGS_OFFSET);
  name.copy(buf, NAME_OFFSET);
  e.digest.copy(buf, DIGEST_OFFSET);
  writeU64(buf, COMPRESSED_OFFSET_OFFSET, e.compressedOffset);
  writeU64(buf, COMPRESSED_SIZE_OFFSET, e.compressedSize);
  writeU64(buf, UNCOMPRESSED_SIZE_OFFSET, e.uncompressedSize);
  return buf;
}

/** decodeTocEntry reads one entry; `at` is its blob offset, for error messages. */
export function decodeTocEntry(buf: Buffer, at = 0): TocEntry {
  const flags = buf.readUInt32LE(FLAGS_OFFSET);
  const compressor = compressorOfFlags(flags & TOC_FLAG_MASK);
  if (compressor === undefined) {
    throw new FormatError('toc_entry', 'flags', `bad compression 0x${flags.toString(16)}`, at);
  }
  const reserved1 = buf.readUInt32LE(RESERVED1_OFFSET);
  if (reserved1 !== 0) {
    const detail = `0x${reserved1.toString(16)}, want 0`;
    throw new FormatError('toc_entry', 'reserved1', detail, at + RESERVED1_OFFSET);
  }
  const rawName = buf.subarray(NAME_OFFSET, NAME_OFFSET + NAME_SIZE);
  const nul = rawName.indexOf(0);
  return {
    name: rawName.toString('latin1', 0, nul < 0 ? NAME_SIZE : nul),
    compressor,
    digest: Buffer.from(buf.subarray(DIGEST_OFFSET, DIGEST_OFFSET + DIGEST_SIZE)),
    compressedOffset: readU64(buf, COMPRESSED_OFFSET_OFFSET, 'toc_entry', 'compressed_offset', at),
    compressedSize: readU64(buf, COMPRESSED_SIZE_OFFSET, 'toc_entry', 'compressed_size', at),
    uncompressedSize: readU64(buf, UNCOMPRESSED_SIZE_OFFSET, 'toc_entry', 'uncompressed_size', at),
  };
}

function compressorOfFlags(flag: number): Compressor | undefined {
  for (const [c, f] of Object.entries(TOC_FLAG)) if (f === flag) return c as Compressor;
  return undefined;
}

/** encodeToc writes the entries back to back. */
export function encodeToc(entries: TocEntry[]): Buffer {
  if (entries.length > TOC_MAX_ENTRIES) {
    const detail = `${entries.length} entries, at most ${TOC_MAX_ENTRIES}`;
    throw new FormatError('toc', 'entries', detail);
  }
  return Buffer.concat(entries.map(encodeTocEntry));
}

/** decodeToc reads back-to-back entries; `at` is the blob offset of the first. */
export function decodeToc(buf: Buffer, at = 0): TocEntry[] {
  if (buf.length % TOC_ENTRY_SIZE !== 0 || buf.length / TOC_ENTRY_SIZE > TOC_MAX_ENTRIES) {
    const detail = `size 0x${buf.length.toString(16)} is not a multiple of 128 up to 28 entries`;
    throw new FormatError('toc', 'size', detail, at);
  }
  const entries: TocEntry[] = [];
  for (let off = 0; off < buf.length; off += TOC_ENTRY_SIZE) {
    entries.push(decodeTocEntry(buf.subarray(off, off + TOC_ENTRY_SIZE), at + off));
  }
  return entries;
}
