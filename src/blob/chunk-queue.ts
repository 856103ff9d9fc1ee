/**
 * ChunkQueue turns file bodies into chunks, has them digested and compressed in
 * batches by a ChunkExecutor (worker threads, or the calling thread), and hands the
 * results to a commit callback strictly in the order the chunks were read. The
 * callback (the blob writer) makes every order-dependent decision (deduplication,
 * chunk index, offsets), so the blob is the same bytes however many workers ran.
 *
 * Flow for one file: `addFile` copies the body into the open batch, chunk by chunk
 * (a chunk never spans two batches), sends a batch when the next chunk does not
 * fit, and returns as soon as the body is read, with a promise of the file's chunk
 * refs. Batches are committed one after another in send order.
 *
 * Memory: the bytes of sent-but-uncommitted batches stay under `windowBytes` (plus
 * one open batch and the compressed results); `addFile` waits for commits to catch
 * up before it opens a batch past the window.
 *
 * Failure: the first error (from a job or from the commit callback) is kept; every
 * uncommitted file's promise rejects with it and later calls throw it.
 */
import { FormatError } from '../errors.js';
import type { ChunkRef } from '../tree/types.js';
import type { ChunkExecutor } from './chunk-pool.js';
import type { ChunkJobResult } from './chunk-job.js';
import { DIGEST_SIZE } from './digest.js';
import type { BlobOptions } from './types.js';

/** BATCH_BYTES is the usual batch size; a batch always holds at least one whole chunk. */
export const BATCH_BYTES = 1 << 20;
/** DEFAULT_WINDOW_BYTES bounds the chunk bytes sent to workers and not yet committed. */
export const DEFAULT_WINDOW_BYTES = 16 << 20;
/** SPARE_BATCHES is how many returned batch buffers are kept for reuse. */
const SPARE_BATCHES = 4;
/** A batch with less room left than this is sent when a file ends, not held open. */
const BATCH_SLACK = 16 << 10;

/** ProcessedChunk is one chunk as the commit callback receives it. */
export interface ProcessedChunk {
  /** Uncompressed length. */
  size: number;
  /** What to store: compressed bytes, or the raw chunk. Valid until the callback settles. */
  stored: Buffer;
  compressed: boolean;
  digest: Buffer;
  crc32: number;
}

/** CommitChunk stores one chunk and says where it lives. */
export type CommitChunk = (chunk: ProcessedChunk) => Promise<ChunkRef>;

/** QueuedFile is a file whose body has been read; `chunks` settles once it is stored. */
export interface QueuedFile {
  chunks: Promise<ChunkRef[]>;
}

/** ChunkQueueOptions configure a ChunkQueue. */
export interface ChunkQueueOptions extends BlobOptions {
  executor: ChunkExecutor;
  /** DEFAULT_WINDOW_BYTES when undefined. */
  windowBytes?: number;
}

/** FileTicket collects a file's refs as its chunks are committed. */
interface FileTicket {
  refs: ChunkRef[];
  left: number;
  promise: Promise<ChunkRef[]>;
  resolve(refs: ChunkRef[]): void;
  reject(err: unknown): void;
}

/** SentBatch is a batch handed to the executor: its size and the end of its commit. */
interface SentBatch {
  bytes: number;
  done: Promise<void>;
}

/** Batch is chunks back to back in one buffer, with the file each chunk belongs to. */
interface Batch {
  data: Uint8Array;
  used: number;
  sizes: number[];
  files: FileTicket[];
}

/** ChunkQueue; see the module comment. */
export class ChunkQueue {
  private readonly batchBytes: number;
  private readonly windowBytes: number;
  private open: Batch | undefined;
  /** Sent batches not yet committed: their size and the commit's end. */
  private readonly sent: SentBatch[] = [];
  private inflight = 0;
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;
  /** Returned batch buffers, reused so that big buffers are not reallocated per batch. */
  private readonly spare: Uint8Array[] = [];

  /** Creates a queue that feeds `commit`. */
  constructor(
    private readonly opts: ChunkQueueOptions,
    private readonly commit: CommitChunk,
  ) {
    this.batchBytes = Math.max(opts.chunkSize, BATCH_BYTES);
    this.windowBytes = opts.windowBytes ?? DEFAULT_WINDOW_BYTES;
  }

  /**
   * Reads exactly `size` bytes from `body` into batches and returns once they are
   * read. Throws FormatError when the body is shorter or longer than `size`; that
   * leaves the queue failed, since a half-filled chunk cannot be taken back.
   */
  async addFile(body: AsyncIterable<Buffer>, size: number): Promise<QueuedFile> {
    this.throwIfFailed();
    const ticket = newTicket(Math.ceil(size / this.opts.chunkSize));
    try {
      await this.copyBody(body, size, ticket);
    } catch (err) {
      this.failure ??= err;
      ticket.reject(err);
      throw err;
    }
    const open = this.open;
    if (open !== undefined && open.data.length - open.used < BATCH_SLACK) this.send();
    return { chunks: ticket.promise };
  }

  private async copyBody(
    body: AsyncIterable<Buffer>,
    size: number,
    ticket: FileTicket,
  ): Promise<void> {
    let unread = size;
    let unassigned = size;
    let chunkLeft = 0;
    for await (const piece of body) {
      if (piece.length > unread) throw sizeError(size, size - unread + piece.length, true);
      unread -= piece.length;
      let pos = 0;
      while (pos < piece.length) {
        if (chunkLeft === 0) {
          chunkLeft = Math.min(this.opts.chunkSize, unassigned);
          unassigned -= chunkLeft;
          await this.startChunk(chunkLeft, ticket);
        }
        const batch = this.open as Batch;
        const n = Math.min(piece.length - pos, chunkLeft);
        batch.data.set(piece.subarray(pos, pos + n), batch.used);
        batch.used += n;
        pos += n;
        chunkLeft -= n;
      }
    }
    if (unread !== 0) throw sizeError(size, size - unread, false);
  }

  /** Makes room for a chunk of `size` bytes in the open batch and records it. */
  private async startChunk(size: number, ticket: FileTicket): Promise<void> {
    if (this.open !== undefined && this.open.data.length - this.open.used < size) this.send();
    if (this.open === undefined) {
      await this.waitForWindow();
      this.throwIfFailed();
      const data = this.spare.pop() ?? new Uint8Array(new ArrayBuffer(this.batchBytes));
      this.open = { data, used: 0, sizes: [], files: [] };
    }
    this.open.sizes.push(size);
    this.open.files.push(ticket);
  }

  private async waitForWindow(): Promise<void> {
    while (this.inflight + this.batchBytes > this.windowBytes && this.sent.length > 0) {
      await this.sent[0]?.done;
    }
  }

  /** Sends the open batch, if any, to the executor and chains its commit. */
  send(): void {
    const batch = this.open;
    this.open = undefined;
    if (batch === undefined || batch.sizes.length === 0) return;
    const { compressor, digester } = this.opts;
    const data = batch.data.subarray(0, batch.used);
    const job = { compressor, digester, data, sizes: batch.sizes };
    const result = this.opts.executor.run(job);
    result.catch(() => undefined); // observed by commitBatch, in order
    this.inflight += batch.used;
    const entry: SentBatch = { bytes: batch.used, done: Promise.resolve() };
    entry.done = this.tail.then(() => this.commitBatch(batch, result, entry));
    this.tail = entry.done;
    this.sent.push(entry);
  }

  /** Commits one batch's chunks in order; never rejects (failures go to the tickets). */
  private async commitBatch(
    batch: Batch,
    pending: Promise<ChunkJobResult>,
    entry: SentBatch,
  ): Promise<void> {
    try {
      if (this.failure !== undefined) throw this.failure;
      const r = await pending;
      let at = 0;
      for (let i = 0; i < batch.sizes.length; i++) {
        const storedSize = r.storedSizes[i] as number;
        const ref = await this.commit({
          size: batch.sizes[i] as number,
          stored: view(r.stored, at, storedSize),
          compressed: r.compressed[i] === 1,
          digest: view(r.digests, i * DIGEST_SIZE, DIGEST_SIZE),
          crc32: r.crcs[i] as number,
        });
        at += storedSize;
        const ticket = batch.files[i] as FileTicket;
        ticket.refs.push(ref);
        if (--ticket.left === 0) ticket.resolve(ticket.refs);
      }
      const reusable = r.data.buffer.byteLength === this.batchBytes;
      if (reusable && this.spare.length < SPARE_BATCHES) {
        this.spare.push(new Uint8Array(r.data.buffer));
      }
    } catch (err) {
      this.failure ??= err;
      for (const ticket of batch.files) ticket.reject(this.failure);
    } finally {
      this.inflight -= batch.used;
      this.sent.splice(this.sent.indexOf(entry), 1);
    }
  }

  /** Sends what is open, waits until every chunk is committed; throws the first failure. */
  async drain(): Promise<void> {
    this.throwIfFailed();
    this.send();
    await this.tail;
    this.throwIfFailed();
  }

  /**
   * Fails the queue with `reason` (unless it already failed), drops the open batch
   * and waits for the commit that may be running, so the caller can close the file.
   */
  async stop(reason: unknown): Promise<void> {
    this.failure ??= reason;
    for (const ticket of this.open?.files ?? []) ticket.reject(this.failure);
    this.open = undefined;
    await this.tail;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

function newTicket(chunks: number): FileTicket {
  let resolve!: (refs: ChunkRef[]) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<ChunkRef[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Marked handled: after a failure nobody may be left awaiting a given file.
  promise.catch(() => undefined);
  const ticket = { refs: [], left: chunks, promise, resolve, reject };
  if (chunks === 0) resolve([]);
  return ticket;
}

/** A Buffer view of part of `bytes`, without copying. */
function view(bytes: Uint8Array, at: number, length: number): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, length);
}

function sizeError(want: number, got: number, atLeast: boolean): FormatError {
  const more = atLeast ? 'at least ' : '';
  return new FormatError('file', 'size', `body has ${more}${got} bytes, entry says ${want}`);
}
