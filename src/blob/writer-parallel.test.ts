/**
 * The blob writer with worker threads against the writer on the calling thread: the
 * same files must give the same blob bytes and the same chunk refs, whatever the
 * pool size, window or way of feeding (addFile one by one, or queueFile).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkRef } from '../tree/types.js';
import { ChunkPool, type ChunkExecutor } from './chunk-pool.js';
import { openBlobFile } from './reader.js';
import type { BlobOptions, Compressor, Digester } from './types.js';
import { BlobWriter, type WriterTuning } from './writer.js';

const CHUNK = 0x4000;

let dir: string;
let pool: ChunkPool;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blob-parallel-'));
  pool = new ChunkPool(2);
});
afterAll(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

let serial = 0;

/**
 * Files that exercise every order-dependent decision: duplicates within a file and
 * across files (including a duplicate of a chunk still in flight), empty files, a
 * file of exactly one chunk, files just over a chunk, incompressible data, and many
 * small files that share batches.
 */
function corpus(): Buffer[] {
  const text = (n: number, seed: number): Buffer => {
    const b = Buffer.alloc(n, `file ${seed} says hello; `);
    for (let off = 0; off + 4 <= n; off += 1000) b.writeUInt32LE(seed * 1_000_000 + off, off);
    return b;
  };
  const shared = text(CHUNK, 7);
  const files: Buffer[] = [
    text(CHUNK * 3 + 100, 1),
    Buffer.alloc(0),
    Buffer.concat([shared, shared, text(10, 2)]),
    randomBytes(CHUNK * 2 + 1),
    shared,
    text(CHUNK, 3),
    Buffer.alloc(0),
  ];
  for (let i = 0; i < 300; i++) files.push(i % 10 === 0 ? text(700, 1000) : text(50 + (i * 37) % 3000, 1000 + i));
  files.push(text(CHUNK * 3 + 100, 1), randomBytes(5), Buffer.alloc(CHUNK * 5));
  return files;
}

/** Feeds `data` in odd-sized pieces, as the tar reader would. */
async function* pieces(data: Buffer, piece = 3001): AsyncGenerator<Buffer> {
  for (let off = 0; off < data.length; off += piece) yield data.subarray(off, off + piece);
}

interface Output {
  bytes: Buffer;
  refs: ChunkRef[][];
  digest: string;
  path: string;
}

async function write(opts: BlobOptions, files: Buffer[], how: 'add' | 'queue', tuning: WriterTuning): Promise<Output> {
  const path = join(dir, `blob-${serial++}`);
  const w = new BlobWriter(path, opts, 3, tuning);
  let refs: ChunkRef[][];
  if (how === 'add') {
    refs = [];
    for (const f of files) refs.push(await w.addFile(pieces(f), f.length));
  } else {
    const queued: Array<Promise<ChunkRef[]>> = [];
    for (const f of files) queued.push((await w.queueFile(pieces(f), f.length)).chunks);
    await w.finishData();
    refs = await Promise.all(queued);
  }
  const result = await w.finish(Buffer.alloc(8192, 1));
  return { bytes: await readFile(path), refs, digest: result.digest, path };
}

describe('BlobWriter with worker threads', () => {
  const cases: Array<[Compressor, Digester]> = [
    ['zstd', 'blake3'],
    ['lz4_block', 'sha256'],
    ['none', 'blake3'],
  ];
  it.each(cases)('writes the same bytes and refs as the calling thread (%s, %s)', async (compressor, digester) => {
    const opts: BlobOptions = { chunkSize: CHUNK, compressor, digester };
    const files = corpus();
    const sequential = await write(opts, files, 'add', {});
    const variants: Array<['add' | 'queue', WriterTuning]> = [
      ['queue', {}],
      ['queue', { executor: pool }],
      // A window smaller than one batch: every batch waits for the one before.
      ['queue', { executor: pool, windowBytes: 1 }],
      ['add', { executor: pool }],
    ];
    for (const [how, tuning] of variants) {
      const out = await write(opts, files, how, tuning);
      expect(out.digest).toBe(sequential.digest);
      expect(out.bytes.equals(sequential.bytes)).toBe(true);
      expect(out.refs).toEqual(sequential.refs);
    }
    // Deduplication happened as before: the repeated chunks are stored once.
    const refs = sequential.refs;
    expect(refs[2]?.[0]?.chunkIndex).toBe(refs[2]?.[1]?.chunkIndex);
    expect(refs[4]?.[0]?.chunkIndex).toBe(refs[2]?.[0]?.chunkIndex);
    expect(refs.at(-3)).toEqual(refs[0]);
    // And the blob reads back: every file's bytes from its refs.
    const blob = await openBlobFile(sequential.path);
    try {
      for (const [i, f] of files.entries()) {
        const parts = await Promise.all((refs[i] ?? []).map((r) => blob.readChunk(r, digester, compressor)));
        expect(Buffer.concat(parts).equals(f)).toBe(true);
      }
    } finally {
      await blob.close();
    }
  });

  it('fails the blob with a typed error when a worker dies, and aborts cleanly', async () => {
    const dying = new URL('data:text/javascript,import{parentPort}from"node:worker_threads";parentPort.on("message",()=>process.exit(9))');
    const broken: ChunkExecutor = new ChunkPool(1, dying);
    const path = join(dir, `blob-${serial++}`);
    const w = new BlobWriter(path, { chunkSize: CHUNK, compressor: 'zstd', digester: 'blake3' }, 0, { executor: broken });
    try {
      const files = corpus();
      const queued: Array<Promise<ChunkRef[]>> = [];
      let thrown: unknown;
      try {
        for (const f of files) queued.push((await w.queueFile(pieces(f), f.length)).chunks);
        await w.finishData();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code: 'ERR_WORKER', message: expect.stringMatching(/exited with code 9/) });
      await expect(queued[0]).rejects.toMatchObject({ code: 'ERR_WORKER' });
      await w.abort();
      await expect(readFile(path)).rejects.toThrowError(/ENOENT/);
    } finally {
      await broken.close();
    }
  });

  it('fails the blob when a job throws in a worker', async () => {
    const opts = { chunkSize: CHUNK, compressor: 'brotli' as Compressor, digester: 'blake3' as Digester };
    const w = new BlobWriter(join(dir, `blob-${serial++}`), opts, 0, { executor: pool });
    await w.queueFile(pieces(Buffer.alloc(100, 1)), 100);
    await expect(w.finishData()).rejects.toThrowError(/^chunk worker: /);
    await w.abort();
  });
});
