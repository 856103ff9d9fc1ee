/**
 * BlobWriter writes one per-layer Nydus data blob in the layout nydusify produces
 * (format doc §3.2): chunk data, `image.blob` header, CI array, meta header,
 * `blob.meta` header, chunk-digest array, `blob.digest` header, the inlined bootstrap,
 * `image.boot` header, the ToC and its `rafs.blob.toc` header.
 *
 * A blob without chunks holds only the bootstrap and a one-entry ToC: there is no
 * chunk data to describe, so the `image.blob`, `blob.meta` and `blob.digest` sections
 * are left out and INLINED_CHUNK_DIGEST is not set (see `layerFeatures`). Readers
 * find sections through the ToC, so the shorter layout needs no special case there.
 *
 * Chunks are digested and compressed by a ChunkExecutor (worker threads, or this
 * thread) through a ChunkQueue, which hands them back strictly in file order; every
 * order-dependent decision (deduplication, chunk index, offsets) is made here, in
 * that order, so the blob is the same bytes whatever the number of workers.
 *
 * Memory is bounded whatever the file sizes: bodies are chunked as they stream in,
 * the chunks in flight stay within the queue's window, and every write awaits the
 * file system.
 */
import { NydusifyError, FormatError, UsageError } from '../errors.js';
import type { ChunkRef } from '../tree/types.js';
import { align4K, CI_ENTRY_V1_SIZE, encodeCiEntryV1 } from './ci-array.js';
import { InlineExecutor, type ChunkExecutor } from './chunk-pool.js';
import { ChunkQueue, type ProcessedChunk, type QueuedFile } from './chunk-queue.js';
import { compressChunk } from './compress.js';
import { DIGEST_SIZE, sha256 } from './digest.js';
import { layerFeatures } from './features.js';
import { FileSink } from './file-sink.js';
import { GrowBuffer } from './grow-buffer.js';
import { encodeMetaHeader, META_HEADER_SIZE } from './meta-header.js';
import { metaCacheFile } from './meta-cache.js';
import { hex } from './hex.js';
import {
  encodeTarHeader,
  SECTION_BLOB_DIGEST,
  SECTION_BLOB_META,
  SECTION_IMAGE_BLOB,
  SECTION_IMAGE_BOOT,
  SECTION_TOC,
  TAR_HEADER_SIZE,
} from './tar-header.js';
import { buildToc, type DataSections } from './toc-builder.js';
import { encodeToc } from './toc.js';
import { isValidChunkSize, type BlobInfo, type BlobOptions } from './types.js';

/** INLINE_BLOB_ID is the placeholder id a layer's own bootstrap records for its blob. */
export const INLINE_BLOB_ID = 'x'.repeat(64);
/** MAX_CHUNKS is the chunk-index limit of one blob (indexes stay below 0xFFFFFF). */
export const MAX_CHUNKS = 0xff_ffff;

/** BlobResult is what `finish` reports about the completed blob file. */
export interface BlobResult {
  /** `sha256:` + hex sha256 of the whole file: the OCI layer digest. */
  digest: string;
  size: number;
  /** The blob as the merged bootstrap records it. */
  info: BlobInfo;
  /** The `blob.meta` cache file (see meta-cache.ts); absent for a blob without chunks. */
  metaCache?: Buffer;
}

/** WriterTuning says where chunk work runs; it changes speed, never bytes. */
export interface WriterTuning {
  /** Runs chunk jobs; the calling thread when undefined. The caller closes it. */
  executor?: ChunkExecutor;
  /** Chunk bytes in flight at most (see ChunkQueue); its default when undefined. */
  windowBytes?: number;
}

export type { QueuedFile };

/** BlobWriter streams file data into one blob file; see the module comment. */
export class BlobWriter {
  private sink: FileSink | undefined;
  private readonly dedup = new Map<string, ChunkRef>();
  private readonly ci = new GrowBuffer();
  private readonly digests = new GrowBuffer();
  private readonly queue: ChunkQueue;
  private chunkCount = 0;
  private uncompressedCursor = 0;
  private busy = false;
  private dataInfo: BlobInfo | undefined;
  private sections: DataSections | undefined;
  private finished = false;
  /** The `blob.meta` cache file, once the data sections are written. */
  private metaCache?: Buffer;

  /**
   * Creates a writer for `path` (created or truncated on the first write). Chunk refs
   * it returns carry `blobIndex`.
   */
  constructor(
    private readonly path: string,
    private readonly opts: BlobOptions,
    private readonly blobIndex: number,
    tuning: WriterTuning = {},
  ) {
    if (!isValidChunkSize(opts.chunkSize)) {
      const detail = `chunk size ${hex(opts.chunkSize)} is not a power of two in 0x1000..0x1000000`;
      throw new UsageError(detail);
    }
    const executor = tuning.executor ?? new InlineExecutor();
    const queueOpts = { ...opts, executor, windowBytes: tuning.windowBytes };
    this.queue = new ChunkQueue(queueOpts, (chunk) => this.storeChunk(chunk));
  }

  /**
   * Chunks one regular file's data (exactly `size` bytes from `body`) and waits until
   * its chunks are stored: new chunks written, identical chunks (same digest and
   * uncompressed size) already in this blob reused. Returns the file's chunks in file
   * order; empty for an empty file. `queueFile` is the faster form for many files.
   */
  async addFile(body: AsyncIterable<Buffer>, size: number): Promise<ChunkRef[]> {
    const queued = await this.queueFile(body, size);
    this.queue.send();
    return queued.chunks;
  }

  /**
   * Reads one regular file's body (exactly `size` bytes) into the chunk queue and
   * returns once it is read, usually before its chunks are stored; `chunks` settles
   * with the same refs `addFile` would return. The blob is the same as with
   * `addFile`. `finishData` waits for every queued file; if storing fails, the
   * pending `chunks` reject and so do later calls.
   */
  async queueFile(body: AsyncIterable<Buffer>, size: number): Promise<QueuedFile> {
    this.enter('addFile');
    try {
      if (this.dataInfo !== undefined) throw this.misuse('addFile after finishData');
      return await this.queue.addFile(body, size);
    } finally {
      this.busy = false;
    }
  }

  /** Stores one chunk the queue hands back, in file order; runs one at a time. */
  private async storeChunk(chunk: ProcessedChunk): Promise<ChunkRef> {
    const key = `${chunk.digest.toString('hex')}/${chunk.size}`;
    const seen = this.dedup.get(key);
    if (seen !== undefined) return { ...seen };
    if (this.chunkCount >= MAX_CHUNKS) {
      const detail = `more than ${hex(MAX_CHUNKS)} chunks in one blob; use a larger chunk size`;
      throw new FormatError('ci_array', 'chunk_count', detail);
    }
    const sink = await this.openSink();
    const ref: ChunkRef = {
      blobIndex: this.blobIndex,
      chunkIndex: this.chunkCount,
      digest: chunk.digest,
      compressedOffset: sink.position,
      compressedSize: chunk.stored.length,
      uncompressedOffset: this.uncompressedCursor,
      uncompressedSize: chunk.size,
      compressed: chunk.compressed,
      crc32: chunk.crc32,
    };
    // Reserve before taking `raw`: reserving may move the records to a larger buffer.
    const ciAt = this.ci.reserve(CI_ENTRY_V1_SIZE);
    encodeCiEntryV1(ref, this.ci.raw, ciAt, ref.chunkIndex);
    this.digests.append(chunk.digest);
    await sink.write(chunk.stored);
    this.chunkCount++;
    this.uncompressedCursor += align4K(chunk.size);
    this.dedup.set(key, ref);
    return { ...ref };
  }

  /**
   * Writes the `image.blob` header, the CI array (compressed with the blob compressor
   * only when that makes it smaller; else ci_compressor none), the meta header, the
   * `blob.meta` header, the digest array and the `blob.digest` header. Returns the
   * BlobInfo this layer's own bootstrap embeds: placeholder id, features 0x70000023,
   * compressedSize = offset where the `image.boot` data will start, no ToC yet.
   */
  async finishData(): Promise<BlobInfo> {
    this.enter('finishData');
    try {
      if (this.dataInfo !== undefined) return { ...this.dataInfo };
      await this.queue.drain();
      const sink = await this.openSink();
      this.sections = this.chunkCount === 0 ? undefined : await this.writeDataSections(sink);
      this.dataInfo = this.blobInfo(sink.position);
      return { ...this.dataInfo };
    } finally {
      this.busy = false;
    }
  }

  private async writeDataSections(sink: FileSink): Promise<DataSections> {
    const chunkDataSize = sink.position;
    const blobHeader = encodeTarHeader({ name: SECTION_IMAGE_BLOB, size: chunkDataSize });
    await sink.write(blobHeader);
    // The chunk data starts at offset 0, so the file hash so far is exactly the
    // `image.blob` digest (chunk data plus its tar header, ToC quirk §3.7).
    const imageBlobDigest = sink.digestSoFar();

    const ciRaw = this.ci.bytes();
    const ciStored = compressChunk(this.opts.compressor, ciRaw);
    const ciCompressor = ciStored.compressed ? this.opts.compressor : 'none';
    const ciOffset = sink.position;
    await sink.write(ciStored.bytes);
    const metaHeader = encodeMetaHeader({
      features: layerFeatures(this.chunkCount, true),
      ciCompressor,
      ciEntries: this.chunkCount,
      ciOffset,
      ciCompressedSize: ciStored.bytes.length,
      ciUncompressedSize: ciRaw.length,
      ciZranOffset: 0,
      ciZranSize: 0,
      ciZranCount: 0,
    });
    await sink.write(metaHeader);
    this.metaCache = metaCacheFile(ciRaw, metaHeader);
    const metaSize = ciStored.bytes.length + META_HEADER_SIZE;
    await sink.write(encodeTarHeader({ name: SECTION_BLOB_META, size: metaSize }));

    const digestOffset = sink.position;
    const digestArray = this.digests.bytes();
    await sink.write(digestArray);
    await sink.write(encodeTarHeader({ name: SECTION_BLOB_DIGEST, size: digestArray.length }));
    return {
      chunkDataSize,
      uncompressedSize: this.uncompressedCursor,
      imageBlobDigest,
      ciCompressor,
      ciOffset,
      ciCompressedSize: ciStored.bytes.length,
      ciUncompressedSize: ciRaw.length,
      ciDigest: sha256(ciRaw),
      metaHeaderDigest: sha256(metaHeader),
      digestOffset,
      digestArraySize: digestArray.length,
      digestArrayDigest: sha256(digestArray),
    };
  }

  private blobInfo(bootOffset: number): BlobInfo {
    const s = this.sections;
    return {
      blobId: INLINE_BLOB_ID,
      chunkSize: this.opts.chunkSize,
      chunkCount: this.chunkCount,
      compressor: this.opts.compressor,
      digester: this.opts.digester,
      features: layerFeatures(this.chunkCount, true),
      compressedSize: bootOffset,
      uncompressedSize: this.uncompressedCursor,
      ciCompressor: s?.ciCompressor ?? 'none',
      ciOffset: s?.ciOffset ?? 0,
      ciCompressedSize: s?.ciCompressedSize ?? 0,
      ciUncompressedSize: s?.ciUncompressedSize ?? 0,
      tocSize: 0,
      tocDigest: Buffer.alloc(DIGEST_SIZE),
    };
  }

  /**
   * Appends the bootstrap (zstd if that makes it smaller, else stored), the
   * `image.boot` header, the ToC and its header, and closes the file. Calls
   * `finishData` first if needed. Returns the layer digest, the file size and the
   * BlobInfo for the merged bootstrap (blob id = the digest hex, features 0x70000021,
   * compressedSize = file size, real ToC size and digest).
   */
  async finish(bootstrap: Buffer): Promise<BlobResult> {
    const data = await this.finishData();
    this.enter('finish');
    try {
      if (this.finished) throw this.misuse('finish called twice');
      const sink = await this.openSink();
      const bootOffset = sink.position;
      const boot = compressChunk('zstd', bootstrap);
      await sink.write(boot.bytes);
      await sink.write(encodeTarHeader({ name: SECTION_IMAGE_BOOT, size: boot.bytes.length }));
      const toc = encodeToc(
        buildToc(this.sections, {
          offset: bootOffset,
          storedSize: boot.bytes.length,
          rawSize: bootstrap.length,
          compressor: boot.compressed ? 'zstd' : 'none',
          digest: sha256(bootstrap),
        }),
      );
      const tocHeader = encodeTarHeader({ name: SECTION_TOC, size: toc.length });
      await sink.write(toc);
      await sink.write(tocHeader);
      const size = sink.position;
      const hex = (await sink.close()).toString('hex');
      this.finished = true;
      const info: BlobInfo = {
        ...data,
        blobId: hex,
        features: layerFeatures(this.chunkCount, false),
        compressedSize: size,
        tocSize: toc.length + TAR_HEADER_SIZE,
        tocDigest: sha256(toc, tocHeader),
      };
      return { digest: `sha256:${hex}`, size, info, metaCache: this.metaCache };
    } finally {
      this.busy = false;
    }
  }

  /** Closes and deletes the file; for use after a failure. Safe to call at any time. */
  async abort(): Promise<void> {
    this.finished = true;
    await this.queue.stop(this.misuse('aborted'));
    const sink = this.sink;
    if (sink !== undefined) await sink.abort();
  }

  private async openSink(): Promise<FileSink> {
    this.sink ??= await FileSink.create(this.path);
    return this.sink;
  }

  /** enter refuses overlapping calls: the blob is one sequential stream. */
  private enter(what: string): void {
    if (this.busy) throw this.misuse(`${what} while another call is running`);
    if (this.finished) throw this.misuse(`${what} after finish or abort`);
    this.busy = true;
  }

  private misuse(detail: string): NydusifyError {
    return new NydusifyError('ERR_INTERNAL', `blob writer ${this.path}: ${detail}`);
  }
}
