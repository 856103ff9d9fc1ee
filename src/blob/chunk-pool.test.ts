import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NydusifyError } from '../errors.js';
import { runChunkJob, type ChunkJob } from './chunk-job.js';
import { ChunkPool, chunkExecutor, InlineExecutor, WorkerError } from './chunk-pool.js';
import { compressChunk, decompressChunk } from './compress.js';
import { chunkDigest, crc32c } from './digest.js';
import type { Compressor } from './types.js';

const run = promisify(execFile);

/** Three chunks: text, random (stored raw), and a short text tail. */
function sample(): { data: Uint8Array; sizes: number[]; copy: Buffer } {
  const text = Buffer.alloc(5000, 'chunk pool ');
  const copy = Buffer.concat([text, randomBytes(3000), text.subarray(0, 123)]);
  const data = new Uint8Array(new ArrayBuffer(copy.length));
  data.set(copy);
  return { data, sizes: [5000, 3000, 123], copy };
}

/** A worker that dies on its first job, as a crashed native call would. */
const DYING_WORKER = new URL('data:text/javascript,import{parentPort}from"node:worker_threads";parentPort.on("message",()=>process.exit(7))');

describe('runChunkJob', () => {
  it.each(['zstd', 'lz4_block', 'none'] as Compressor[])('digests, checksums and stores each chunk (%s)', (c) => {
    const { data, sizes, copy } = sample();
    const r = runChunkJob({ compressor: c, digester: 'blake3', data, sizes });
    let inAt = 0;
    let outAt = 0;
    sizes.forEach((size, i) => {
      const raw = copy.subarray(inAt, inAt + size);
      const stored = Buffer.from(r.stored.subarray(outAt, outAt + (r.storedSizes[i] as number)));
      expect(Buffer.from(r.digests.subarray(i * 32, i * 32 + 32))).toEqual(chunkDigest('blake3', raw));
      expect(r.crcs[i]).toBe(crc32c(raw));
      // Byte for byte what the single-chunk path (and so every earlier blob) stores.
      expect(stored).toEqual(compressChunk(c, raw).bytes);
      const back = r.compressed[i] === 1 ? decompressChunk(c, stored, size) : stored;
      expect(back).toEqual(raw);
      inAt += size;
      outAt += stored.length;
    });
    // Random bytes never compress; text does unless the compressor is none.
    expect([...r.compressed]).toEqual(c === 'none' ? [0, 0, 0] : [1, 0, 1]);
  });
});

describe('ChunkPool', () => {
  it('answers exactly as the calling thread does, for many jobs at once', async () => {
    const pool = new ChunkPool(2);
    try {
      const jobs = (c: Compressor): ChunkJob[] =>
        Array.from({ length: 12 }, () => ({ compressor: c, digester: 'sha256' as const, ...sample() }));
      for (const c of ['zstd', 'lz4_block', 'none'] as Compressor[]) {
        const js = jobs(c);
        const want = js.map((j) => runChunkJob({ ...j, data: Uint8Array.from(j.data) }));
        const got = await Promise.all(js.map((j) => pool.run(j)));
        got.forEach((g, i) => {
          const w = want[i]!;
          expect(Buffer.from(g.stored)).toEqual(Buffer.from(w.stored));
          expect(g.storedSizes).toEqual(w.storedSizes);
          expect(Buffer.from(g.digests)).toEqual(Buffer.from(w.digests));
          expect([...g.crcs]).toEqual([...w.crcs]);
          expect([...g.compressed]).toEqual([...w.compressed]);
        });
      }
    } finally {
      await pool.close();
    }
  });

  it('rejects a job that throws with its code and keeps serving', async () => {
    const pool = new ChunkPool(1);
    try {
      const bad = { ...sample(), compressor: 'brotli' as Compressor, digester: 'blake3' as const };
      const err = await pool.run(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NydusifyError);
      expect((err as NydusifyError).message).toMatch(/^chunk worker: /);
      const ok = await pool.run({ ...sample(), compressor: 'zstd', digester: 'blake3' });
      expect(ok.storedSizes).toHaveLength(3);
    } finally {
      await pool.close();
    }
  });

  it('fails every pending and later job with a WorkerError when a thread dies', async () => {
    const pool = new ChunkPool(2, DYING_WORKER);
    try {
      const pending = [1, 2, 3].map(() => pool.run({ ...sample(), compressor: 'zstd', digester: 'blake3' }));
      for (const p of pending) {
        await expect(p).rejects.toThrowError(WorkerError);
      }
      await expect(pending[0]).rejects.toMatchObject({ code: 'ERR_WORKER', message: expect.stringMatching(/exited with code 7/) });
      await expect(pool.run({ ...sample(), compressor: 'zstd', digester: 'blake3' })).rejects.toThrowError(WorkerError);
    } finally {
      await pool.close();
    }
  });

  it('rejects jobs still queued when closed', async () => {
    const pool = new ChunkPool(1);
    const jobs = [1, 2, 3, 4].map(() => pool.run({ ...sample(), compressor: 'zstd', digester: 'blake3' }));
    const outcome = Promise.allSettled(jobs);
    await pool.close();
    const settled = await outcome;
    const rejected = settled.filter((s) => s.status === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(3);
    for (const r of rejected) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WorkerError);
  });

  it('does not keep the process alive when left open', async () => {
    // A real process: it creates a pool, runs one job, never closes the pool, and
    // must still exit on its own (idle workers are unref'd).
    const dist = new URL('../../dist/blob/chunk-pool.js', import.meta.url).href;
    const script = `
      const { ChunkPool } = await import(${JSON.stringify(dist)});
      const pool = new ChunkPool(2);
      const data = new Uint8Array(new ArrayBuffer(8192)).fill(65);
      const r = await pool.run({ compressor: 'zstd', digester: 'blake3', data, sizes: [8192] });
      console.log(r.storedSizes.length);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(stdout.trim()).toBe('1');
  });

  it('chunkExecutor picks the calling thread for 0 and refuses absurd sizes', async () => {
    expect(chunkExecutor(0)).toBeInstanceOf(InlineExecutor);
    expect(() => new ChunkPool(0)).toThrowError(/not 1\.\.64/);
    expect(() => new ChunkPool(65)).toThrowError(/not 1\.\.64/);
  });
});
