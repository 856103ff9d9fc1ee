/**
 * Reads a Nydus data blob: finds its ToC (or, in the older layout, its trailing
 * `image.boot` header), extracts and verifies the inlined bootstrap, the chunk-digest
 * array, the meta header and the CI array, and reads single chunks with their digest
 * checked (format doc §3.2–3.9, §6).
 *
 * Every structural problem is a FormatError naming the struct, field, offset and
 * value; every content problem is a DigestMismatchError naming the section or chunk.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DigestMismatchError, FormatError } from '../errors.js';
import type { ChunkRef } from '../tree/types.js';
import { checkMetaAgainstToc, decodeCi, splitDigests } from './blob-meta.js';
import type { CiEntry } from './ci-array.js';
import { decompressChunk } from './compress.js';
import { chunkDigest, crc32c, sha256 } from './digest.js';
import { hex, range } from './hex.js';
import {
  decodeMetaHeader,
  META_HEADER_MAGIC,
  META_HEADER_SIZE,
  type MetaHeader,
} from './meta-header.js';
import { walkSections, type BlobSection } from './tail-sections.js';
import {
  SECTION_BLOB_DIGEST,
  SECTION_BLOB_META,
  SECTION_BLOB_META_HEADER,
  SECTION_IMAGE_BLOB,
  SECTION_IMAGE_BOOT,
  SECTION_TOC,
  TAR_HEADER_SIZE,
} from './tar-header.js';
import { decodeToc, type TocEntry } from './toc.js';
import type { Compressor, Digester } from './types.js';

/** ZSTD_MAGIC opens every zstd frame (bytes 28 b5 2f fd). */
const ZSTD_MAGIC = 0xfd2fb528;

/** ChunkLocation is what `readChunk` needs to know about a chunk. */
export type ChunkLocation = Pick<
  ChunkRef,
  'compressedOffset' | 'compressedSize' | 'uncompressedSize' | 'compressed' | 'digest'
> &
  Partial<Pick<ChunkRef, 'chunkIndex' | 'crc32'>>;

/** BlobToc is a blob's table of contents and what a bootstrap records about it. */
export interface BlobToc {
  entries: TocEntry[];
  /** Entries plus their tar header: blob_toc_size. */
  size: number;
  /** sha256(entries + tar header): blob_toc_digest, for callers to compare. */
  digest: Buffer;
}

/** openBlobFile opens and parses the blob at `path`; close it when done. */
export async function openBlobFile(path: string): Promise<BlobFile> {
  const handle = await open(path, 'r');
  try {
    return await BlobFile.fromHandle(handle, path);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** BlobFile is a parsed blob over an open file handle. */
export class BlobFile {
  /** Tar-delimited sections in file order; empty for a blob without tar headers. */
  sections: BlobSection[] = [];
  /** The ToC, or null for a blob without one. */
  toc: BlobToc | null = null;
  /** The raw inlined bootstrap (decompressed, digest checked), or null. */
  bootstrap: Buffer | null = null;
  /** Chunk digests from `blob.digest` in chunk-index order, or null. */
  chunkDigests: Buffer[] | null = null;
  /** The blob meta header, or null for a blob without chunk data. */
  metaHeader: MetaHeader | null = null;
  /** Offset of the meta header in the blob, when there is one. */
  metaHeaderOffset = 0;
  /** The decoded CI array, or null without a meta header. */
  ciEntries: CiEntry[] | null = null;

  private constructor(
    private readonly handle: FileHandle,
    /** Name used in error messages, normally the path. */
    readonly name: string,
    /** File size in bytes. */
    readonly size: number,
  ) {}

  /** fromHandle parses the blob behind `handle`; the BlobFile takes over the handle. */
  static async fromHandle(handle: FileHandle, name = 'blob'): Promise<BlobFile> {
    const blob = new BlobFile(handle, name, (await handle.stat()).size);
    await blob.load();
    return blob;
  }

  private async load(): Promise<void> {
    this.sections = await walkSections((p, n) => this.readAt(p, n), this.size);
    const last = this.sections.at(-1);
    if (last?.name === SECTION_TOC) this.toc = await this.loadToc(last);
    this.bootstrap = await this.loadSection(SECTION_IMAGE_BOOT);
    const digests = await this.loadSection(SECTION_BLOB_DIGEST);
    if (digests !== null) {
      const at = this.tocEntry(SECTION_BLOB_DIGEST)?.compressedOffset;
      this.chunkDigests = splitDigests(digests, at);
    }
    await this.loadMeta();
  }

  private async loadToc(section: BlobSection): Promise<BlobToc> {
    const bytes = await this.readAt(section.dataOffset, section.size + TAR_HEADER_SIZE);
    return {
      entries: decodeToc(bytes.subarray(0, section.size), section.dataOffset),
      size: bytes.length,
      digest: sha256(bytes),
    };
  }

  /** tocEntry returns the ToC entry named `name`, if the blob has a ToC with one. */
  tocEntry(name: string): TocEntry | undefined {
    return this.toc?.entries.find((e) => e.name === name);
  }

  /** section returns the tar-delimited section named `name`, if any. */
  section(name: string): BlobSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /**
   * extract reads a ToC entry's data, decompresses it and checks its size and sha256
   * (format doc §6). The `image.blob` entry is refused: its digest covers its tar
   * header too and its offset is unreliable in old blobs; read chunks instead.
   */
  async extract(entry: TocEntry): Promise<Buffer> {
    const at = entry.compressedOffset;
    const tocStart = this.section(SECTION_TOC)?.dataOffset ?? this.size;
    if (entry.name === SECTION_IMAGE_BLOB) {
      throw new FormatError('toc_entry', 'name', 'image.blob is not extracted whole', at);
    }
    if (at + entry.compressedSize > tocStart) {
      const where = range(at, entry.compressedSize);
      const detail = `${entry.name} ${where} runs past the ToC at ${hex(tocStart)}`;
      throw new FormatError('toc_entry', 'compressed_size', detail, at);
    }
    const stored = await this.readAt(at, entry.compressedSize);
    const data = decompressChunk(entry.compressor, stored, entry.uncompressedSize);
    const actual = sha256(data);
    if (!actual.equals(entry.digest)) {
      throw new DigestMismatchError(
        `${this.name}: toc entry ${entry.name}`,
        `sha256:${entry.digest.toString('hex')}`,
        `sha256:${actual.toString('hex')}`,
      );
    }
    return data;
  }

  /**
   * loadSection returns a section's uncompressed bytes: through the ToC (verified)
   * when the blob has one, else from the tar-delimited section (stored as-is in the
   * older layout, with nothing to verify against); null when absent.
   */
  private async loadSection(name: string): Promise<Buffer | null> {
    if (this.toc !== null) {
      const entry = this.tocEntry(name);
      return entry === undefined ? null : this.extract(entry);
    }
    const s = this.section(name);
    return s === undefined ? null : this.readAt(s.dataOffset, s.size);
  }

  private async loadMeta(): Promise<void> {
    const at = await this.metaHeaderLocation();
    if (at === undefined) return;
    const headerEntry = this.tocEntry(SECTION_BLOB_META_HEADER);
    const headerBytes =
      headerEntry !== undefined
        ? await this.extract(headerEntry)
        : await this.readAt(at, META_HEADER_SIZE);
    const h = decodeMetaHeader(headerBytes, at);
    this.metaHeader = h;
    this.metaHeaderOffset = at;
    const metaEntry = this.tocEntry(SECTION_BLOB_META);
    if (metaEntry !== undefined) checkMetaAgainstToc(h, metaEntry);
    const raw = metaEntry !== undefined ? await this.extract(metaEntry) : await this.readCi(h);
    this.ciEntries = decodeCi(raw, h);
    if (this.chunkDigests !== null && this.chunkDigests.length !== h.ciEntries) {
      const detail = `${this.chunkDigests.length} digests for ${h.ciEntries} chunks`;
      const digestAt = this.tocEntry(SECTION_BLOB_DIGEST)?.compressedOffset;
      throw new FormatError('blob_digest', 'size', detail, digestAt);
    }
  }

  /**
   * metaHeaderLocation finds the header through the ToC, through a `blob.meta`
   * section, or, for the plain layout without tar headers, as the last 4096 bytes
   * when both magics are there.
   */
  private async metaHeaderLocation(): Promise<number | undefined> {
    const entry = this.tocEntry(SECTION_BLOB_META_HEADER);
    if (entry !== undefined) return entry.compressedOffset;
    if (this.toc !== null) return undefined;
    const s = this.section(SECTION_BLOB_META);
    if (s !== undefined) return s.dataOffset + s.size - META_HEADER_SIZE;
    if (this.sections.length > 0 || this.size < META_HEADER_SIZE) return undefined;
    const at = this.size - META_HEADER_SIZE;
    const tail = await this.readAt(at, META_HEADER_SIZE);
    const magics = [tail.readUInt32LE(0), tail.readUInt32LE(META_HEADER_SIZE - 4)];
    return magics.every((m) => m === META_HEADER_MAGIC) ? at : undefined;
  }

  private async readCi(h: MetaHeader): Promise<Buffer> {
    const stored = await this.readAt(h.ciOffset, h.ciCompressedSize);
    return decompressChunk(h.ciCompressor, stored, h.ciUncompressedSize);
  }

  /**
   * readChunk reads one chunk, decompresses it and checks its digest with `digester`
   * (and its CRC-32C when the location carries one). The blob does not record its
   * chunk compressor (the bootstrap's blob table does), so pass `compressor`; when it
   * is omitted, a compressed chunk that opens with the zstd magic is taken as zstd and
   * any other as lz4_block.
   */
  async readChunk(
    ref: ChunkLocation,
    digester: Digester,
    compressor?: Compressor,
  ): Promise<Buffer> {
    const what = `${this.name}: chunk ${ref.chunkIndex ?? '?'} at ${hex(ref.compressedOffset)}`;
    const end = this.section(SECTION_IMAGE_BLOB)?.headerOffset ?? this.size;
    if (ref.compressedOffset + ref.compressedSize > end || ref.compressedSize === 0) {
      const where = range(ref.compressedOffset, ref.compressedSize);
      const detail = `${what}: ${where} is outside the chunk data ending at ${hex(end)}`;
      throw new FormatError('chunk', 'compressed_size', detail, ref.compressedOffset);
    }
    const stored = await this.readAt(ref.compressedOffset, ref.compressedSize);
    const c = ref.compressed ? (compressor ?? sniffCompressor(stored)) : 'none';
    const data = decompressChunk(c, stored, ref.uncompressedSize);
    const actual = chunkDigest(digester, data);
    if (!actual.equals(ref.digest)) {
      const want = ref.digest.toString('hex');
      const got = actual.toString('hex');
      throw new DigestMismatchError(what, `${digester}:${want}`, `${digester}:${got}`);
    }
    const crc = ref.crc32 === undefined ? undefined : crc32c(data);
    if (crc !== undefined && crc !== ref.crc32) {
      throw new DigestMismatchError(what, `crc32c:${hex(ref.crc32!)}`, `crc32c:${hex(crc)}`);
    }
    return data;
  }

  /**
   * readChunkByIndex reads chunk `index` using the blob's own CI array and digest
   * array; it needs both, so it works only on blobs that carry `blob.digest`.
   */
  async readChunkByIndex(
    index: number,
    digester: Digester,
    compressor?: Compressor,
  ): Promise<Buffer> {
    const ci = this.ciEntries?.[index];
    const digest = this.chunkDigests?.[index];
    if (ci === undefined || digest === undefined) {
      throw new FormatError('ci_array', 'index', `chunk ${index} is not in ${this.name}`);
    }
    const location = { ...ci, digest, chunkIndex: index, crc32: undefined };
    return this.readChunk(location, digester, compressor);
  }

  /** readAt reads exactly `length` bytes at `position`. */
  async readAt(position: number, length: number): Promise<Buffer> {
    if (position < 0 || position + length > this.size) {
      const where = range(position, length);
      const detail = `${this.name}: ${where} is outside the ${hex(this.size)}-byte file`;
      throw new FormatError('blob', 'range', detail, position);
    }
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, position + done);
      if (bytesRead === 0) {
        const detail = `${this.name}: file shrank while reading`;
        throw new FormatError('blob', 'size', detail, position + done);
      }
      done += bytesRead;
    }
    return buf;
  }

  /** close releases the file handle. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** sniffCompressor guesses a chunk's compressor when the caller does not know it. */
function sniffCompressor(stored: Buffer): Compressor {
  return stored.length >= 4 && stored.readUInt32LE(0) === ZSTD_MAGIC ? 'zstd' : 'lz4_block';
}
