import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestMismatchError, FormatError } from '../errors.js';
import { encodeCiV1 } from './ci-array.js';
import { compressChunk } from './compress.js';
import { chunkDigest } from './digest.js';
import { decodeMetaHeader, encodeMetaHeader } from './meta-header.js';
import { openBlobFile } from './reader.js';
import { encodeTarHeader } from './tar-header.js';
import { FIXTURE_BLOB } from './test-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blob-reader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DATA = Buffer.from('chunk data for the old layout test, repeated. '.repeat(200));

/** Chunk data, CI array and meta header, as every layout starts. */
function dataPart(): { chunk: Buffer; ci: Buffer; header: Buffer } {
  const chunk = compressChunk('zstd', DATA).bytes;
  const ciOffset = chunk.length + 512;
  const ci = encodeCiV1([
    { compressedOffset: 0, compressedSize: chunk.length, uncompressedOffset: 0, uncompressedSize: DATA.length, compressed: true },
  ]);
  const header = encodeMetaHeader({
    features: 0x50000003,
    ciCompressor: 'none',
    ciEntries: 1,
    ciOffset,
    ciCompressedSize: ci.length,
    ciUncompressedSize: ci.length,
    ciZranOffset: 0,
    ciZranSize: 0,
    ciZranCount: 0,
  });
  return { chunk, ci, header };
}

describe('openBlobFile', () => {
  it('reads the older layout whose last header is image.boot (no ToC)', async () => {
    const { chunk, ci, header } = dataPart();
    const boot = Buffer.alloc(8192, 7);
    const path = join(dir, 'old');
    await writeFile(path, Buffer.concat([
      chunk, encodeTarHeader({ name: 'image.blob', size: chunk.length }),
      ci, header, encodeTarHeader({ name: 'blob.meta', size: ci.length + 4096 }),
      boot, encodeTarHeader({ name: 'image.boot', size: boot.length }),
    ]));
    const blob = await openBlobFile(path);
    try {
      expect(blob.toc).toBeNull();
      expect(blob.sections.map((s) => s.name)).toEqual(['image.blob', 'blob.meta', 'image.boot']);
      expect(blob.bootstrap!.equals(boot)).toBe(true);
      expect(blob.chunkDigests).toBeNull();
      expect(blob.metaHeaderOffset).toBe(chunk.length + 512 + ci.length);
      const [entry] = blob.ciEntries!;
      const got = await blob.readChunk({ ...entry, digest: chunkDigest('sha256', DATA) }, 'sha256');
      expect(got.equals(DATA)).toBe(true);
    } finally {
      await blob.close();
    }
  });

  it('reads the plain layout: chunk data, CI array, header, no tar headers', async () => {
    const { chunk, header } = dataPart();
    const ci = encodeCiV1([
      { compressedOffset: 0, compressedSize: chunk.length, uncompressedOffset: 0, uncompressedSize: DATA.length, compressed: true },
    ]);
    const plainHeader = encodeMetaHeader({ ...decodeMetaHeader(header), ciOffset: chunk.length });
    const path = join(dir, 'plain');
    await writeFile(path, Buffer.concat([chunk, ci, plainHeader]));
    const blob = await openBlobFile(path);
    try {
      expect(blob.sections).toEqual([]);
      expect(blob.ciEntries).toHaveLength(1);
      expect(blob.bootstrap).toBeNull();
    } finally {
      await blob.close();
    }
  });

  it('rejects a ToC entry whose data does not match its digest', async () => {
    const file = await readFile(FIXTURE_BLOB);
    file[0x329a] ^= 0xff; // first byte of the blob.digest array
    const path = join(dir, 'bad-digest');
    await writeFile(path, file);
    await expect(openBlobFile(path)).rejects.toThrowError(DigestMismatchError);
    await expect(openBlobFile(path)).rejects.toThrowError(/toc entry blob\.digest: digest mismatch: expected sha256:910f7305/);
  });

  it('rejects a ToC entry that points past the ToC', async () => {
    const file = await readFile(FIXTURE_BLOB);
    file.writeUInt32LE(0x3500, 0x34da + 3 * 128 + 56); // blob.digest compressed_offset
    const path = join(dir, 'bad-offset');
    await writeFile(path, file);
    await expect(openBlobFile(path)).rejects.toThrowError(FormatError);
    await expect(openBlobFile(path)).rejects.toThrowError(/toc_entry\.compressed_size at offset 0x3500: blob\.digest/);
  });

  it('rejects a ToC with a bad entry flag, naming the offset', async () => {
    const file = await readFile(FIXTURE_BLOB);
    file.writeUInt32LE(0x40, 0x34da + 128); // blob.meta flags: gzip-like, not allowed
    const path = join(dir, 'bad-flag');
    await writeFile(path, file);
    await expect(openBlobFile(path)).rejects.toThrowError('toc_entry.flags at offset 0x355a: bad compression 0x40');
  });
});

