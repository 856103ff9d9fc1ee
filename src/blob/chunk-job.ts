/**
 * The CPU-heavy part of storing chunks, as one pure function over a batch: for each
 * chunk, its digest, its CRC-32C and its stored form (compressed, or as-is when that
 * is not smaller; format doc §3.1). Worker threads and the in-thread fallback run
 * the same function, so where it runs cannot change a single output byte.
 *
 * A batch is one buffer holding chunks back to back, so a worker gets many small
 * chunks (most files are smaller than one chunk) for the price of one message.
 */
import { compressChunk } from './compress.js';
import { chunkDigest, crc32c, DIGEST_SIZE } from './digest.js';
import type { Compressor, Digester } from './types.js';
import { zstdBound, zstdInto } from './zstd-into.js';

/** ChunkJob is one batch of chunks to digest and compress. */
export interface ChunkJob {
  compressor: Compressor;
  digester: Digester;
  /** The chunks back to back; its ArrayBuffer is handed over, not copied, to a worker. */
  data: Uint8Array;
  /** Length of each chunk in `data`, in order. */
  sizes: number[];
}

/** ChunkJobResult holds, per chunk of a job and in the same order, how to store it. */
export interface ChunkJobResult {
  /** The job's `data`, handed back so its buffer can be reused. */
  data: Uint8Array;
  /** The stored bytes of every chunk back to back; `data` itself when nothing compressed. */
  stored: Uint8Array;
  /** Length of each chunk's stored bytes in `stored`. */
  storedSizes: number[];
  /** 1 where the stored bytes are compressed, 0 where they are the raw chunk. */
  compressed: Uint8Array;
  /** DIGEST_SIZE bytes per chunk. */
  digests: Uint8Array;
  /** CRC-32C of each uncompressed chunk. */
  crcs: Uint32Array;
}

/** runChunkJob digests, checksums and compresses every chunk of `job`. */
export function runChunkJob(job: ChunkJob): ChunkJobResult {
  return job.compressor === 'zstd' ? runZstd(job) : runGeneric(job);
}

/**
 * The zstd case writes every frame straight into one output buffer; a chunk whose
 * frame is not strictly smaller is copied over it raw, as compressChunk would keep it.
 */
function runZstd(job: ChunkJob): ChunkJobResult {
  const n = job.sizes.length;
  const { digests, crcs, compressed } = checksums(job);
  let bound = 0;
  for (const size of job.sizes) bound += zstdBound(size);
  // A fresh ArrayBuffer of its own, so it can be handed back to the main thread;
  // the untouched tail past the frames costs address space, not memory.
  const out = new Uint8Array(new ArrayBuffer(bound));
  const storedSizes: number[] = [];
  let inAt = 0;
  let outAt = 0;
  for (let i = 0; i < n; i++) {
    const chunk = job.data.subarray(inAt, inAt + (job.sizes[i] as number));
    inAt += chunk.length;
    let len = chunk.length === 0 ? 0 : zstdInto(out.subarray(outAt), chunk);
    if (len < chunk.length) {
      compressed[i] = 1;
    } else {
      out.set(chunk, outAt);
      len = chunk.length;
    }
    storedSizes.push(len);
    outAt += len;
  }
  return { data: job.data, stored: out.subarray(0, outAt), storedSizes, compressed, digests, crcs };
}

/** The digest and CRC-32C of every chunk, and a zeroed compressed-flag array. */
function checksums(job: ChunkJob): Pick<ChunkJobResult, 'digests' | 'crcs' | 'compressed'> {
  const n = job.sizes.length;
  const digests = new Uint8Array(n * DIGEST_SIZE);
  const crcs = new Uint32Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const chunk = job.data.subarray(at, at + (job.sizes[i] as number));
    at += chunk.length;
    digests.set(chunkDigest(job.digester, chunk), i * DIGEST_SIZE);
    crcs[i] = crc32c(chunk);
  }
  return { digests, crcs, compressed: new Uint8Array(n) };
}

function runGeneric(job: ChunkJob): ChunkJobResult {
  const n = job.sizes.length;
  const { digests, crcs, compressed } = checksums(job);
  const parts: Uint8Array[] = [];
  const storedSizes: number[] = [];
  let at = 0;
  let anyCompressed = false;
  for (let i = 0; i < n; i++) {
    const chunk = job.data.subarray(at, at + (job.sizes[i] as number));
    at += chunk.length;
    const stored = compressChunk(job.compressor, asBuffer(chunk));
    parts.push(stored.bytes);
    storedSizes.push(stored.bytes.length);
    compressed[i] = stored.compressed ? 1 : 0;
    anyCompressed ||= stored.compressed;
  }
  const stored = anyCompressed ? concatOwned(parts) : job.data.subarray(0, at);
  return { data: job.data, stored, storedSizes, compressed, digests, crcs };
}

/** Views `bytes` as a Buffer without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Concatenates into a buffer with an ArrayBuffer of its own: a pooled Buffer (any
 * small Buffer.allocUnsafe) shares its ArrayBuffer and cannot be transferred.
 */
function concatOwned(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(new ArrayBuffer(total));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
