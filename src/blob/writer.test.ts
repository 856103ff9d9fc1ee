import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../errors.js';
import type { ChunkRef } from '../tree/types.js';
import { sha256 } from './digest.js';
import { openBlobFile, type BlobFile } from './reader.js';
import type { BlobInfo, BlobOptions, Compressor, Digester } from './types.js';
import { BlobWriter, INLINE_BLOB_ID } from './writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blob-writer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let serial = 0;
const nextPath = (): string => join(dir, `blob-${serial++}`);

/** Compressible bytes that differ in every 1 KiB, so no two chunks are equal. */
function patterned(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  const text = Buffer.from(`seed ${seed}: lorem ipsum dolor sit amet, consectetur adipiscing elit. `);
  for (let off = 0; off < size; off += text.length) text.copy(buf, off, 0, Math.min(text.length, size - off));
  for (let off = 0; off + 8 <= size; off += 1024) buf.writeUInt32LE(off / 1024, off);
  return buf;
}

/** Feeds `data` in pieces of odd sizes, as a tar parser would. */
async function* pieces(data: Buffer, piece = 321_123): AsyncGenerator<Buffer> {
  for (let off = 0; off < data.length; off += piece) yield data.subarray(off, off + piece);
}

/** A made-up bootstrap: 3 blocks with a recognisable pattern. */
const BOOTSTRAP = patterned(3 * 4096, 99);

interface Written {
  path: string;
  files: Buffer[];
  refs: ChunkRef[][];
  dataInfo: BlobInfo;
  result: Awaited<ReturnType<BlobWriter['finish']>>;
}

async function writeBlob(opts: BlobOptions, files: Buffer[], bootstrap = BOOTSTRAP): Promise<Written> {
  const path = nextPath();
  const w = new BlobWriter(path, opts, 7);
  const refs: ChunkRef[][] = [];
  for (const f of files) refs.push(await w.addFile(pieces(f), f.length));
  const dataInfo = await w.finishData();
  const result = await w.finish(bootstrap);
  return { path, files, refs, dataInfo, result };
}

/** Reads every file back through the reader and checks every structure. */
async function checkReadBack(w: Written, opts: BlobOptions): Promise<BlobFile> {
  const blob = await openBlobFile(w.path);
  const file = await readFile(w.path);
  expect(w.result.size).toBe(file.length);
  expect(w.result.digest).toBe(`sha256:${sha256(file).toString('hex')}`);
  expect(blob.bootstrap!.equals(BOOTSTRAP)).toBe(true);
  const bootOffset = blob.section('image.boot')!.dataOffset;
  expect(w.dataInfo.compressedSize).toBe(bootOffset);
  expect(w.result.info.tocSize).toBe(blob.toc!.size);
  expect(w.result.info.tocDigest.equals(sha256(file.subarray(file.length - blob.toc!.size)))).toBe(true);
  for (let i = 0; i < w.files.length; i++) {
    const parts: Buffer[] = [];
    for (const ref of w.refs[i]) {
      expect(ref.blobIndex).toBe(7);
      expect(blob.chunkDigests![ref.chunkIndex].equals(ref.digest)).toBe(true);
      const { compressedOffset, compressedSize, uncompressedOffset, uncompressedSize, compressed } = ref;
      expect(blob.ciEntries![ref.chunkIndex]).toEqual({ compressedOffset, compressedSize, uncompressedOffset, uncompressedSize, compressed });
      parts.push(await blob.readChunk(ref, opts.digester, opts.compressor));
    }
    expect(Buffer.concat(parts).equals(w.files[i])).toBe(true);
  }
  return blob;
}

const COMBOS: [number, Compressor, Digester][] = [];
for (const chunkSize of [0x1000, 0x1000000]) {
  for (const compressor of ['zstd', 'lz4_block', 'none'] as const) {
    for (const digester of ['blake3', 'sha256'] as const) COMBOS.push([chunkSize, compressor, digester]);
  }
}

describe('BlobWriter', () => {
  it.each(COMBOS)('chunk size %i, %s, %s: files of 0, 1, N, N+1 chunks read back', async (chunkSize, compressor, digester) => {
    const opts = { chunkSize, compressor, digester };
    const n = chunkSize === 0x1000 ? 5 : 2;
    const files = [Buffer.alloc(0), patterned(chunkSize, 1), patterned(n * chunkSize, 2), patterned(n * chunkSize + 1, 3)];
    const w = await writeBlob(opts, files);
    expect(w.refs.map((r) => r.length)).toEqual([0, 1, n, n + 1]);
    const blob = await checkReadBack(w, opts);
    try {
      const chunkCount = 1 + n + n + 1;
      expect(blob.ciEntries).toHaveLength(chunkCount);
      expect(blob.sections.map((s) => s.name)).toEqual([
        'image.blob', 'blob.meta', 'blob.digest', 'image.boot', 'rafs.blob.toc',
      ]);
      expect(blob.toc!.entries.map((e) => e.name)).toEqual([
        'image.blob', 'blob.meta', 'blob.meta.header', 'blob.digest', 'image.boot',
      ]);
      expect(blob.metaHeader!.features).toBe(0x70000023);
      expect(w.dataInfo).toMatchObject({
        blobId: INLINE_BLOB_ID,
        chunkSize,
        chunkCount,
        compressor,
        digester,
        features: 0x70000023,
        ciCompressor: blob.metaHeader!.ciCompressor,
        ciOffset: blob.metaHeader!.ciOffset,
        ciCompressedSize: blob.metaHeader!.ciCompressedSize,
        ciUncompressedSize: chunkCount * 16,
        tocSize: 0,
      });
      expect(w.dataInfo.tocDigest.equals(Buffer.alloc(32))).toBe(true);
      const last = w.refs[3].at(-1)!;
      expect(w.dataInfo.uncompressedSize).toBe(last.uncompressedOffset + 4096);
      expect(w.result.info).toEqual({
        ...w.dataInfo,
        blobId: w.result.digest.slice('sha256:'.length),
        features: 0x70000021,
        compressedSize: w.result.size,
        tocSize: 5 * 128 + 512,
        tocDigest: w.result.info.tocDigest,
      });
      // Chunk indexes are sequential, compressed chunks back to back, offsets aligned.
      const all = w.refs.flat();
      all.forEach((r, i) => {
        expect(r.chunkIndex).toBe(i);
        expect(r.uncompressedOffset % 4096).toBe(0);
        if (i > 0) expect(r.compressedOffset).toBe(all[i - 1].compressedOffset + all[i - 1].compressedSize);
        expect(r.compressed).toBe(compressor !== 'none' && r.uncompressedSize > 1); // 1 byte never shrinks
      });
      expect(blob.section('image.blob')!.size).toBe(all.at(-1)!.compressedOffset + all.at(-1)!.compressedSize);
    } finally {
      await blob.close();
    }
  });

  it('deduplicates identical chunks within and across files', async () => {
    const opts: BlobOptions = { chunkSize: 0x1000, compressor: 'zstd', digester: 'blake3' };
    const block = patterned(0x1000, 5);
    const repeated = Buffer.concat([block, block, block, block.subarray(0, 100)]);
    const w = await writeBlob(opts, [repeated, repeated, block]);
    expect(w.refs[0].map((r) => r.chunkIndex)).toEqual([0, 0, 0, 1]);
    expect(w.refs[1]).toEqual(w.refs[0]);
    expect(w.refs[2]).toEqual([w.refs[0][0]]);
    expect(w.refs[1][0]).not.toBe(w.refs[0][0]); // copies, not shared objects
    expect(w.dataInfo.chunkCount).toBe(2);
    expect(w.dataInfo.uncompressedSize).toBe(0x2000);
    (await checkReadBack(w, opts)).close();
  });

  it('stores incompressible chunks as-is and keeps CRC-32C', async () => {
    const opts: BlobOptions = { chunkSize: 0x10000, compressor: 'zstd', digester: 'sha256' };
    const data = randomBytes(0x18000);
    const w = await writeBlob(opts, [data]);
    expect(w.refs[0].map((r) => [r.compressed, r.compressedSize, r.uncompressedSize])).toEqual([
      [false, 0x10000, 0x10000],
      [false, 0x8000, 0x8000],
    ]);
    const blob = await checkReadBack(w, opts);
    await blob.close();
    const { crc32c } = await import('./digest.js');
    expect(w.refs[0][1].crc32).toBe(crc32c(data.subarray(0x10000)));
    const ciStored = w.dataInfo.ciCompressor === 'none' ? 32 : w.dataInfo.ciCompressedSize;
    expect(w.dataInfo.ciCompressedSize).toBe(ciStored);
  });

  it('compresses the CI array when that makes it smaller', async () => {
    const opts: BlobOptions = { chunkSize: 0x1000, compressor: 'zstd', digester: 'blake3' };
    const w = await writeBlob(opts, [patterned(200 * 0x1000, 8)]);
    expect(w.dataInfo.ciCompressor).toBe('zstd');
    expect(w.dataInfo.ciCompressedSize).toBeLessThan(w.dataInfo.ciUncompressedSize);
    (await checkReadBack(w, opts)).close();
  });

  it('writes byte-identical blobs for the same input', async () => {
    const opts: BlobOptions = { chunkSize: 0x4000, compressor: 'lz4_block', digester: 'blake3' };
    const files = [patterned(100_000, 1), patterned(5, 2), patterned(0x4000, 3)];
    const a = await writeBlob(opts, files);
    const b = await writeBlob(opts, files);
    expect((await readFile(a.path)).equals(await readFile(b.path))).toBe(true);
    expect(a.result).toEqual(b.result);
  });

  it('writes only image.boot and a one-entry ToC when there are no chunks', async () => {
    const opts: BlobOptions = { chunkSize: 0x100000, compressor: 'zstd', digester: 'blake3' };
    const w = await writeBlob(opts, [Buffer.alloc(0)]);
    expect(w.dataInfo).toMatchObject({ chunkCount: 0, compressedSize: 0, uncompressedSize: 0, features: 0x70000003, ciOffset: 0 });
    expect(w.result.info.features).toBe(0x70000001);
    const blob = await openBlobFile(w.path);
    try {
      expect(blob.sections.map((s) => s.name)).toEqual(['image.boot', 'rafs.blob.toc']);
      expect(blob.toc!.entries.map((e) => [e.name, e.compressor, e.compressedOffset])).toEqual([['image.boot', 'zstd', 0]]);
      expect(blob.bootstrap!.equals(BOOTSTRAP)).toBe(true);
      expect(blob.metaHeader).toBeNull();
      expect(w.result.size).toBe((await stat(w.path)).size);
    } finally {
      await blob.close();
    }
  });

  it('stores an incompressible bootstrap as-is with ToC flag none', async () => {
    const opts: BlobOptions = { chunkSize: 0x1000, compressor: 'zstd', digester: 'blake3' };
    const boot = randomBytes(8192);
    const w = await writeBlob(opts, [patterned(10, 1)], boot);
    const blob = await openBlobFile(w.path);
    try {
      const entry = blob.tocEntry('image.boot')!;
      expect([entry.compressor, entry.compressedSize, entry.uncompressedSize]).toEqual(['none', 8192, 8192]);
      expect(blob.bootstrap!.equals(boot)).toBe(true);
    } finally {
      await blob.close();
    }
  });

  it('rejects a body that is shorter or longer than its size', async () => {
    const opts: BlobOptions = { chunkSize: 0x1000, compressor: 'zstd', digester: 'blake3' };
    const w1 = new BlobWriter(nextPath(), opts, 0);
    await expect(w1.addFile(pieces(Buffer.alloc(10)), 11)).rejects.toThrowError(FormatError);
    await w1.abort();
    const w2 = new BlobWriter(nextPath(), opts, 0);
    await expect(w2.addFile(pieces(Buffer.alloc(10)), 9)).rejects.toThrowError(/file\.size: body has at least 10 bytes, entry says 9/);
    await w2.abort();
  });

  it('abort deletes the file; misuse is refused', async () => {
    const opts: BlobOptions = { chunkSize: 0x1000, compressor: 'zstd', digester: 'blake3' };
    const path = nextPath();
    const w = new BlobWriter(path, opts, 0);
    await w.addFile(pieces(patterned(5000, 1)), 5000);
    await w.finishData();
    await expect(w.addFile(pieces(Buffer.alloc(1)), 1)).rejects.toThrowError(/after finishData/);
    await w.abort();
    await expect(stat(path)).rejects.toThrowError(/ENOENT/);
    expect(() => new BlobWriter(path, { ...opts, chunkSize: 0x3000 }, 0)).toThrowError(/power of two/);
  });
});
